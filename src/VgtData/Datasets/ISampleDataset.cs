namespace VgtData.Datasets;

/// <summary>What the loader needs of a dataset: a size and a deterministic sample per (index, epoch).</summary>
public interface ISampleDataset
{
    int Count { get; }

    /// <summary>The sample at <paramref name="index"/>; its random draws depend only on the dataset's seed, the epoch and
    /// the index. A bad entry is replaced deterministically and recorded in <see cref="Failures"/>.</summary>
    CaptionSample GetSample(int index, int epoch = 0);

    SampleFailureLog Failures { get; }

    /// <summary>The pixel size (height, width) of every sample, known before any is read, so the loader can lay out a
    /// batch up front; null when the samples carry latents or tokens, or differ.</summary>
    (int Height, int Width)? SampleSize => null;

    /// <summary>Where entry <paramref name="index"/>'s image is, for error messages.</summary>
    string Describe(int index);

    /// <summary>Stage timings (read, decode, resize, tokenize) are added here when set; the loader sets its own.</summary>
    StageTimes? Stats { get; set; }

    /// <summary>Hints that the samples at <paramref name="indices"/> are wanted next, so slow reads can start early.</summary>
    void ReadAhead(ReadOnlySpan<int> indices) { }
}
