using VgtData.Sampling;

namespace VgtData.Tests.Sampling;

public class WeightedMultiSourceSamplerTests
{
    private static readonly int[] Sizes = [100, 300, 50, 0];
    private static readonly double[] Repeat = [1.0, 1.0, 4.0, 3.0];

    private static WeightedMultiSourceSampler Make(int rank = 0, int world = 1, int seed = 1, bool shuffle = true) =>
        new(Sizes, Repeat, batchSize: 8, shuffle: shuffle, seed: seed, rank: rank, worldSize: world);

    [Fact]
    public void EachBatchComesFromOneSource()
    {
        var cumulative = ConcatIndex.CumulativeSizes(Sizes);
        foreach (var batch in Make().Batches().Take(2000))
        {
            Assert.Equal(8, batch.Length);
            var sources = batch.Select(i => ConcatIndex.Locate(cumulative, i).Dataset).Distinct().ToArray();
            Assert.Single(sources);
        }
    }

    [Fact]
    public void SourceSharesFollowSizeTimesRepeat()
    {
        const int n = 20000;
        var cumulative = ConcatIndex.CumulativeSizes(Sizes);
        var counts = new int[Sizes.Length];
        foreach (var batch in Make().Batches().Take(n)) counts[ConcatIndex.Locate(cumulative, batch[0]).Dataset]++;
        // weights 100, 300, 200, 0 of 600
        Assert.Equal(1.0 / 6, counts[0] / (double)n, 0.015);
        Assert.Equal(3.0 / 6, counts[1] / (double)n, 0.015);
        Assert.Equal(2.0 / 6, counts[2] / (double)n, 0.015);
        Assert.Equal(0, counts[3]);
        Assert.Equal(2.0 / 6, Make().Weight(2), 1e-12);
    }

    [Fact]
    public void WithinASourceEveryIndexIsUsedOncePerPass()
    {
        var cumulative = ConcatIndex.CumulativeSizes(Sizes);
        var fromSource2 = Make().Batches().Take(3000)
            .Where(b => ConcatIndex.Locate(cumulative, b[0]).Dataset == 2)
            .SelectMany(b => b).Take(200).ToArray(); // 4 passes over source 2 (50 items, offset 400)
        foreach (var pass in fromSource2.Chunk(50))
            Assert.Equal(Enumerable.Range(400, 50).Select(i => (long)i), pass.Order());
        Assert.NotEqual(fromSource2[..50], fromSource2[50..100]);
    }

    [Fact]
    public void UnshuffledSourcesAreReadInOrder()
    {
        var cumulative = ConcatIndex.CumulativeSizes(Sizes);
        var fromSource0 = Make(shuffle: false).Batches().Take(500)
            .Where(b => ConcatIndex.Locate(cumulative, b[0]).Dataset == 0)
            .SelectMany(b => b).Take(120).ToArray();
        Assert.Equal(Enumerable.Range(0, 120).Select(i => (long)(i % 100)), fromSource0);
    }

    [Fact]
    public void SameSeedSameBatchesOtherSeedOther()
    {
        var a = Make(seed: 3).Batches().Take(100).SelectMany(b => b).ToArray();
        var b = Make(seed: 3).Batches().Take(100).SelectMany(b => b).ToArray();
        var c = Make(seed: 4).Batches().Take(100).SelectMany(b => b).ToArray();
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
    }

    [Fact]
    public void RanksTakeDisjointInterleavedBatches()
    {
        const int world = 3;
        var whole = Make().Batches().Take(300).ToArray();
        for (var r = 0; r < world; r++)
        {
            var part = Make(rank: r, world: world).Batches().Take(100).ToArray();
            Assert.Equal(whole.Where((_, g) => g % world == r), part);
        }
    }

    [Fact]
    public void RestoreContinuesExactly()
    {
        var all = Make(rank: 1, world: 2).Batches().Take(1000).ToArray();

        var a = Make(rank: 1, world: 2);
        var head = a.Batches().Take(357).ToArray();
        Assert.Equal(all.Take(357), head);
        var saved = a.State;
        Assert.Equal(new SamplerState(0, 357), saved);

        var b = Make(rank: 1, world: 2);
        b.Restore(saved);
        Assert.Equal(all.Skip(357), b.Batches().Take(1000 - 357).ToArray());
    }

    [Fact]
    public void BadArgumentsAreRejected()
    {
        Assert.Throws<ArgumentException>(() => new WeightedMultiSourceSampler([10], [1.0, 2.0], 4, rank: 0, worldSize: 1));
        Assert.Throws<ArgumentException>(() => new WeightedMultiSourceSampler([0, 10], [1.0, 0.0], 4, rank: 0, worldSize: 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new WeightedMultiSourceSampler([10], [-1.0], 4, rank: 0, worldSize: 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new WeightedMultiSourceSampler([10], [1.0], 0, rank: 0, worldSize: 1));
    }
}
