using static TorchSharp.torch;

namespace VgtData.Collate;

/// <summary>What one sample contributed to a batch (the metadata the anchor keeps beside the tensors).</summary>
public sealed record SampleInfo(int Index, int SourceIndex, string ImageFile, string Caption, bool Cfg, int Source)
{
    public string Type => "text2image";
}

/// <summary>
/// A collated batch: <c>pixel_values</c> [B,3,H,W] (or <c>image_latents</c> / <c>image_tokens</c>), <c>input_ids</c>
/// [B,T] int64 padded with <c>pad_index</c>, <c>attention_mask</c> bool [B,T], and <c>batch_resolution</c>.
/// Dispose it when the step is done (or let a dispose scope take it).
/// </summary>
public sealed class Batch : IDisposable
{
    public required Tensor InputIds { get; init; }
    public required Tensor AttentionMask { get; init; }
    public Tensor? PixelValues { get; init; }
    public Tensor? ImageLatents { get; init; }
    public Tensor? ImageTokens { get; init; }
    public required (int Height, int Width) BatchResolution { get; init; }
    public required IReadOnlyList<SampleInfo> Samples { get; init; }

    /// <summary>Position of this batch in the loader's sequence (0-based).</summary>
    public long Number { get; init; }

    public int Size => Samples.Count;

    /// <summary>The tensors by the anchor's keys, for code written against the Python dict.</summary>
    public Dictionary<string, Tensor> ToDictionary()
    {
        var d = new Dictionary<string, Tensor> { ["input_ids"] = InputIds, ["attention_mask"] = AttentionMask };
        if (PixelValues is not null) d["pixel_values"] = PixelValues;
        if (ImageLatents is not null) d["image_latents"] = ImageLatents;
        if (ImageTokens is not null) d["image_tokens"] = ImageTokens;
        return d;
    }

    public void Dispose()
    {
        InputIds.Dispose();
        AttentionMask.Dispose();
        PixelValues?.Dispose();
        ImageLatents?.Dispose();
        ImageTokens?.Dispose();
    }
}
