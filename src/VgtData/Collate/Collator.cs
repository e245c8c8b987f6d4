using VgtData.Datasets;
using static TorchSharp.torch;

namespace VgtData.Collate;

/// <summary>
/// The anchor's <c>collate_func_gen</c>. A batch is built slot by slot (<see cref="Begin"/>, <see cref="BatchBuilder.Put"/>
/// from any thread, <see cref="BatchBuilder.Finish"/>), so loader workers write each image straight into the batch tensor.
/// </summary>
public sealed class Collator
{
    public Collator(CollateOptions options)
    {
        Options = options;
        if (options.ResolutionsRatio.Count != 0 && options.ResolutionsRatio.Count != options.Resolutions.Count)
            throw new VgtDataException($"resolutions_ratio has {options.ResolutionsRatio.Count} weights for {options.Resolutions.Count} resolutions");
        if (options.ResolutionsRatio.Any(w => w < 0 || double.IsNaN(w)) || (options.ResolutionsRatio.Count > 0 && options.ResolutionsRatio.Sum() <= 0))
            throw new VgtDataException("resolutions_ratio must be non-negative weights with a positive sum");
    }

    public CollateOptions Options { get; }

    /// <summary>The batch's resolution: drawn from <c>resolutions</c> (weighted) by (seed, batch number), else the samples' own.</summary>
    public (int Height, int Width) Resolution(long batchNumber, (int Height, int Width) sampleSize)
    {
        var choices = Options.Resolutions;
        if (choices.Count == 0) return sampleSize;
        if (choices.Count == 1) return choices[0];
        var random = new SampleRandom(Options.Seed, batchNumber, 0, stream: 5);
        var weights = Options.ResolutionsRatio.Count > 0 ? Options.ResolutionsRatio : Enumerable.Repeat(1.0, choices.Count).ToList();
        double u = random.NextDouble() * weights.Sum();
        for (int i = 0; i < choices.Count; i++)
        {
            u -= weights[i];
            if (u < 0) return choices[i];
        }
        return choices[^1];
    }

    internal BatchBuilder Begin(long batchNumber, int size, (int Height, int Width) sampleSize, bool pixels = true) =>
        new(this, batchNumber, size, Resolution(batchNumber, sampleSize), pixels);

    /// <summary>Collates finished samples in one call (the samples stay owned by the caller).</summary>
    public Batch Collate(IReadOnlyList<CaptionSample> samples, long batchNumber = 0)
    {
        if (samples.Count == 0) throw new ArgumentException("cannot collate an empty batch", nameof(samples));
        var first = samples[0];
        var size = first.Pixels is { } p ? (p.Height, p.Width) : first.Crop is not null ? (first.CropResizeTo, first.CropResizeTo) : (0, 0);
        using var builder = Begin(batchNumber, samples.Count, size, first.Pixels != null || first.Crop != null);
        for (int i = 0; i < samples.Count; i++) builder.Put(i, samples[i]);
        return builder.Finish();
    }
}
