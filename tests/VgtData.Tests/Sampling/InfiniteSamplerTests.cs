using VgtData.Sampling;

namespace VgtData.Tests.Sampling;

public class InfiniteSamplerTests
{
    [Fact]
    public void EachPassIsANewPermutation()
    {
        var s = new InfiniteSampler(100, seed: 1, rank: 0, worldSize: 1);
        var stream = s.Indices().Take(300).ToArray();
        var passes = stream.Chunk(100).ToArray();
        foreach (var p in passes) Assert.Equal(Enumerable.Range(0, 100).Select(i => (long)i), p.Order());
        Assert.NotEqual(passes[0], passes[1]);
        Assert.NotEqual(passes[1], passes[2]);
    }

    [Fact]
    public void SameSeedSameStreamOtherSeedOther()
    {
        var a = new InfiniteSampler(50, seed: 7, rank: 0, worldSize: 1).Indices().Take(200).ToArray();
        var b = new InfiniteSampler(50, seed: 7, rank: 0, worldSize: 1).Indices().Take(200).ToArray();
        var c = new InfiniteSampler(50, seed: 8, rank: 0, worldSize: 1).Indices().Take(200).ToArray();
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
    }

    [Fact]
    public void DefaultSeedIsZero()
    {
        var a = new InfiniteSampler(50, rank: 0, worldSize: 1).Indices().Take(100).ToArray();
        var b = new InfiniteSampler(50, seed: 0, rank: 0, worldSize: 1).Indices().Take(100).ToArray();
        Assert.Equal(a, b);
    }

    [Fact]
    public void UnshuffledRepeatsInOrder()
    {
        var s = new InfiniteSampler(3, shuffle: false, rank: 0, worldSize: 1);
        Assert.Equal(new long[] { 0, 1, 2, 0, 1, 2, 0 }, s.Indices().Take(7).ToArray());
    }

    [Fact]
    public void RanksAreAStridedSliceOfOneStream()
    {
        const int world = 3;
        var whole = new InfiniteSampler(10, seed: 4, rank: 0, worldSize: 1).Indices().Take(90).ToArray();
        for (var r = 0; r < world; r++)
        {
            var part = new InfiniteSampler(10, seed: 4, rank: r, worldSize: world).Indices().Take(30).ToArray();
            Assert.Equal(whole.Where((_, g) => g % world == r), part);
        }
    }

    [Fact]
    public void RestoreAt357ContinuesExactly()
    {
        var a = new InfiniteSampler(97, seed: 12, rank: 2, worldSize: 4);
        var all = a.Indices().Take(1000).ToArray();

        var b = new InfiniteSampler(97, seed: 12, rank: 2, worldSize: 4);
        var head = b.Indices().Take(357).ToArray();
        var saved = b.State;
        Assert.Equal(357, saved.Position);
        Assert.Equal(all.Take(357), head);

        var c = new InfiniteSampler(97, seed: 12, rank: 2, worldSize: 4);
        c.Restore(saved);
        Assert.Equal(all.Skip(357), c.Indices().Take(1000 - 357).ToArray());
    }

    [Fact]
    public void EpochDoesNotChangeTheStreamButRestartsIt()
    {
        var s = new InfiniteSampler(20, seed: 1, rank: 0, worldSize: 1);
        var a = s.Indices().Take(30).ToArray();
        s.SetEpoch(5);
        Assert.Equal(new SamplerState(5, 0), s.State);
        Assert.Equal(a, s.Indices().Take(30).ToArray());
    }

    [Fact]
    public void EmptyDatasetIsRejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new InfiniteSampler(0, rank: 0, worldSize: 1));
    }

    [Theory]
    [InlineData(0, 1)]
    [InlineData(1, 3)]
    [InlineData(2, 3)]
    public void DrawEpochIsThePassOfEachStreamItem(int rank, int world)
    {
        const int size = 10;
        var s = new InfiniteSampler(size, seed: 8, rank: rank, worldSize: world);
        var draws = s.Draws().Take(40).ToArray();
        for (int k = 0; k < draws.Length; k++)
        {
            long global = rank + (long)k * world; // this rank's k-th item is the stream's item rank + k * world
            Assert.Equal(new SampledIndex(s.PassOrder(global / size)[global % size], (int)(global / size)), draws[k]);
        }
        Assert.Equal(new InfiniteSampler(size, seed: 8, rank: rank, worldSize: world).Indices().Take(40), draws.Select(d => d.Index));
    }

    [Theory]
    [InlineData(0, 1)]
    [InlineData(1, 3)]
    [InlineData(2, 4)]
    public void EpochIndicesAreThisRanksShareOfOnePass(int rank, int world)
    {
        const int size = 10;
        var s = new InfiniteSampler(size, seed: 8, rank: rank, worldSize: world);
        var draws = new InfiniteSampler(size, seed: 8, rank: rank, worldSize: world).Draws().TakeWhile(d => d.DrawEpoch < 6).ToArray();
        for (int pass = 0; pass < 6; pass++)
            Assert.Equal(draws.Where(d => d.DrawEpoch == pass).Select(d => d.Index), s.EpochIndices(pass));
        Assert.Equal(new SamplerState(0, 0), s.State); // the cursor did not move
    }
}
