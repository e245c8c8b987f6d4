using VgtData.Sampling;

namespace VgtData.Tests.Sampling;

public class DefaultSamplerTests
{
    [Fact]
    public void ShuffledEpochCoversEachIndexOnce()
    {
        var s = new DefaultSampler(1000, seed: 5, rank: 0, worldSize: 1);
        var epoch = s.Indices().ToArray();
        Assert.Equal(Enumerable.Range(0, 1000).Select(i => (long)i), epoch.Order());
        Assert.NotEqual(Enumerable.Range(0, 1000).Select(i => (long)i), epoch);
    }

    [Fact]
    public void DifferentEpochsDifferAndSameSeedRepeats()
    {
        var a = new DefaultSampler(500, seed: 3, rank: 0, worldSize: 1);
        var e0 = a.Indices().ToArray();
        a.SetEpoch(1);
        var e1 = a.Indices().ToArray();
        Assert.NotEqual(e0, e1);
        Assert.Equal(e0.Order(), e1.Order());

        var b = new DefaultSampler(500, seed: 3, rank: 0, worldSize: 1);
        Assert.Equal(e0, b.Indices().ToArray());
        b.SetEpoch(1);
        Assert.Equal(e1, b.Indices().ToArray());

        var c = new DefaultSampler(500, seed: 4, rank: 0, worldSize: 1);
        Assert.NotEqual(e0, c.Indices().ToArray());
    }

    [Fact]
    public void UnshuffledIsInOrder()
    {
        var s = new DefaultSampler(7, shuffle: false, rank: 0, worldSize: 1);
        Assert.Equal(new long[] { 0, 1, 2, 3, 4, 5, 6 }, s.Indices().ToArray());
    }

    [Theory]
    [InlineData(10, 3)]
    [InlineData(12, 4)]
    [InlineData(1, 4)]
    [InlineData(101, 8)]
    public void RoundUpRanksAreDisjointSlicesThatCoverThePaddedOrder(int size, int world)
    {
        var padded = new List<long>();
        var perRank = new long[world][];
        for (var r = 0; r < world; r++)
        {
            var s = new DefaultSampler(size, seed: 11, rank: r, worldSize: world);
            s.SetEpoch(2);
            perRank[r] = s.Indices().ToArray();
            Assert.Equal(s.NumSamples, perRank[r].Length);
            Assert.Equal((size + world - 1) / world, perRank[r].Length);
        }
        // Interleaving the rank slices back gives the padded order: the epoch permutation then its start repeated.
        var order = new DefaultSampler(size, seed: 11, rank: 0, worldSize: 1).EpochOrder(2);
        var total = perRank[0].Length * world;
        for (var g = 0; g < total; g++) padded.Add(perRank[g % world][g / world]);
        Assert.Equal(Enumerable.Range(0, total).Select(g => (long)order[g % size]), padded);
        // Every index appears; only the padding repeats.
        Assert.Equal(size, padded.Distinct().Count());
        Assert.Equal(padded.Take(size).Order(), Enumerable.Range(0, size).Select(i => (long)i));
    }

    [Fact]
    public void WithoutRoundUpRanksPartitionExactly()
    {
        const int size = 10, world = 3;
        var all = new List<long>();
        for (var r = 0; r < world; r++)
        {
            var s = new DefaultSampler(size, seed: 1, roundUp: false, rank: r, worldSize: world);
            var part = s.Indices().ToArray();
            Assert.Equal(r == 0 ? 4 : 3, part.Length);
            all.AddRange(part);
        }
        Assert.Equal(Enumerable.Range(0, size).Select(i => (long)i), all.Order());
    }

    [Fact]
    public void RestoreContinuesTheSameSequence()
    {
        var a = new DefaultSampler(1000, seed: 9, rank: 1, worldSize: 2);
        a.SetEpoch(4);
        var first = a.Indices().Take(357).ToArray();
        var saved = a.State;
        Assert.Equal(new SamplerState(4, 357), saved);
        var rest = a.Indices().ToArray();

        var b = new DefaultSampler(1000, seed: 9, rank: 1, worldSize: 2);
        b.Restore(saved);
        Assert.Equal(rest, b.Indices().ToArray());

        var c = new DefaultSampler(1000, seed: 9, rank: 1, worldSize: 2);
        c.SetEpoch(4);
        Assert.Equal(first.Concat(rest), c.Indices().ToArray());
    }

    [Fact]
    public void SetEpochToTheSameEpochKeepsThePosition()
    {
        var s = new DefaultSampler(100, seed: 2, rank: 0, worldSize: 1);
        s.Restore(new SamplerState(3, 40));
        s.SetEpoch(3);
        Assert.Equal(new SamplerState(3, 40), s.State);
        s.SetEpoch(4);
        Assert.Equal(new SamplerState(4, 0), s.State);
    }

    [Fact]
    public void EnumeratingAgainAfterTheEpochRepeatsIt()
    {
        var s = new DefaultSampler(20, seed: 2, rank: 0, worldSize: 1);
        var a = s.Indices().ToArray();
        Assert.Equal(new SamplerState(0, 20), s.State);
        Assert.Equal(a, s.Indices().ToArray());
    }

    [Fact]
    public void EmptyDatasetYieldsNothing()
    {
        Assert.Empty(new DefaultSampler(0, rank: 0, worldSize: 2).Indices());
    }

    [Fact]
    public void BadRankIsRejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new DefaultSampler(10, rank: 2, worldSize: 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => new DefaultSampler(10, rank: 0, worldSize: 0));
        var s = new DefaultSampler(10, rank: 0, worldSize: 1);
        Assert.Throws<ArgumentOutOfRangeException>(() => s.Restore(new SamplerState(0, 11)));
    }

    [Theory]
    [InlineData(0, 1)]
    [InlineData(2, 3)]
    public void DrawsUseTheSamplersEpochAndEpochIndicesMatchIt(int rank, int world)
    {
        var s = new DefaultSampler(11, shuffle: true, seed: 5, rank: rank, worldSize: world);
        for (int epoch = 0; epoch < 3; epoch++)
        {
            var fresh = new DefaultSampler(11, shuffle: true, seed: 5, rank: rank, worldSize: world);
            Assert.Equal(fresh.EpochIndices(epoch), Enumerable.Empty<long>().Concat(EpochOf(epoch)));
            s.SetEpoch(epoch);
            var draws = s.Draws().ToArray();
            Assert.All(draws, d => Assert.Equal(epoch, d.DrawEpoch));
            Assert.Equal(fresh.EpochIndices(epoch), draws.Select(d => d.Index));
        }

        IEnumerable<long> EpochOf(int epoch)
        {
            var order = s.EpochOrder(epoch);
            for (long k = 0; k < s.NumSamples; k++) yield return order[(rank + k * world) % 11];
        }
    }
}
