namespace VgtData.Sampling;

/// <summary>
/// An endless sampler with mmengine's <c>InfiniteSampler</c> semantics: one stream made of passes over the dataset
/// (each pass a new permutation when <c>shuffle</c>, else 0..size-1), and rank r takes every worldSize-th item of the
/// stream starting at r (<c>itertools.islice(stream, rank, None, world_size)</c>).
/// </summary>
/// <remarks>
/// mmengine draws all passes from one torch generator; here pass k is shuffled by a generator seeded with (seed, k),
/// so that <see cref="Restore"/> can jump to any position without replaying earlier passes. Permutations come from
/// <see cref="Shuffle"/>, not torch.randperm. The seed defaults to 0 (mmengine broadcasts a random one).
/// Rank and world size default to the RANK and WORLD_SIZE environment variables, else 0 and 1.
/// As in mmengine, <see cref="SetEpoch"/> does not change the sequence; it is recorded and, when it changes,
/// restarts the stream at position 0. A sample's draw epoch (<see cref="Draws"/>) is the pass its item belongs to, so
/// an index seen again gets a new crop and CFG draw.
/// </remarks>
public sealed class InfiniteSampler : SamplerCursor, ISampler
{
    private readonly int _size;
    private readonly bool _shuffle;
    private readonly int _seed;

    public InfiniteSampler(int size, bool shuffle = true, int? seed = null, int? rank = null, int? worldSize = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(size);
        _size = size;
        _shuffle = shuffle;
        _seed = seed ?? 0;
        (Rank, WorldSize) = DistributedEnv.Resolve(rank, worldSize);
    }

    public int Rank { get; }
    public int WorldSize { get; }
    public int Seed => _seed;

    /// <summary>The order of pass <paramref name="pass"/> over the dataset (before rank slicing).</summary>
    public int[] PassOrder(long pass) =>
        _shuffle ? Shuffle.Permutation(_size, SplitMix64.Seed(_seed, Shuffle.InfiniteSamplerDomain, pass)) : Shuffle.Identity(_size);

    // The last pass order drawn: a restart (resume, bench's checksum pass) reuses it instead of holding a second copy of
    // an int per entry until the next full collection. Replaced whole, so concurrent streams see a matching pair.
    private sealed record PassCache(long Pass, int[] Order);
    private PassCache? _cache;

    /// <summary>The item at <paramref name="offset"/> of pass <paramref name="pass"/>; unshuffled passes need no array.</summary>
    private int ItemOf(ref int[]? order, long pass, long offset)
    {
        if (!_shuffle) return (int)offset;
        if (order is null)
        {
            var cached = _cache;
            if (cached is null || cached.Pass != pass) _cache = cached = new PassCache(pass, PassOrder(pass));
            order = cached.Order;
        }
        return order[offset];
    }

    public IEnumerable<long> Indices() => Draws().Select(d => d.Index);

    /// <summary>The stream from the current position; each index's draw epoch is the pass it belongs to.</summary>
    IEnumerable<SampledIndex> ISampler.Draws() => Draws();

    internal IEnumerable<SampledIndex> Draws()
    {
        long pass = -1;
        int[]? order = null;
        var epoch = _epoch;
        while (_epoch == epoch)
        {
            var global = Rank + _position * WorldSize;
            var p = global / _size;
            if (p != pass)
            {
                pass = p;
                order = null;
            }
            _position++;
            yield return new SampledIndex(ItemOf(ref order, p, global % _size), checked((int)p));
        }
    }

    /// <summary>This rank's share of pass <paramref name="epoch"/>: the stream items of that pass it takes, in order.</summary>
    public IEnumerable<long> EpochIndices(int epoch)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(epoch);
        int[]? order = null;
        long start = (long)epoch * _size;
        // The first stream position of this pass that falls to this rank (positions r, r + W, r + 2W, ...).
        var first = start + ((Rank - start) % WorldSize + WorldSize) % WorldSize;
        for (var global = first; global < start + _size; global += WorldSize)
            yield return ItemOf(ref order, epoch, global - start);
    }
}
