using VgtData.Sampling;

namespace VgtData.Tests.Sampling;

/// <summary>What an <see cref="InfiniteSampler"/> allocates per entry: one pass order when shuffled, shared by a restart
/// from a saved state, and none when not shuffled.</summary>
public class InfiniteSamplerMemoryTests
{
    private const int Size = 1_000_000;   // a pass order is 4 MB

    private static (long Bytes, long[] Items) Draw(InfiniteSampler s, int count)
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        var items = s.Indices().Take(count).ToArray();
        return (GC.GetAllocatedBytesForCurrentThread() - before, items);
    }

    [Fact]
    public void RestartFromASavedStateReusesThePassOrder()
    {
        var s = new InfiniteSampler(Size, seed: 3, rank: 1, worldSize: 2);
        var start = s.State;
        var (first, items) = Draw(s, 64);
        Assert.True(first > 4_000_000, $"the first stream allocated {first} bytes, less than its pass order");
        s.Restore(start);
        var (again, replay) = Draw(s, 64);
        Assert.True(again < 1_000_000, $"the restarted stream allocated {again} bytes");
        Assert.Equal(items, replay);
        var order = s.PassOrder(0);
        Assert.Equal(Enumerable.Range(0, 64).Select(k => (long)order[1 + 2 * k]), items);
    }

    [Fact]
    public void TheNextPassReplacesTheCachedOrder()
    {
        var s = new InfiniteSampler(10, seed: 5, rank: 0, worldSize: 1);
        var expected = s.PassOrder(0).Concat(s.PassOrder(1)).Concat(s.PassOrder(0)).Select(i => (long)i).ToArray();
        var stream = s.Indices().Take(20).ToList();
        s.Restore(new SamplerState(0, 0));
        stream.AddRange(s.Indices().Take(10));
        Assert.Equal(expected, stream);
        Assert.Equal(s.PassOrder(1).Select(i => (long)i), s.EpochIndices(1));
    }

    [Fact]
    public void UnshuffledStreamsHoldNoArray()
    {
        var s = new InfiniteSampler(Size, shuffle: false, rank: 0, worldSize: 1);
        var (bytes, items) = Draw(s, 64);
        Assert.True(bytes < 1_000_000, $"an unshuffled stream allocated {bytes} bytes");
        Assert.Equal(Enumerable.Range(0, 64).Select(i => (long)i), items);
        Assert.Equal(new long[] { Size - 2, Size - 1, 0, 1 }, s.Indices().Skip(Size - 2 - 64).Take(4));
        Assert.Equal(Enumerable.Range(0, Size).Select(i => (long)i), s.EpochIndices(3));
    }
}
