namespace VgtData.Loading;

/// <summary>The anchor's <c>train_dataloader</c> block, resolved.</summary>
public sealed record DataLoaderOptions
{
    public int BatchSize { get; init; } = 32;

    /// <summary>Decode threads. 0 decodes on the consumer's thread (like torch's num_workers=0).</summary>
    public int NumWorkers { get; init; } = Math.Max(1, Environment.ProcessorCount);

    /// <summary>Batches prepared ahead per worker (torch's prefetch_factor); at least two batches are in flight.</summary>
    public int PrefetchFactor { get; init; } = 2;

    /// <summary>For finite samplers: drop a last batch smaller than <see cref="BatchSize"/>.</summary>
    public bool DropLast { get; init; }

    /// <summary>Stop after this many batches (null: as many as the sampler gives).</summary>
    public long? MaxBatches { get; init; }

    public int BatchesInFlight => Math.Max(2, Math.Max(1, NumWorkers) * Math.Max(1, PrefetchFactor));
}
