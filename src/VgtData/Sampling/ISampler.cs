namespace VgtData.Sampling;

/// <summary>
/// Yields dataset indices for one rank. A sampler is a cursor: <see cref="Indices"/> continues from the current
/// <see cref="State"/> and advances it as items are taken, so one sampler is meant for one consumer at a time.
/// </summary>
public interface ISampler
{
    /// <summary>The indices for this rank from the current position; endless for infinite samplers.</summary>
    IEnumerable<long> Indices();

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

    int Epoch { get; }

    void SetEpoch(int epoch);

    SamplerState State { get; }

    void Restore(SamplerState state);
}

/// <summary>
/// A sampler position. <paramref name="Position"/> counts what this rank has already been given in this epoch
/// (indices for <see cref="ISampler"/>, batches for <see cref="IBatchSampler"/>).
/// </summary>
public sealed record SamplerState(int Epoch, long Position);
