namespace VgtData.Sampling;

/// <summary>
/// A finite sampler with mmengine's <c>DefaultSampler</c> semantics: each epoch is one pass over the dataset,
/// shuffled (when <c>shuffle</c>) by a permutation seeded with (seed, epoch); with <c>roundUp</c> the order is padded
/// by repeating it from the start until its length divides by the world size; rank r takes
/// <c>indices[r::worldSize]</c>. <see cref="Indices"/> yields (the rest of) one epoch; enumerating again after the
/// epoch ends repeats that epoch, as in PyTorch without <c>set_epoch</c>. Every sample draws with the sampler's epoch.
/// </summary>
/// <remarks>
/// Rank and world size default to the RANK and WORLD_SIZE environment variables (as torchrun sets them), else 0 and 1.
/// The seed defaults to 0 (mmengine draws and broadcasts a random one; we prefer a reproducible default).
/// Permutations come from <see cref="Shuffle"/>, not torch.randperm, so orders differ from Python with the same seed.
/// </remarks>
public sealed class DefaultSampler : SamplerCursor, ISampler
{
    private readonly int _size;
    private readonly bool _shuffle;
    private readonly int _seed;

    public DefaultSampler(int size, bool shuffle = true, int? seed = null, bool roundUp = true, int? rank = null, int? worldSize = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(size);
        _size = size;
        _shuffle = shuffle;
        _seed = seed ?? 0;
        RoundUp = roundUp;
        (Rank, WorldSize) = DistributedEnv.Resolve(rank, worldSize);
        if (roundUp)
        {
            NumSamples = (size + (long)WorldSize - 1) / WorldSize;
            TotalSize = NumSamples * WorldSize;
        }
        else
        {
            NumSamples = Math.Max(0, (size - (long)Rank + WorldSize - 1) / WorldSize);
            TotalSize = size;
        }
    }

    public int Rank { get; }
    public int WorldSize { get; }
    public int Seed => _seed;
    public bool RoundUp { get; }

    /// <summary>How many indices this rank gets per epoch.</summary>
    public long NumSamples { get; }

    protected override long MaxPosition => NumSamples;

    /// <summary>The padded (or, without round-up, plain) epoch length over all ranks.</summary>
    public long TotalSize { get; }

    /// <summary>The whole epoch's order over all ranks, before padding and rank slicing.</summary>
    public int[] EpochOrder(int epoch) =>
        _shuffle ? Shuffle.Permutation(_size, SplitMix64.Seed(_seed, Shuffle.DefaultSamplerDomain, epoch)) : Shuffle.Identity(_size);

    public IEnumerable<long> Indices() => Draws().Select(d => d.Index);

    /// <summary>The rest of the current epoch; every index draws with the sampler's epoch.</summary>
    IEnumerable<SampledIndex> ISampler.Draws() => Draws();

    internal IEnumerable<SampledIndex> Draws()
    {
        if (_position >= NumSamples) _position = 0;
        return Iterate(_epoch);
    }

    /// <summary>This rank's whole share of epoch <paramref name="epoch"/>, whatever the cursor says.</summary>
    public IEnumerable<long> EpochIndices(int epoch)
    {
        if (NumSamples == 0) yield break;
        var order = EpochOrder(epoch);
        for (long k = 0; k < NumSamples; k++) yield return order[(Rank + k * WorldSize) % _size];
    }

    private IEnumerable<SampledIndex> Iterate(int epoch)
    {
        if (NumSamples == 0) yield break;
        var order = EpochOrder(epoch);
        while (_position < NumSamples && _epoch == epoch)
        {
            var global = Rank + _position * WorldSize; // position in the padded order
            var index = order[global % _size];         // padding repeats the order from its start
            _position++;
            yield return new SampledIndex(index, epoch);
        }
    }
}
