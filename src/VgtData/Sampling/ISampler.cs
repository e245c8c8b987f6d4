namespace VgtData.Sampling;

/// <summary>
/// Yields dataset indices for one rank. A sampler is a cursor: <see cref="Indices"/> continues from the current
/// <see cref="State"/> and advances it as items are taken, so one sampler is meant for one consumer at a time.
/// </summary>
public interface ISampler
{
    /// <summary>The indices for this rank from the current position; endless for infinite samplers.</summary>
    IEnumerable<long> Indices();

    /// <summary>The same sequence as <see cref="Indices"/>, each index with the epoch its sample's random draws use.</summary>
    internal IEnumerable<SampledIndex> Draws();

    /// <summary>
    /// This rank's indices whose draws use epoch <paramref name="epoch"/>, in order, without moving the cursor: one
    /// epoch of a finite sampler, one pass over the data of an infinite one. This is what one enumeration of
    /// <see cref="EpochShuffler"/> yields.
    /// </summary>
    IEnumerable<long> EpochIndices(int epoch);

    int Epoch { get; }

    /// <summary>Selects the epoch; a different epoch starts at position 0, the same epoch keeps the position.</summary>
    void SetEpoch(int epoch);

    /// <summary>Where the sampler is: enough to continue the exact same sequence after <see cref="Restore"/>.</summary>
    SamplerState State { get; }

    void Restore(SamplerState state);
}

/// <summary>A sampler that yields whole batches (each an array of dataset indices) for one rank.</summary>
public interface IBatchSampler
{
    IEnumerable<long[]> Batches();

    /// <summary>The same batches as <see cref="Batches"/>, each index with the epoch its sample's random draws use.</summary>
    internal IEnumerable<SampledIndex[]> BatchDraws();

    int Epoch { get; }

    void SetEpoch(int epoch);

    SamplerState State { get; }

    void Restore(SamplerState state);
}

/// <summary>
/// A sampled dataset index and the epoch its sample's random draws (crop offset, CFG coin, replacement) are keyed by:
/// the loader serves <c>dataset.GetSample(Index, DrawEpoch)</c>. For a finite sampler it is the sampler's epoch; for
/// an endless one, the pass over the data (or over the source) that the index belongs to, so that an index seen again
/// gets new draws.
/// </summary>
internal readonly record struct SampledIndex(long Index, int DrawEpoch);

/// <summary>
/// A sampler position. <paramref name="Position"/> counts what this rank has already been given in this epoch
/// (indices for <see cref="ISampler"/>, batches for <see cref="IBatchSampler"/>).
/// </summary>
public sealed record SamplerState(int Epoch, long Position);
