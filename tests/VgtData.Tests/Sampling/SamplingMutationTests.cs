using VgtData.Sampling;

namespace VgtData.Tests.Sampling;

/// <summary>Sampler arithmetic that mutation testing found unguarded: the generator itself, cursor bounds, rank edges.</summary>
public sealed class SamplingMutationTests
{
    [Fact]
    public void SplitMix64MatchesTheReferenceOutputsForSeedZero()
    {
        // Vigna's splitmix64.c with x = 0: the first three outputs.
        var rng = new SplitMix64(0);
        Assert.Equal(0xE220A8397B1DCDAFUL, rng.Next());
        Assert.Equal(0x6E789E6AA1B965F4UL, rng.Next());
        Assert.Equal(0x06C45D188009454FUL, rng.Next());
    }

    [Fact]
    public void BoundedDrawsStayInRangeAndReachBothEnds()
    {
        var rng = new SplitMix64(42);
        var seen = new HashSet<ulong>();
        for (int i = 0; i < 2000; i++)
        {
            var v = rng.NextBelow(7);
            Assert.InRange(v, 0UL, 6UL);
            seen.Add(v);
            var d = rng.NextDouble();
            Assert.True(d >= 0.0);
            Assert.True(d < 1.0);
        }
        Assert.Equal(7, seen.Count);
        Assert.Equal(0UL, new SplitMix64(5).NextBelow(1));
    }

    [Fact]
    public void SeedsDependOnEveryPart()
    {
        var a = SplitMix64.Seed(1, 2, 3);
        Assert.NotEqual(a, SplitMix64.Seed(0, 2, 3));
        Assert.NotEqual(a, SplitMix64.Seed(1, 3, 3));
        Assert.NotEqual(a, SplitMix64.Seed(1, 2, 4));
        Assert.NotEqual(a, SplitMix64.Seed(1, 2));
        Assert.NotEqual(SplitMix64.Seed(1, 2, 3, 4), SplitMix64.Seed(1, 2, 4, 3));
        Assert.Equal(a, SplitMix64.Seed(1, 2, 3));
    }

    [Fact]
    public void PermutationsOfTinySizesAndTheIdentity()
    {
        Assert.Empty(Shuffle.Permutation(0, 1));
        Assert.Equal([0], Shuffle.Permutation(1, 1));
        Assert.Equal([0, 1, 2, 3], Shuffle.Identity(4));
        // Both orders of two elements occur over seeds: the last swap may pick either position.
        var orders = Enumerable.Range(0, 64).Select(s => string.Join(",", Shuffle.Permutation(2, (ulong)s))).ToHashSet();
        Assert.Equal(["0,1", "1,0"], orders.Order());
        // Every element reaches every position of a 4-permutation over enough seeds (no element is pinned).
        var positions = new HashSet<(int, int)>();
        for (ulong s = 0; s < 200; s++)
        {
            var p = Shuffle.Permutation(4, s);
            Assert.Equal([0, 1, 2, 3], p.Order());
            for (int i = 0; i < 4; i++) positions.Add((i, p[i]));
        }
        Assert.Equal(16, positions.Count);
    }

    [Fact]
    public void RestoreBoundsAreInclusiveAndNamed()
    {
        var s = new DefaultSampler(10, seed: 1, rank: 0, worldSize: 1);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => s.Restore(new SamplerState(0, -1)));
        Assert.StartsWith("position must be in [0, 10]", e.Message);
        Assert.Throws<ArgumentNullException>(() => s.Restore(null!));
        // Position 10 is the end of the epoch: a state saved there restarts the epoch on the next enumeration.
        s.Restore(new SamplerState(3, 10));
        Assert.Equal(new SamplerState(3, 10), s.State);
        Assert.Equal(s.EpochOrder(3).Select(i => (long)i), s.Indices());
        var inf = new InfiniteSampler(5, seed: 1, rank: 0, worldSize: 1);
        inf.Restore(new SamplerState(2, 1_000_000_000_000));
        Assert.Equal(2, inf.Epoch);
        Assert.Throws<ArgumentOutOfRangeException>(() => inf.Restore(new SamplerState(0, -1)));
    }

    [Fact]
    public void InfiniteRanksCrossPassBoundariesAtTheirOwnOffsets()
    {
        // size 5, world 3: rank 2 takes stream positions 2, 5, 8, 11, ... i.e. pass 0 slot 2, pass 1 slots 0 and 3, pass 2 slot 1.
        var s = new InfiniteSampler(5, seed: 4, rank: 2, worldSize: 3);
        var expected = new long[] { s.PassOrder(0)[2], s.PassOrder(1)[0], s.PassOrder(1)[3], s.PassOrder(2)[1], s.PassOrder(2)[4] };
        Assert.Equal(expected, s.Indices().Take(5).ToArray());
        Assert.Equal(new SamplerState(0, 5), s.State);
        Assert.Equal(2, s.Rank);
        Assert.Equal(3, s.WorldSize);
        Assert.Equal(4, s.Seed);
        Assert.NotEqual(s.PassOrder(0), s.PassOrder(1));
    }

    [Fact]
    public void SetEpochEndsARunningInfiniteEnumeration()
    {
        var s = new InfiniteSampler(4, shuffle: false, rank: 0, worldSize: 1);
        var taken = new List<long>();
        foreach (var i in s.Indices())
        {
            taken.Add(i);
            if (taken.Count == 3) s.SetEpoch(1);
            if (taken.Count > 10) break;
        }
        Assert.Equal([0, 1, 2], taken);
        Assert.Equal(new SamplerState(1, 0), s.State);
    }

    [Fact]
    public void DefaultSamplerRankEdges()
    {
        // Without round-up a rank beyond the dataset gets nothing; with it, one padded index from the start.
        var none = new DefaultSampler(2, shuffle: false, roundUp: false, rank: 3, worldSize: 4);
        Assert.Equal(0, none.NumSamples);
        Assert.Equal(2, none.TotalSize);
        Assert.Empty(none.Indices());
        var padded = new DefaultSampler(2, shuffle: false, roundUp: true, rank: 3, worldSize: 4);
        Assert.Equal(1, padded.NumSamples);
        Assert.Equal(4, padded.TotalSize);
        Assert.Equal([1L], padded.Indices());
        Assert.True(padded.RoundUp);
        Assert.False(none.RoundUp);
        var last = new DefaultSampler(7, shuffle: false, roundUp: false, rank: 2, worldSize: 3);
        Assert.Equal(2, last.NumSamples);
        Assert.Equal([2L, 5L], last.Indices());
        Assert.Equal(5, new DefaultSampler(7, seed: 5, rank: 0, worldSize: 1).Seed);
        Assert.Throws<ArgumentOutOfRangeException>(() => new DefaultSampler(-1, rank: 0, worldSize: 1));
    }

    [Fact]
    public void DefaultSamplerStopsWhenTheEpochChangesMidway()
    {
        var s = new DefaultSampler(6, shuffle: false, rank: 0, worldSize: 1);
        var taken = new List<long>();
        foreach (var i in s.Indices())
        {
            taken.Add(i);
            if (taken.Count == 2) s.SetEpoch(4);
        }
        Assert.Equal([0, 1], taken);
        Assert.Equal([0L, 1, 2, 3, 4, 5], s.Indices());
    }

    [Fact]
    public void ConcatIndexMessagesNameTheDatasetAndTheIndex()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => ConcatIndex.CumulativeSizes([3, 0, -2]));
        Assert.StartsWith("dataset 2 has a negative size", e.Message);
        var cumulative = ConcatIndex.CumulativeSizes([3, 0, 4]);
        Assert.Equal("index -8 is out of range for a concatenated dataset of length 7",
            Assert.Throws<IndexOutOfRangeException>(() => ConcatIndex.Locate(cumulative, -8)).Message);
        Assert.Equal((2, 0), ConcatIndex.Locate(cumulative, 3));
        Assert.Equal((0, 0), ConcatIndex.Locate(cumulative, -7));
        Assert.Equal((2, 3), ConcatIndex.Locate(cumulative, -1));
        Assert.Throws<ArgumentNullException>(() => ConcatIndex.CumulativeSizes(null!));
        Assert.Throws<ArgumentNullException>(() => ConcatIndex.Locate(null!, 0));
    }
}
