using VgtData.Sampling;

namespace VgtData.Tests.Sampling;

/// <summary>VGT's FixedBatchMultiSourceSampler: sources in turn, repeat[s] consecutive batches each, rank-sliced streams.</summary>
public class FixedBatchMultiSourceSamplerTests
{
    private static long[][] Take(FixedBatchMultiSourceSampler s, int n) => s.Batches().Take(n).ToArray();

    private static (long, int)[][] TakeDraws(FixedBatchMultiSourceSampler s, int n) =>
        s.BatchDraws().Take(n).Select(b => b.Select(d => (d.Index, d.DrawEpoch)).ToArray()).ToArray();

    [Fact]
    public void UnshuffledOrderWorkedOutByHand()
    {
        // Sources of 3 and 2 (global 0..2 and 3..4), repeat [2, 1], batches of 2: s0, s0, s1, s0, s0, s1, s0, ...
        // Source 0's stream is 0 1 2 | 0 1 2 | 0 1 2 ..., source 1's is 3 4 | 3 4 | ...; the draw epoch is the pass.
        var s = new FixedBatchMultiSourceSampler([3, 2], [2, 1], batchSize: 2, shuffle: false, rank: 0, worldSize: 1);
        Assert.Equal(
            [
                [(0L, 0), (1L, 0)],
                [(2L, 0), (0L, 1)],
                [(3L, 0), (4L, 0)],
                [(1L, 1), (2L, 1)],
                [(0L, 2), (1L, 2)],
                [(3L, 1), (4L, 1)],
                [(2L, 2), (0L, 3)],
            ],
            TakeDraws(s, 7));
        Assert.Equal(new SamplerState(0, 7), s.State);
    }

    [Fact]
    public void UnshuffledRanksWorkedOutByHand()
    {
        // World size 2: rank r takes items r, r + 2, r + 4, ... of every source's stream (islice(stream, r, None, 2)).
        // Source 0's stream 0 1 2 0 1 2 0 1 2 0 1 2 ...: rank 0 gets 0 2 1 0 2 1 (passes 0 0 1 2 2 3), rank 1 gets 1 0 2 1 0 2
        // (passes 0 1 1 2 3 3). Source 1's stream 3 4 3 4: rank 0 gets 3 3 (passes 0 1), rank 1 gets 4 4 (passes 0 1).
        var r0 = new FixedBatchMultiSourceSampler([3, 2], [2, 1], batchSize: 2, shuffle: false, rank: 0, worldSize: 2);
        var r1 = new FixedBatchMultiSourceSampler([3, 2], [2, 1], batchSize: 2, shuffle: false, rank: 1, worldSize: 2);
        Assert.Equal(
            [[(0L, 0), (2L, 0)], [(1L, 1), (0L, 2)], [(3L, 0), (3L, 1)], [(2L, 2), (1L, 3)]],
            TakeDraws(r0, 4));
        Assert.Equal(
            [[(1L, 0), (0L, 1)], [(2L, 1), (1L, 2)], [(4L, 0), (4L, 1)], [(0L, 3), (2L, 3)]],
            TakeDraws(r1, 4));
    }

    /// <summary>VGT's __iter__, written as Python writes it: one endless rank-sliced generator per source, then the cycle.</summary>
    private static IEnumerable<long[]> VgtReference(FixedBatchMultiSourceSampler sampler, int[] sizes, int[] repeat, int batchSize, int rank, int world)
    {
        IEnumerable<long> Infinite(int source)
        {
            for (long pass = 0; ; pass++)
                foreach (var i in sampler.SourceOrder(source, pass)) yield return i;
        }
        var offsets = sizes.Select((_, s) => (long)sizes.Take(s).Sum()).ToArray();
        var streams = sizes.Select((_, s) => Infinite(s).Where((_, k) => k % world == rank).GetEnumerator()).ToArray();
        while (true)
            for (int s = 0; s < sizes.Length; s++)
                for (int r = 0; r < repeat[s]; r++)
                {
                    var batch = new long[batchSize];
                    for (int j = 0; j < batchSize; j++)
                    {
                        streams[s].MoveNext();
                        batch[j] = streams[s].Current + offsets[s];
                    }
                    yield return batch;
                }
    }

    [Theory]
    [InlineData(0, 1)]
    [InlineData(0, 3)]
    [InlineData(2, 3)]
    public void ShuffledOrderFollowsVgtsLoop(int rank, int world)
    {
        int[] sizes = [7, 0, 5, 11];
        int[] repeat = [2, 0, 1, 3];
        var sampler = new FixedBatchMultiSourceSampler(sizes, repeat, batchSize: 4, shuffle: true, seed: 9, rank: rank, worldSize: world);
        var expected = VgtReference(sampler, sizes, repeat, 4, rank, world).Take(60).ToArray();
        Assert.Equal(expected, Take(sampler, 60));
        // Sources in turn: 0 0 2 3 3 3, again and again; source 1 (repeat 0, empty) never appears.
        int[] cycle = [0, 0, 2, 3, 3, 3];
        Assert.Equal(Enumerable.Range(0, 60).Select(b => cycle[b % 6]), Enumerable.Range(0, 60).Select(b => sampler.SourceOf(b)));
    }

    [Fact]
    public void BatchesOfASourceBeforeAnyBatchAreCounted()
    {
        var sampler = new FixedBatchMultiSourceSampler([7, 0, 5, 11], [2, 0, 1, 3], batchSize: 4, rank: 0, worldSize: 1);
        Assert.Equal(6, sampler.CycleLength);
        var counts = new long[4];
        for (long b = 0; b < 40; b++)
        {
            for (int s = 0; s < 4; s++) Assert.Equal(counts[s], sampler.BatchesOfSourceBefore(s, b));
            counts[sampler.SourceOf(b)]++;
        }
    }

    [Fact]
    public void EveryRankIsOnTheSameSourceAndRanksSplitEachPass()
    {
        const int world = 3;
        int[] sizes = [12, 9];
        var ranks = Enumerable.Range(0, world)
            .Select(r => new FixedBatchMultiSourceSampler(sizes, [1, 2], batchSize: 2, seed: 4, rank: r, worldSize: world).BatchDraws().Take(30).ToArray())
            .ToArray();
        for (int b = 0; b < 30; b++)
        {
            var sources = ranks.Select(r => r[b][0].Index < 12 ? 0 : 1).Distinct().ToArray();
            Assert.Single(sources);
            Assert.All(ranks, r => Assert.All(r[b], d => Assert.Equal(sources[0], d.Index < 12 ? 0 : 1)));
        }
        // Within one pass of a source, the ranks together take each index exactly once.
        var pass0OfSource0 = ranks.SelectMany(r => r.SelectMany(b => b)).Where(d => d.Index < 12 && d.DrawEpoch == 0).Select(d => d.Index);
        Assert.Equal(Enumerable.Range(0, 12).Select(i => (long)i), pass0OfSource0.Order());
    }

    [Fact]
    public void RestoreContinuesExactly()
    {
        var all = Take(new FixedBatchMultiSourceSampler([7, 5, 3], [1, 3, 2], 4, seed: 2, rank: 1, worldSize: 2), 200);
        foreach (var stop in new[] { 0, 1, 5, 6, 97 })
        {
            var a = new FixedBatchMultiSourceSampler([7, 5, 3], [1, 3, 2], 4, seed: 2, rank: 1, worldSize: 2);
            Assert.Equal(all.Take(stop), Take(a, stop));
            var saved = a.State;
            Assert.Equal(new SamplerState(0, stop), saved);
            var b = new FixedBatchMultiSourceSampler([7, 5, 3], [1, 3, 2], 4, seed: 2, rank: 1, worldSize: 2);
            b.Restore(saved);
            Assert.Equal(all.Skip(stop), Take(b, 200 - stop));
        }
    }

    [Fact]
    public void SeedAndShuffleChangeTheOrderNotTheCycle()
    {
        long[][] Run(int seed, bool shuffle) => Take(new FixedBatchMultiSourceSampler([20, 30], [1, 1], 5, shuffle, seed, 0, 1), 40);
        Assert.Equal(Run(3, true), Run(3, true));
        Assert.NotEqual(Run(3, true), Run(4, true));
        Assert.NotEqual(Run(3, true), Run(3, false));
        // Each pass over a source is a permutation of it.
        var source0 = Run(3, true).Where((_, b) => b % 2 == 0).SelectMany(b => b).Take(40).ToArray();
        Assert.Equal(Enumerable.Range(0, 20).Select(i => (long)i), source0[..20].Order());
        Assert.Equal(Enumerable.Range(0, 20).Select(i => (long)i), source0[20..].Order());
        Assert.NotEqual(source0[..20], source0[20..]);
    }

    [Fact]
    public void BadArgumentsAreRejected()
    {
        Assert.Throws<ArgumentException>(() => new FixedBatchMultiSourceSampler([10], [1, 2], 4, rank: 0, worldSize: 1));
        Assert.Throws<ArgumentException>(() => new FixedBatchMultiSourceSampler([10, 10], [0, 0], 4, rank: 0, worldSize: 1));
        var empty = Assert.Throws<ArgumentException>(() => new FixedBatchMultiSourceSampler([10, 0], [1, 2], 4, rank: 0, worldSize: 1));
        Assert.Contains("source 1 is empty but its repeat is 2", empty.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => new FixedBatchMultiSourceSampler([10], [-1], 4, rank: 0, worldSize: 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new FixedBatchMultiSourceSampler([10], [1], 0, rank: 0, worldSize: 1));
    }
}
