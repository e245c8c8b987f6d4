namespace VgtData.Sampling;

/// <summary>
/// An endless batch sampler over several sources concatenated like <c>ConcatDataset</c>: every batch of
/// <c>batchSize</c> indices comes from ONE source, picked at random with probability proportional to
/// size × repeat; inside a source, indices come from an endless stream of passes over it (each pass a new
/// permutation when <c>shuffle</c>, else in order), so a source is used evenly before any index repeats.
/// Indices are global (the source's cumulative offset added). Rank r gets global batches r, r + worldSize, ...
/// Unlike VGT's <see cref="FixedBatchMultiSourceSampler"/> (sources in a fixed cycle), sources here interleave at random.
/// </summary>
/// <remarks>
/// Global batch b picks its source with a generator seeded from (seed, b); pass k of source s is shuffled with a
/// generator seeded from (seed, s, k). Nothing depends on the rank except which batches it keeps, so ranks are
/// disjoint and together cover the global batch stream. <see cref="Restore"/> replays the source picks of the batches
/// before the position (a few nanoseconds each) to recover every source's cursor. The seed defaults to 0; rank and
/// world size default to RANK / WORLD_SIZE, else 0 and 1. As with <see cref="InfiniteSampler"/>, the epoch does not
/// change the sequence; a different epoch restarts at position 0. A sample's draw epoch is the pass over its source that
/// it belongs to. Permutations are not torch.randperm's.
/// </remarks>
public sealed class WeightedMultiSourceSampler : SamplerCursor, IBatchSampler
{
    private readonly int[] _sizes;
    private readonly long[] _offsets;
    private readonly double[] _cumulativeWeights;
    private readonly bool _shuffle;
    private readonly int _seed;

    public WeightedMultiSourceSampler(
        IReadOnlyList<int> sourceSizes,
        IReadOnlyList<double> repeat,
        int batchSize,
        bool shuffle = true,
        int? seed = null,
        int? rank = null,
        int? worldSize = null)
    {
        ArgumentNullException.ThrowIfNull(repeat);
        _offsets = ConcatIndex.SourceOffsets(sourceSizes, repeat.Count, batchSize);
        _sizes = sourceSizes.ToArray();

        _cumulativeWeights = new double[_sizes.Length];
        double total = 0;
        for (var i = 0; i < _sizes.Length; i++)
        {
            var r = repeat[i];
            if (!double.IsFinite(r) || r < 0)
                throw new ArgumentOutOfRangeException(nameof(repeat), r, $"repeat of source {i} must be a finite number >= 0");
            total += _sizes[i] * r;
            _cumulativeWeights[i] = total;
        }
        if (!(total > 0)) throw new ArgumentException("every source has size × repeat = 0; nothing to sample", nameof(repeat));

        BatchSize = batchSize;
        _shuffle = shuffle;
        _seed = seed ?? 0;
        (Rank, WorldSize) = DistributedEnv.Resolve(rank, worldSize);
    }

    public int BatchSize { get; }
    public int Rank { get; }
    public int WorldSize { get; }
    public int Seed => _seed;

    /// <summary>The share of batches source <paramref name="source"/> gets in the long run: size × repeat over the total.</summary>
    public double Weight(int source) =>
        (_cumulativeWeights[source] - (source == 0 ? 0 : _cumulativeWeights[source - 1])) / _cumulativeWeights[^1];

    /// <summary>The source global batch <paramref name="globalBatch"/> draws from.</summary>
    public int SourceOf(long globalBatch)
    {
        var rng = new SplitMix64(SplitMix64.Seed(_seed, Shuffle.MultiSourcePickDomain, globalBatch));
        var u = rng.NextDouble() * _cumulativeWeights[^1];
        for (var i = 0; i < _cumulativeWeights.Length; i++)
            if (u < _cumulativeWeights[i]) return i;
        // u rounded up to the total: take the last source that has any weight.
        for (var i = _cumulativeWeights.Length - 1; i > 0; i--)
            if (_cumulativeWeights[i] > _cumulativeWeights[i - 1]) return i;
        return 0;
    }

    public IEnumerable<long[]> Batches() => BatchDraws().Select(b => b.Select(d => d.Index).ToArray());

    IEnumerable<SampledIndex[]> IBatchSampler.BatchDraws() => BatchDraws();

    internal IEnumerable<SampledIndex[]> BatchDraws()
    {
        var epoch = _epoch;
        var startBatch = Rank + _position * WorldSize; // first global batch this rank has not yet yielded

        // Replay the picks before it: every source's cursor is the number of its indices used so far.
        var cursors = new long[_sizes.Length];
        for (long b = 0; b < startBatch; b++) cursors[SourceOf(b)] += BatchSize;

        var passCache = new (long Pass, int[] Order)[_sizes.Length];
        for (var i = 0; i < passCache.Length; i++) passCache[i] = (-1, []);

        for (var b = startBatch; _epoch == epoch; b++)
        {
            var s = SourceOf(b);
            if (b % WorldSize != Rank)
            {
                cursors[s] += BatchSize;
                continue;
            }
            var batch = new SampledIndex[BatchSize];
            var size = _sizes[s];
            for (var k = 0; k < BatchSize; k++)
            {
                var c = cursors[s]++;
                var pass = c / size;
                if (passCache[s].Pass != pass) passCache[s] = (pass, SourceOrder(s, pass));
                batch[k] = new SampledIndex(_offsets[s] + passCache[s].Order[c % size], checked((int)pass));
            }
            _position++;
            yield return batch;
        }
    }

    /// <summary>Pass <paramref name="pass"/> over source <paramref name="source"/>, as local indices.</summary>
    public int[] SourceOrder(int source, long pass) =>
        _shuffle
            ? Shuffle.Permutation(_sizes[source], SplitMix64.Seed(_seed, Shuffle.MultiSourceDomain, source, pass))
            : Shuffle.Identity(_sizes[source]);
}
