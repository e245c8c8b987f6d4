namespace VgtData.Sampling;

/// <summary>
/// VGT's <c>FixedBatchMultiSourceSampler</c> (src/datasets/samplers/multi_source_sampler.py) over sources concatenated
/// like <c>ConcatDataset</c>: an endless cycle through the sources in order, yielding <c>repeat[s]</c> consecutive
/// batches of <c>batchSize</c> indices from source <c>s</c> (a repeat of 0 leaves the source out). Each source has its
/// own endless stream of passes (a new permutation per pass when <c>shuffle</c>, else 0..size-1), sliced by rank as
/// <c>islice(stream, rank, None, world_size)</c>, so every rank is on the same source at the same step and ranks never
/// share an index of a pass. Indices are global (the source's cumulative offset added).
/// </summary>
/// <remarks>
/// VGT draws a source's passes one after another from one torch generator seeded with the seed; here pass k of source
/// s is shuffled by a generator seeded with (seed, s, k), so <see cref="Restore"/> jumps to any batch in constant time.
/// Permutations are not torch.randperm's, so the orders differ from Python's with the same seed; the cycle of sources,
/// the batch layout and the rank slicing are the same. A sample's draw epoch is the pass over its source that it belongs
/// to. The seed defaults to 0 (VGT broadcasts a random one); rank and world size default to RANK / WORLD_SIZE, else 0
/// and 1. As for <see cref="InfiniteSampler"/>, the epoch does not change the sequence; a different epoch restarts at
/// batch 0.
/// </remarks>
public sealed class FixedBatchMultiSourceSampler : SamplerCursor, IBatchSampler
{
    private readonly int[] _sizes;
    private readonly long[] _offsets;
    private readonly int[] _repeat;
    private readonly int[] _cycleStart; // the step of the cycle at which each source's run of batches begins
    private readonly int _cycleLength;
    private readonly bool _shuffle;
    private readonly int _seed;

    /// <param name="sourceSizes">The sizes of the concatenated datasets, in order.</param>
    /// <param name="repeat">VGT's <c>repeat</c>: consecutive batches per source in each cycle (integers ≥ 0, not all 0).</param>
    /// <param name="batchSize">Indices per batch; every batch holds one source's indices only.</param>
    /// <param name="shuffle">A new permutation for every pass over a source; otherwise each source in order.</param>
    /// <param name="seed">Seed of the permutations (default 0).</param>
    /// <param name="rank">This process's rank (default: RANK, else 0).</param>
    /// <param name="worldSize">The number of ranks (default: WORLD_SIZE, else 1).</param>
    public FixedBatchMultiSourceSampler(
        IReadOnlyList<int> sourceSizes,
        IReadOnlyList<int> repeat,
        int batchSize,
        bool shuffle = true,
        int? seed = null,
        int? rank = null,
        int? worldSize = null)
    {
        ArgumentNullException.ThrowIfNull(repeat);
        _offsets = ConcatIndex.SourceOffsets(sourceSizes, repeat.Count, batchSize);
        _sizes = sourceSizes.ToArray();

        _repeat = repeat.ToArray();
        _cycleStart = new int[_repeat.Length];
        for (var i = 0; i < _repeat.Length; i++)
        {
            if (_repeat[i] < 0) throw new ArgumentOutOfRangeException(nameof(repeat), _repeat[i], $"repeat of source {i} must be >= 0");
            // VGT would wait forever for an empty source to fill a batch.
            if (_repeat[i] > 0 && _sizes[i] == 0)
                throw new ArgumentException($"source {i} is empty but its repeat is {_repeat[i]}: it can never fill a batch", nameof(repeat));
            _cycleStart[i] = _cycleLength;
            _cycleLength = checked(_cycleLength + _repeat[i]);
        }
        if (_cycleLength == 0) throw new ArgumentException("every repeat is 0; nothing to sample", nameof(repeat));

        BatchSize = batchSize;
        _shuffle = shuffle;
        _seed = seed ?? 0;
        (Rank, WorldSize) = DistributedEnv.Resolve(rank, worldSize);
    }

    public int BatchSize { get; }
    public int Rank { get; }
    public int WorldSize { get; }
    public int Seed => _seed;

    /// <summary>Batches in one cycle through the sources: the sum of <c>repeat</c>.</summary>
    public int CycleLength => _cycleLength;

    /// <summary>The source batch <paramref name="batch"/> (0-based, the same on every rank) comes from.</summary>
    public int SourceOf(long batch)
    {
        var step = (int)(batch % _cycleLength);
        var s = 0;
        while (step >= _cycleStart[s] + _repeat[s]) s++;
        return s;
    }

    /// <summary>How many batches of <paramref name="source"/> come before batch <paramref name="batch"/>.</summary>
    public long BatchesOfSourceBefore(int source, long batch)
    {
        var partial = (int)(batch % _cycleLength) - _cycleStart[source];
        return batch / _cycleLength * _repeat[source] + Math.Clamp(partial, 0, _repeat[source]);
    }

    /// <summary>Pass <paramref name="pass"/> over source <paramref name="source"/>, as local indices (before rank slicing).</summary>
    public int[] SourceOrder(int source, long pass) =>
        _shuffle
            ? Shuffle.Permutation(_sizes[source], SplitMix64.Seed(_seed, Shuffle.FixedBatchDomain, source, pass))
            : Shuffle.Identity(_sizes[source]);

    public IEnumerable<long[]> Batches() => BatchDraws().Select(b => b.Select(d => d.Index).ToArray());

    IEnumerable<SampledIndex[]> IBatchSampler.BatchDraws() => BatchDraws();

    internal IEnumerable<SampledIndex[]> BatchDraws()
    {
        var epoch = _epoch;
        var passCache = new (long Pass, int[] Order)[_sizes.Length];
        for (var i = 0; i < passCache.Length; i++) passCache[i] = (-1, []);

        while (_epoch == epoch)
        {
            var b = _position;
            var s = SourceOf(b);
            var size = _sizes[s];
            // This rank's k-th item of source s is item rank + k * worldSize of the source's stream.
            var k = BatchesOfSourceBefore(s, b) * BatchSize;
            var batch = new SampledIndex[BatchSize];
            for (var j = 0; j < BatchSize; j++, k++)
            {
                var global = Rank + k * WorldSize;
                var pass = global / size;
                if (passCache[s].Pass != pass) passCache[s] = (pass, SourceOrder(s, pass));
                batch[j] = new SampledIndex(_offsets[s] + passCache[s].Order[global % size], checked((int)pass));
            }
            _position++;
            yield return batch;
        }
    }
}
