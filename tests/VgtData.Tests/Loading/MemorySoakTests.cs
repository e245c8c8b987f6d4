using System.Globalization;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using VgtData.Collate;
using VgtData.Datasets;
using VgtData.Loading;
using VgtData.Sampling;
using VgtData.Tests.Fixtures;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace VgtData.Tests.Loading;

/// <summary>Runs alone: it reads the process's RSS and the staging pool's process-wide counters.</summary>
[CollectionDefinition(nameof(MemorySoakCollection), DisableParallelization = true)]
public sealed class MemorySoakCollection;

/// <summary>24 small noise PNGs with captions of 3 to 50 words, so the padded token length changes between batches.</summary>
public sealed class SoakFixture : IDisposable
{
    public const int Count = 24;

    public SoakFixture()
    {
        var words = "red blue quiet bright misty river mountain city forest cat boat house tree sky light shadow street garden".Split(' ');
        var random = new Random(5);
        var entries = new List<object>();
        for (int i = 0; i < Count; i++)
        {
            Images.WriteNoisePng($"img{i:00}.png", 96 + (i % 4) * 16, 96 + (i % 3) * 16, seed: i);
            var caption = string.Join(' ', Enumerable.Range(0, random.Next(3, 51)).Select(_ => words[random.Next(words.Length)]));
            entries.Add(new { image = $"img{i:00}.png", caption });
        }
        Images.WriteManifest("data.json", entries);
    }

    public TestImages Images { get; } = new();

    public void Dispose() => Images.Dispose();
}

[Collection(nameof(MemorySoakCollection))]
public sealed class MemorySoakTests(SoakFixture data, ITestOutputHelper output) : IClassFixture<SoakFixture>
{
    private const int ImageSize = 256;          // a 3 MB float pixel batch at batch 4: far above glibc's mmap threshold
    private const int WarmupBatches = 100;
    private const int TotalBatches = 400;
    private const int Every = 50;
    private const double MarginMb = 64;         // a per-batch heap leak of this pixel batch grows by ~0.5–1 GB here

    private static double? RssMb()
    {
        if (!File.Exists("/proc/self/status")) return null;
        foreach (var line in File.ReadLines("/proc/self/status"))
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                return double.Parse(line[6..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) / 1024.0;
        return null;
    }

    /// <summary>RSS once the managed heap is settled, so garbage not yet collected is not read as growth.</summary>
    private static double SettledRssMb()
    {
        for (int i = 0; i < 2; i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }
        return RssMb()!.Value;
    }

    private static double ManagedMb() => GC.GetTotalMemory(false) / 1048576.0;

    private DataLoader Loader(int batchSize, long maxBatches) =>
        new(new CaptionDataset(data.Images.Options(imageSize: ImageSize) with { Unconditional = 0.2, Seed = 3 }),
            new InfiniteSampler(SoakFixture.Count, shuffle: true, seed: 11, rank: 0, worldSize: 1),
            new Collator(new CollateOptions { Seed = 2 }),
            new DataLoaderOptions { BatchSize = batchSize, NumWorkers = 2, PrefetchFactor = 2, MaxBatches = maxBatches });

    [SkippableFact]
    public void RssStaysFlatOverFourHundredBatchesOfFour()
    {
        Skip.If(RssMb() is null, "no /proc/self/status: cannot read RSS");
        var curve = new List<(long Batch, double Mb, double ManagedMb)>();
        double baseline = 0;
        long createdAtWarmup = 0;
        var lengths = new HashSet<long>();
        using (var loader = Loader(4, TotalBatches))
        {
            foreach (var batch in loader)
            {
                using (batch) lengths.Add(batch.InputIds.shape[1]);
                long n = loader.State.Batches;
                if (n == WarmupBatches)
                {
                    baseline = SettledRssMb();
                    createdAtWarmup = StagingPool.CreatedCount;
                    curve.Add((n, baseline, ManagedMb()));
                }
                else if (n > WarmupBatches && n % Every == 0) curve.Add((n, SettledRssMb(), ManagedMb()));
            }
        }
        string shown = string.Join(", ", curve.Select(p => $"{p.Batch}: {p.Mb:0.0} MB (managed {p.ManagedMb:0.0})"));
        output.WriteLine($"RSS after batch: {shown}");
        Assert.True(lengths.Count >= 5, $"captions gave only {lengths.Count} token lengths; the soak needs T to vary");
        double growth = curve.Max(p => p.Mb) - baseline;
        Assert.True(growth <= MarginMb, $"RSS grew by {growth:0.0} MB after {WarmupBatches} warm-up batches (limit {MarginMb} MB): {shown}");
        // Blocks are reused: after warm-up at most a few more (a burst of finished batches), never one per batch.
        long created = StagingPool.CreatedCount - createdAtWarmup;
        int bound = 3 * (new DataLoaderOptions { NumWorkers = 2, PrefetchFactor = 2 }.BatchesInFlight + 2);
        Assert.True(created <= bound, $"{created} staging blocks were allocated in {TotalBatches - WarmupBatches} batches after warm-up (at most {bound} expected)");
    }

    [Fact]
    public void PixelsKeptPastTheBatchStayIntactWhileTheLoaderReusesBlocks()
    {
        Tensor? kept = null;
        byte[]? expected = null;
        using (var loader = Loader(4, 30))
        {
            foreach (var batch in loader)
            {
                using (batch)
                {
                    if (batch.Number == 0)
                    {
                        kept = batch.PixelValues!.alias();
                        expected = kept.bytes.ToArray();
                    }
                }
            }
        }
        using (kept)
        {
            // 29 later batches of the same shape were written while the caller still held batch 0's pixels.
            Assert.True(kept!.bytes.SequenceEqual(expected), "a kept view of batch 0's pixels was overwritten by a later batch");
        }
    }

    [Fact]
    public void BlockReturnsOnlyWhenTheLastViewIsReleased()
    {
        long[] shape = [1234, 1001];   // a size no other test stages, so the pool's stack for it is ours alone
        var first = StagingPool.Rent(shape, ScalarType.Byte);
        first.bytes.Fill(7);
        var view = first.narrow(0, 10, 5);
        long firstAddress = Address(first);
        first.Dispose();

        using (var second = StagingPool.Rent(shape, ScalarType.Byte))
        {
            Assert.NotEqual(firstAddress, Address(second));
            second.bytes.Fill(9);
            Assert.All(view.bytes.ToArray(), b => Assert.Equal(7, b));
        }
        view.Dispose();   // the storage's last reference: the block goes back and is handed out again
        using var third = StagingPool.Rent(shape, ScalarType.Byte);
        Assert.Equal(firstAddress, Address(third));
    }

    private static unsafe long Address(Tensor t) => (long)Unsafe.AsPointer(ref MemoryMarshal.GetReference(t.bytes));

    [Theory]
    [InlineData(1, 4096)]
    [InlineData(4096, 4096)]
    [InlineData(4097, 8192)]
    [InlineData(600_000, 1 << 20)]
    [InlineData(9_633_792, 9_633_792)]
    [InlineData(9_633_793, 9_637_888)]
    public void BucketsAreFewAndCoverTheRequest(long bytes, long bucket) => Assert.Equal(bucket, StagingPool.BucketSize(bytes));
}
