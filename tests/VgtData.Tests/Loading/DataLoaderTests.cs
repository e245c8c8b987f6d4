using VgtData.Datasets;
using VgtData.Loading;
using VgtData.Sampling;
using static VgtData.Tests.Loading.BatchSnapshot;

namespace VgtData.Tests.Loading;

public sealed class DataLoaderTests(LoaderFixture data) : IClassFixture<LoaderFixture>
{
    private List<BatchSnapshot> Reference(int n)
    {
        using var ds = data.Dataset();
        using var loader = LoaderFixture.Loader(ds, LoaderFixture.Infinite(), workers: 0);
        return Take(loader, n);
    }

    [Fact]
    public void BatchesFollowTheSamplerAndCarryTheirSamples()
    {
        var batches = Reference(6);
        var expected = LoaderFixture.Infinite().Indices().Take(48).Select(i => (int)i).ToArray();
        Assert.Equal(expected, batches.SelectMany(b => b.Indices));
        Assert.Equal([0L, 1, 2, 3, 4, 5], batches.Select(b => b.Number));
        Assert.All(batches, b => Assert.Equal(8 * 3 * 16 * 16 * 4, b.Pixels.Length));
        Assert.All(batches, b => Assert.Equal(8, b.InputIdsShape[0]));
        // Some of the 48 samples drew CFG (unconditional 0.3), some did not.
        var cfg = batches.SelectMany(b => b.Cfg).ToList();
        Assert.Contains(true, cfg);
        Assert.Contains(false, cfg);
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(1, 3)]
    [InlineData(2, 1)]
    [InlineData(2, 3)]
    [InlineData(4, 1)]
    [InlineData(4, 3)]
    public void SameBatchesForAnyWorkerCountAndPrefetch(int workers, int prefetch)
    {
        var expected = Reference(6);
        using var ds = data.Dataset();
        using var loader = LoaderFixture.Loader(ds, LoaderFixture.Infinite(), workers, prefetch);
        AssertSame(expected, Take(loader, 6), $"num_workers={workers} prefetch={prefetch}");
    }

    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    public void ResumeFromSavedStateContinuesTheSequence(int workers)
    {
        var uninterrupted = Reference(6);

        LoaderState saved;
        using (var ds = data.Dataset())
        using (var loader = LoaderFixture.Loader(ds, LoaderFixture.Infinite(), workers))
        {
            AssertSame(uninterrupted.Take(3).ToList(), Take(loader, 3), "first run");
            saved = loader.State;
        }
        Assert.Equal(3, saved.Batches);
        Assert.Equal(24, saved.Samples);
        Assert.Equal(24, saved.Sampler.Position);

        foreach (var state in new[] { saved, LoaderState.FromJson(saved.ToJson()) })
        {
            Assert.Equal(saved, state);
            using var ds = data.Dataset();
            using var loader = LoaderFixture.Loader(ds, LoaderFixture.Infinite(), workers);
            loader.Restore(state);
            AssertSame(uninterrupted.Skip(3).ToList(), Take(loader, 3), "resumed run");
            Assert.Equal(6, loader.State.Batches);
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(2)]
    public void LeavingTheForeachAndEnumeratingAgainContinuesExactly(int workers)
    {
        var uninterrupted = Reference(6);
        using var ds = data.Dataset();
        using var loader = LoaderFixture.Loader(ds, LoaderFixture.Infinite(), workers, prefetch: 3);
        var parts = new List<BatchSnapshot>();
        parts.AddRange(Take(loader, 1));
        parts.AddRange(Take(loader, 2));
        parts.AddRange(Take(loader, 3));
        AssertSame(uninterrupted, parts, "1 + 2 + 3 batches");
    }

    [Theory]
    [InlineData(0)]
    [InlineData(2)]
    public void DefaultSamplerGivesALastPartialBatch(int workers)
    {
        using var ds = data.Dataset();
        using (var loader = LoaderFixture.Loader(ds, new DefaultSampler(LoaderFixture.Count, shuffle: true, seed: 3, rank: 0, worldSize: 1),
                   workers, batchSize: 16))
        {
            var batches = Take(loader, 100);
            Assert.Equal([16, 16, 8], batches.Select(b => b.Indices.Length));
            Assert.Equal(Enumerable.Range(0, LoaderFixture.Count), batches.SelectMany(b => b.Indices).Order());
            Assert.Equal(8, batches[2].InputIdsShape[0]);
            Assert.Equal(8 * 3 * 16 * 16 * 4, batches[2].Pixels.Length);
            Assert.Equal(3, loader.State.Batches);
            Assert.Equal(40, loader.State.Samples);
        }
        using (var loader = LoaderFixture.Loader(ds, new DefaultSampler(LoaderFixture.Count, shuffle: true, seed: 3, rank: 0, worldSize: 1),
                   workers, batchSize: 16, dropLast: true))
            Assert.Equal([16, 16], Take(loader, 100).Select(b => b.Indices.Length));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(2)]
    public void MaxBatchesIsRespected(int workers)
    {
        using var ds = data.Dataset();
        using var loader = LoaderFixture.Loader(ds, LoaderFixture.Infinite(), workers, maxBatches: 3);
        Assert.Equal(3, Take(loader, 100).Count);
        Assert.Equal(3, loader.State.Batches);
        Assert.Empty(Take(loader, 100));
    }

    /// <summary>A dataset that throws a plain exception (not a bad sample) for one index.</summary>
    private sealed class ThrowingDataset(CaptionDataset inner, int badIndex) : ISampleDataset
    {
        public int Count => ((ISampleDataset)inner).Count;
        public SampleFailureLog Failures => inner.Failures;
        public StageTimes? Stats { get => inner.Stats; set => inner.Stats = value; }
        public (int Height, int Width)? SampleSize => inner.SampleSize;
        public string Describe(int index) => inner.Describe(index);

        public CaptionSample GetSample(int index, int epoch = 0) =>
            index == badIndex ? throw new InvalidOperationException("boom in the dataset") : inner.GetSample(index, epoch);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(4)]
    public void WorkerExceptionReachesTheConsumerNamingTheIndex(int workers)
    {
        using var ds = data.Dataset();
        var throwing = new ThrowingDataset(ds, badIndex: 13);
        using var loader = LoaderFixture.Loader(throwing, new DefaultSampler(LoaderFixture.Count, shuffle: false, rank: 0, worldSize: 1), workers);
        var delivered = new List<int[]>();
        var e = Assert.Throws<VgtDataException>(() =>
        {
            foreach (var batch in loader)
                using (batch) delivered.Add(batch.Samples.Select(s => s.Index).ToArray());
        });
        Assert.Contains("sample 13", e.Message);
        Assert.Contains("img13.png", e.Message);
        Assert.Contains("boom in the dataset", e.Message);
        Assert.IsType<InvalidOperationException>(e.InnerException);
        // Batch 0 (indices 0..7) came out before the one holding index 13 failed.
        Assert.Single(delivered);
        Assert.Equal(Enumerable.Range(0, 8), delivered[0]);
        Assert.Equal(1, loader.State.Batches);
    }

    [Fact]
    public void BadSamplesAreReplacedInsideTheLoader()
    {
        using var ds = data.Dataset();
        var reference = Reference(6);
        // The same dataset with entry 5's file gone: its slot is served by a replacement, the rest is untouched.
        var missing = data.Images.PathOf("img05.png");
        var moved = missing + ".away";
        File.Move(missing, moved);
        try
        {
            using var loader = LoaderFixture.Loader(ds, LoaderFixture.Infinite(), workers: 2);
            var batches = Take(loader, 6);
            for (int b = 0; b < 6; b++)
            {
                Assert.Equal(reference[b].Indices, batches[b].Indices);
                for (int i = 0; i < 8; i++)
                    if (batches[b].Indices[i] == 5) Assert.NotEqual(5, batches[b].SourceIndices[i]);
                    else Assert.Equal(reference[b].SourceIndices[i], batches[b].SourceIndices[i]);
            }
            Assert.Contains(ds.Failures.Recorded, f => f.Index == 5 && f.Reason == SampleFailureReason.MissingFile && f.Path == missing);
        }
        finally
        {
            File.Move(moved, missing);
        }
    }
}
