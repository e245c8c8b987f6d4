using VgtData.Sources;
using VgtData.Storage;

namespace VgtData.Tests.Storage;

/// <summary>The read-ahead window on its own, with a counting fetch instead of a server.</summary>
public sealed class ReadAheadWindowTests
{
    private sealed class Fetcher
    {
        public readonly List<string> Started = [];
        public int Live;
        public Task<PooledBytes?> Fetch(string key)
        {
            lock (Started) Started.Add(key);
            Interlocked.Increment(ref Live);
            return Task.FromResult<PooledBytes?>(new PooledBytes(key.Length));
        }
    }

    [Fact]
    public void AtMostDepthFetchesAheadAndReadsTakeThemInOrder()
    {
        var f = new Fetcher();
        using var w = new ReadAheadWindow<PooledBytes>(f.Fetch, depth: 3, maxQueued: 100);
        foreach (var k in new[] { "a", "b", "c", "d", "e" }) w.Hint(k);
        Assert.Equal(["a", "b", "c"], f.Started);
        using (var a = w.Take("a")!.Result) Assert.Equal(1, a!.Length);
        Assert.Equal(["a", "b", "c", "d"], f.Started);
        Assert.Null(w.Take("zzz"));
        Assert.Equal(1, w.Hits);
    }

    [Fact]
    public void AKeyHintedTwiceIsFetchedForEachRead()
    {
        var f = new Fetcher();
        using var w = new ReadAheadWindow<PooledBytes>(f.Fetch, depth: 4, maxQueued: 100);
        foreach (var k in new[] { "a", "b", "a", "c" }) w.Hint(k);
        Assert.Equal(["a", "b", "a", "c"], f.Started);
        for (int i = 0; i < 2; i++) w.Take("a")!.Result!.Dispose();
        Assert.Null(w.Take("a"));
        Assert.Equal(2, w.Hits);
    }

    [Fact]
    public void HintsNeverReadAreDroppedSoTheWindowKeepsMoving()
    {
        var f = new Fetcher();
        using var w = new ReadAheadWindow<PooledBytes>(f.Fetch, depth: 2, maxQueued: 100);
        for (int i = 0; i < 10; i++) w.Hint($"k{i}");
        // k0 and k1 are never read (their samples failed early). k3 and k4 are read before their turn: the caller reads
        // them directly, they are skipped, and the reads moving past k0 and k1 free their slots.
        Assert.Null(w.Take("k3"));
        Assert.Null(w.Take("k4"));
        Assert.Equal(["k0", "k1", "k2", "k5"], f.Started);
        using (var k5 = w.Take("k5")!.Result) Assert.Equal(2, k5!.Length);
    }
}
