namespace VgtData.Loading;

/// <summary>The anchor's <c>train_dataloader</c> block, resolved.</summary>
public sealed record DataLoaderOptions
{
    /// <summary>Most decode threads a loader starts (<c>num_workers</c>, <c>bench --workers</c>).</summary>
    public const int MaxWorkers = 256;

    /// <summary>Largest <c>prefetch_factor</c> (<c>bench --prefetch</c>).</summary>
    public const int MaxPrefetchFactor = 64;

    public int BatchSize { get; init; } = 32;

    /// <summary>Decode threads. 0 decodes on the consumer's thread (like torch's num_workers=0).</summary>
    public int NumWorkers { get; init; } = Math.Clamp(Environment.ProcessorCount, 1, MaxWorkers);

    /// <summary>Batches prepared ahead per worker (torch's prefetch_factor); at least two batches are in flight.</summary>
    public int PrefetchFactor { get; init; } = 2;

    /// <summary>For finite samplers: drop a last batch smaller than <see cref="BatchSize"/>.</summary>
    public bool DropLast { get; init; }

    /// <summary>Stop after this many batches (null: as many as the sampler gives).</summary>
    public long? MaxBatches { get; init; }

    /// <summary>
    /// Host bytes the batches in flight may hold in staged pixels together (null: an eighth of the memory available to
    /// the process, between 256 MiB and 8 GiB). Fewer batches than <see cref="BatchesInFlight"/> are prepared ahead when
    /// they would not fit; one batch is always in flight.
    /// </summary>
    public long? MaxBytesInFlight { get; init; }

    public int BatchesInFlight => Math.Max(2, Math.Max(1, NumWorkers) * Math.Max(1, PrefetchFactor));

    internal long BytesInFlightBudget => MaxBytesInFlight
        ?? Math.Clamp(GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / 8, 256L << 20, 8L << 30);

    /// <summary>The one line for a worker count out of range, as the config's validation words it.</summary>
    internal static string? CheckWorkers(int workers) => workers is < 0 or > MaxWorkers
        ? $"{workers} is out of range: expected [0, {MaxWorkers}]" : null;

    internal static string? CheckPrefetchFactor(int prefetch) => prefetch is < 0 or > MaxPrefetchFactor
        ? $"{prefetch} is out of range: expected [0, {MaxPrefetchFactor}]" : null;
}
