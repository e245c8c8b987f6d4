using System.Text.Json;
using VgtData.Sampling;

namespace VgtData.Loading;

/// <summary>Where a loader is: batches and samples handed out, and the sampler's position after the last of them.
/// Save it with a checkpoint; a loader restored from it continues the exact same sequence.</summary>
public sealed record LoaderState(long Batches, long Samples, SamplerState Sampler)
{
    public string ToJson() => JsonSerializer.Serialize(this);

    public static LoaderState FromJson(string json) =>
        JsonSerializer.Deserialize<LoaderState>(json) ?? throw new VgtDataException("loader state JSON is empty");
}
