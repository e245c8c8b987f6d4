using VgtData.Collate;
using VgtData.Datasets;
using VgtData.Loading;
using VgtData.Sampling;
using static TorchSharp.torch;

namespace VgtData.Tests.Loading;

/// <summary>Pins of Loading behaviour that mutation testing (benchmarks/mutation.sh Loading) found unchecked: what the
/// batch checksum hashes, how a sampler becomes batches, the loader's argument and state errors, and how a failing
/// sample reaches the caller.</summary>
public sealed class LoadingMutationTests(LoaderFixture data) : IClassFixture<LoaderFixture>
{
    private static Batch BatchOf(Tensor? pixels = null, Tensor? latents = null) => new()
    {
        InputIds = tensor(new long[] { 1, 2 }).reshape(1, 2),
        AttentionMask = tensor(new long[] { 1, 1 }).reshape(1, 2),
        PixelValues = pixels,
        ImageLatents = latents,
        BatchResolution = (1, 1),
        Samples = [],
    };

    private static string ChecksumOf(Batch batch)
    {
        var c = new BatchChecksum();
        c.Add(batch);
        return c.Hex;
    }

    private static string ChecksumOf(Tensor t)
    {
        var c = new BatchChecksum();
        c.Add(t);
        return c.Hex;
    }

    [Fact]
    public void ChecksumRefusesNull()
    {
        Assert.Throws<ArgumentNullException>(() => new BatchChecksum().Add((Batch)null!));
        Assert.Throws<ArgumentNullException>(() => new BatchChecksum().Add((Tensor)null!));
    }

    [Fact]
    public void ChecksumTellsWhichKeyATensorIsUnder()
    {
        using var t = ones(1, 2, 2);
        using var asPixels = BatchOf(pixels: t.clone());
        using var asLatents = BatchOf(latents: t.clone());
        Assert.NotEqual(ChecksumOf(asPixels), ChecksumOf(asLatents));
    }

    [Fact]
    public void ChecksumHashesTheDtypeAndTheNumberOfDimensions()
    {
        // Same four zero bytes, other dtype.
        using var intZero = zeros(1, dtype: ScalarType.Int32);
        using var floatZero = zeros(1, dtype: ScalarType.Float32);
        Assert.NotEqual(ChecksumOf(intZero), ChecksumOf(floatZero));
        // Shape [1, 0] (no data) and shape [1] holding 0: without the dimension count both hash the longs 1, 0.
        using var empty = zeros(new long[] { 1, 0 }, dtype: ScalarType.Int64);
        using var one = zeros(new long[] { 1 }, dtype: ScalarType.Int64);
        Assert.NotEqual(ChecksumOf(empty), ChecksumOf(one));
    }

    private sealed class FixedSampler(long[] indices) : ISampler
    {
        public IEnumerable<long> Indices() => indices;
        public IEnumerable<SampledIndex> Draws() => indices.Select(i => new SampledIndex(i, 0));
        public IEnumerable<long> EpochIndices(int epoch) => indices;
        public int Epoch => 0;
        public void SetEpoch(int epoch) { }
        public SamplerState State => new(0, 0);
        public void Restore(SamplerState state) { }
    }

    private sealed class FixedBatchSampler(long[][] batches) : IBatchSampler
    {
        public IEnumerable<long[]> Batches() => batches;
        public IEnumerable<SampledIndex[]> BatchDraws() => batches.Select(b => b.Select(i => new SampledIndex(i, 0)).ToArray());
        public int Epoch => 0;
        public void SetEpoch(int epoch) { }
        public SamplerState State => new(0, 0);
        public void Restore(SamplerState state) { }
    }

    private static List<PlannedBatch> Plan(object sampler, int batchSize, bool dropLast = false, long first = 0)
    {
        var plan = new BatchPlan(sampler, 100, new DataLoaderOptions { BatchSize = batchSize, DropLast = dropLast }, first);
        var list = new List<PlannedBatch>();
        while (plan.Next() is { } b) list.Add(b);
        return list;
    }

    [Fact]
    public void AnExactMultipleOfTheBatchSizeEndsWithoutAnEmptyBatch()
    {
        var batches = Plan(new FixedSampler([0, 1, 2, 3, 4, 5, 6, 7]), 4);
        Assert.Equal([[0, 1, 2, 3], [4, 5, 6, 7]], batches.Select(b => b.Indices));
        Assert.Equal([[0, 1, 2, 3], [4, 5, 6, 7], [8]], Plan(new FixedSampler([0, 1, 2, 3, 4, 5, 6, 7, 8]), 4).Select(b => b.Indices));
        Assert.Equal([[0, 1, 2, 3], [4, 5, 6, 7]], Plan(new FixedSampler([0, 1, 2, 3, 4, 5, 6, 7, 8]), 4, dropLast: true).Select(b => b.Indices));
    }

    [Fact]
    public void BatchSamplerBatchesAreNumberedUpFromTheFirstNumber()
    {
        var batches = Plan(new FixedBatchSampler([[0, 1], [2], [3, 4, 5]]), 8, first: 5);
        Assert.Equal([5L, 6, 7], batches.Select(b => b.Number));
        Assert.Equal([[0, 1], [2], [3, 4, 5]], batches.Select(b => b.Indices));
    }

    [Fact]
    public void AnIndexPastIntIsRefusedNotWrapped()
    {
        Assert.Throws<OverflowException>(() => Plan(new FixedSampler([1L << 31]), 1));
        Assert.Throws<OverflowException>(() => Plan(new FixedBatchSampler([[1L << 31]]), 1));
    }

    [Fact]
    public void BadArgumentsGiveTheirMessages()
    {
        using var ds = data.Dataset();
        var zero = Assert.Throws<VgtDataException>(() => LoaderFixture.Loader(ds, LoaderFixture.Infinite(), workers: 0, batchSize: 0));
        Assert.Equal("batch_size must be positive, got 0", zero.Message);
        var negative = Assert.Throws<VgtDataException>(() => LoaderFixture.Loader(ds, LoaderFixture.Infinite(), workers: -1));
        Assert.Equal("num_workers: -1 is out of range: expected [0, 256]", negative.Message);
        var neither = Assert.Throws<ArgumentException>(() => LoaderFixture.Loader(ds, "not a sampler", workers: 0));
        Assert.Equal("String is neither an ISampler nor an IBatchSampler (Parameter 'sampler')", neither.Message);
        Assert.Equal("sampler", neither.ParamName);
    }

    [Fact]
    public void RestoreAndASecondEnumerationWhileEnumeratingAreRefused()
    {
        using var ds = data.Dataset();
        using var loader = LoaderFixture.Loader(ds, LoaderFixture.Infinite(), workers: 1);
        using var e = loader.GetEnumerator();
        Assert.True(e.MoveNext());
        var restore = Assert.Throws<InvalidOperationException>(() => loader.Restore(loader.State));
        Assert.Equal("cannot restore while batches are being enumerated", restore.Message);
        var again = Assert.Throws<InvalidOperationException>(() => loader.GetEnumerator());
        Assert.Equal("this loader is already being enumerated", again.Message);
    }

    /// <summary>The fixture's dataset, with one index that throws <paramref name="error"/>.</summary>
    private sealed class Failing(CaptionDataset inner, int badIndex, Func<Exception> error) : ISampleDataset
    {
        public (int Height, int Width)? SampleSize => inner.SampleSize;
        public int Count => (int)inner.Count;
        public CaptionSample GetSample(int index, int epoch = 0) => index == badIndex ? throw error() : inner.GetSample(index, epoch);
        public SampleFailureLog Failures => inner.Failures;
        public string Describe(int index) => $"item {index}";
        public StageTimes? Stats { get => inner.Stats; set => inner.Stats = value; }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(2)]
    public void ASampleThatThrowsStopsTheRunWithOneLineAndTheLoaderCanRunAgain(int workers)
    {
        using var inner = data.Dataset();
        int bad = (int)LoaderFixture.Infinite().Indices().Skip(9).First();   // in the second batch
        var ds = new Failing(inner, bad, () => new InvalidOperationException("boom"));
        using var loader = LoaderFixture.Loader(ds, LoaderFixture.Infinite(), workers);
        var e = Assert.Throws<VgtDataException>(() => BatchSnapshot.Take(loader, 3));
        Assert.Equal($"sample {bad} (item {bad}): InvalidOperationException: boom", e.Message);
        Assert.IsType<InvalidOperationException>(e.InnerException);
        Assert.Equal(1, loader.State.Batches);   // the first batch was handed out, the failing one not
        // The failed run let go of the loader: it can be enumerated again (and fails at the same sample again).
        var again = Assert.Throws<VgtDataException>(() => BatchSnapshot.Take(loader, 3));
        Assert.Equal(e.Message, again.Message);
    }

    [Fact]
    public void AFailedRunLetsGoOfTheLoaderEvenWhenItsEnumeratorIsNotDisposed()
    {
        using var inner = data.Dataset();
        int bad = (int)LoaderFixture.Infinite().Indices().First();
        var ds = new Failing(inner, bad, () => new InvalidOperationException("boom"));
        using var loader = LoaderFixture.Loader(ds, LoaderFixture.Infinite(), workers: 2);
        var first = loader.GetEnumerator();   // left undisposed, as a caller catching the error might
        Assert.Throws<VgtDataException>(() => first.MoveNext());
        using var second = loader.GetEnumerator();   // not "already being enumerated": the failure ended the run
        Assert.Throws<VgtDataException>(() => second.MoveNext());
    }

    [Fact]
    public void AVgtDataExceptionFromASampleReachesTheCallerAsItIs()
    {
        using var inner = data.Dataset();
        int bad = (int)LoaderFixture.Infinite().Indices().First();
        var ds = new Failing(inner, bad, () => new VgtDataException("data.json: entry 3: no image"));
        using var loader = LoaderFixture.Loader(ds, LoaderFixture.Infinite(), workers: 1);
        var e = Assert.Throws<VgtDataException>(() => BatchSnapshot.Take(loader, 1));
        Assert.Equal("data.json: entry 3: no image", e.Message);
        Assert.Null(e.InnerException);
    }

    [Fact]
    public void StatsCountSecondsPerStageAndReset()
    {
        var stats = new StageTimes();
        long start = System.Diagnostics.Stopwatch.GetTimestamp() - System.Diagnostics.Stopwatch.Frequency / 2;   // half a second ago
        stats.Add(StageTimes.Stage.Decode, start);
        Assert.InRange(stats.Seconds(StageTimes.Stage.Decode), 0.5, 30);
        Assert.Equal(0, stats.Seconds(StageTimes.Stage.Read));
        Assert.Equal(["read", "decode", "resize", "tokenize", "collate", "transfer"], stats.ToDictionary().Keys);
        stats.Add(StageTimes.Stage.Transfer, start);
        stats.Reset();
        Assert.All(stats.ToDictionary().Values, v => Assert.Equal(0, v));
    }

    [Fact]
    public void LoaderStateRoundTripsAndRefusesEmptyJson()
    {
        var state = new LoaderState(3, 24, new SamplerState(2, 7));
        Assert.Equal(state, LoaderState.FromJson(state.ToJson()));
        Assert.Equal("loader state JSON is empty", Assert.Throws<VgtDataException>(() => LoaderState.FromJson("null")).Message);
    }
}

/// <summary>The staging pool's counters and refusals (run alone: the pool is process-wide).</summary>
[Collection(nameof(MemorySoakCollection))]
public sealed class StagingPoolTests
{
    [Fact]
    public void LentAndFreeCountsFollowRentAndRelease()
    {
        StagingPool.Trim();
        int lent = StagingPool.LentCount;
        var a = StagingPool.Rent([3, 5000], ScalarType.Byte);      // 15,000 bytes: a 16 KiB block
        var b = StagingPool.Rent([2, 3000], ScalarType.Float32);   // 24,000 bytes: a 32 KiB block
        Assert.Equal(lent + 2, StagingPool.LentCount);
        Assert.Equal(0, StagingPool.FreeBytes);
        a.Dispose();
        b.Dispose();
        Assert.Equal(lent, StagingPool.LentCount);
        Assert.Equal((16 + 32) << 10, StagingPool.FreeBytes);   // both kept for reuse, summed over the sizes
        StagingPool.Trim();
        Assert.Equal(0, StagingPool.FreeBytes);
    }

    [Fact]
    public void RefusesNegativeHugeAndUnknownShapes()
    {
        var negative = Assert.Throws<ArgumentOutOfRangeException>(() => StagingPool.Rent([2, -1], ScalarType.Byte));
        Assert.Equal("negative dimension -1 (Parameter 'shape')", negative.Message);
        var huge = Assert.Throws<VgtDataException>(() => StagingPool.Rent([1L << 31], ScalarType.Byte));
        Assert.Equal($"a batch tensor of {1L << 31} bytes is larger than one host block can be ({Array.MaxLength - 64} bytes)", huge.Message);
        var dtype = Assert.Throws<ArgumentException>(() => StagingPool.Rent([1], ScalarType.QInt8));
        Assert.Equal("no staging for dtype QInt8 (Parameter 'dtype')", dtype.Message);
    }
}
