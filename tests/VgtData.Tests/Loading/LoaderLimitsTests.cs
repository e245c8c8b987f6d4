using VgtData.Collate;
using VgtData.Loading;
using VgtData.Preparation;
using VgtData.Tests.Config;

namespace VgtData.Tests.Loading;

/// <summary>Worker and prefetch limits, refused alike in a config and on bench's command line, and the bound on the
/// bytes the batches in flight stage (without it every planned batch rented its pixel block up front).</summary>
public sealed class LoaderLimitsTests(LoaderFixture data) : IClassFixture<LoaderFixture>, IDisposable
{
    private readonly ConfigDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private string Config(string loader)
    {
        SyntheticDataset.Write(_dir.Root, 4, [(96, 96)], seed: 1, workers: 1);
        return _dir.Write("config.json", $$"""
            { "tokenizer": "embedded:o200k", "image_size": 64,
              "dataset": { "type": "CaptionDataset", "data_path": "data.json", "image_folder": "." },
              "train_dataloader": { "batch_size": 2{{loader}} } }
            """);
    }

    [Theory]
    [InlineData(", \"num_workers\": 257", "train_dataloader.num_workers: 257 is out of range: expected [0, 256]")]
    [InlineData(", \"num_workers\": 100000", "train_dataloader.num_workers: 100000 is out of range: expected [0, 256]")]
    [InlineData(", \"prefetch_factor\": 65", "train_dataloader.prefetch_factor: 65 is out of range: expected [0, 64]")]
    [InlineData(", \"prefetch_factor\": 1024", "train_dataloader.prefetch_factor: 1024 is out of range: expected [0, 64]")]
    public void BenchRefusesAConfigOutOfRange(string loader, string reason)
    {
        var config = Config(loader);
        var (code, stdout, error) = ConfigDir.Cli("bench", config, "--batches", "1");
        Assert.Equal(1, code);
        Assert.Equal("", stdout);
        Assert.Equal($"vgtdata bench: error: {config}: {reason}\n", error);
    }

    [Theory]
    [InlineData("--workers", "257", "--workers: 257 is out of range: expected [0, 256]")]
    [InlineData("--workers", "100000", "--workers: 100000 is out of range: expected [0, 256]")]
    [InlineData("--workers", "-1", "--workers: -1 is out of range: expected [0, 256]")]
    [InlineData("--prefetch", "65", "--prefetch: 65 is out of range: expected [0, 64]")]
    [InlineData("--prefetch", "1024", "--prefetch: 1024 is out of range: expected [0, 64]")]
    public void BenchRefusesOptionsOutOfRange(string option, string value, string reason)
    {
        var (code, stdout, error) = ConfigDir.Cli("bench", Config(""), option, value, "--batches", "1");
        Assert.Equal(1, code);
        Assert.Equal("", stdout);
        Assert.Equal($"vgtdata bench: {reason}\n", error);
    }

    [Theory]
    [InlineData(257, 2, "num_workers: 257 is out of range: expected [0, 256]")]
    [InlineData(-1, 2, "num_workers: -1 is out of range: expected [0, 256]")]
    [InlineData(2, 65, "prefetch_factor: 65 is out of range: expected [0, 64]")]
    public void TheLoaderRefusesTheSameValues(int workers, int prefetch, string message)
    {
        var e = Assert.Throws<VgtDataException>(() => LoaderFixture.Loader(data.Dataset(), LoaderFixture.Infinite(), workers, prefetch));
        Assert.Equal(message, e.Message);
    }

    private DataLoader Loader(int prefetch, long? budget) =>
        new(data.Dataset(), LoaderFixture.Infinite(), new Collator(new CollateOptions { Seed = 4 }),
            new DataLoaderOptions { BatchSize = 8, NumWorkers = 2, PrefetchFactor = prefetch, MaxBatches = 30, MaxBytesInFlight = budget });

    [Fact]
    public void StagedBytesInFlightStayWithinTheBudgetAndTheBatchesAreUnchanged()
    {
        const long batchBytes = 8 * 3 * 16 * 16 * 4;   // float32 [8,3,16,16]
        // The old crash's cause at small scale: with no byte bound, all workers x prefetch batches (here 30 of 128) get
        // their staging block the moment enumeration starts.
        using (var unbounded = Loader(prefetch: 64, budget: long.MaxValue))
        using (var e = unbounded.GetEnumerator())
        {
            Assert.True(e.MoveNext());
            e.Current.Dispose();
            Assert.Equal(29, unbounded.BatchesPlanned);
            Assert.Equal(29 * batchBytes, unbounded.BytesInFlight);
        }
        var expected = BatchSnapshot.Take(Loader(prefetch: 2, budget: null), 30);
        using var bounded = Loader(prefetch: 64, budget: 3 * batchBytes);
        var actual = new List<BatchSnapshot>();
        int mostPlanned = 0;
        foreach (var batch in bounded)
        {
            using (batch) actual.Add(BatchSnapshot.Of(batch));
            Assert.InRange(bounded.BytesInFlight, 0, 3 * batchBytes);
            mostPlanned = Math.Max(mostPlanned, bounded.BatchesPlanned);
        }
        Assert.Equal(3, mostPlanned);
        BatchSnapshot.AssertSame(expected, actual, "prefetch 64 within 3 batches' bytes");
    }

    [Fact]
    public void ABatchLargerThanTheBudgetStillRunsAlone()
    {
        using var loader = Loader(prefetch: 4, budget: 1);
        int batches = 0;
        foreach (var batch in loader)
        {
            using (batch) batches++;
            Assert.InRange(loader.BatchesPlanned, 0, 1);
        }
        Assert.Equal(30, batches);
    }
}

/// <summary>What the loader keeps about batches already handed out: nothing that grows with their number.</summary>
public sealed class LoaderBookkeepingTests(LoaderFixture data) : IClassFixture<LoaderFixture>
{
    /// <summary>Every collection the loader and its running enumeration hold in a field, with its element count.</summary>
    private static IEnumerable<(string Field, int Count)> Collections(object owner)
    {
        const System.Reflection.BindingFlags Instance = System.Reflection.BindingFlags.Instance
            | System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.NonPublic;
        foreach (var field in owner.GetType().GetFields(Instance))
        {
            var value = field.GetValue(owner);
            if (value is System.Collections.ICollection c) yield return ($"{owner.GetType().Name}.{field.Name}", c.Count);
            else if (value is not null && field.Name == "_active")
                foreach (var inner in Collections(value)) yield return inner;
        }
    }

    [Fact]
    public void NoCollectionGrowsWithTheBatchesOfAnInfiniteSampler()
    {
        using var loader = LoaderFixture.Loader(data.Dataset(), LoaderFixture.Infinite(), workers: 2, prefetch: 2, batchSize: 2, maxBatches: 600);
        int bound = loader.Options.BatchesInFlight * loader.Options.BatchSize;
        int batches = 0, seen = 0;
        foreach (var batch in loader)
        {
            batch.Dispose();
            if (++batches % 100 != 0) continue;
            foreach (var (field, count) in Collections(loader))
            {
                seen++;
                Assert.True(count <= bound, $"{field} holds {count} items after {batches} batches (at most {bound} are in flight)");
            }
        }
        Assert.Equal(600, batches);
        Assert.True(seen >= 6, "the running enumeration's queues were not found");
    }
}
