using VgtData.Manifests;

namespace VgtData.Tests.Fuzz;

/// <summary>Manifest inputs the fuzzer found or aims at, kept as plain regression cases.</summary>
public sealed class HostileManifestTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("vgtdata-manifest-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(string name, string text)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, text);
        return path;
    }

    [Theory]
    [InlineData("data.json", """[{"i\ud800n": "x", "image": "a.png", "caption": "c"}, {"image": "b.png", "\udc00": 1}]""")]
    [InlineData("data.jsonl", "{\"image\\udc00\": \"x\", \"image\": \"a.png\", \"caption\": \"c\"}\n{\"image\": \"b.png\", \"\\ud800\": 1}\n")]
    public void KeyWithLoneSurrogateIsAnOtherKey(string name, string text)
    {
        // Python's json.loads reads such keys; they match none of ours, so the entries load as if they were absent.
        var m = Manifest.Load(Write(name, text));
        Assert.Equal(2, m.Count);
        Assert.Equal(new ManifestEntry("a.png", "c", null, null, null), m[0]);
        Assert.Equal(new ManifestEntry("b.png", null, null, null, null), m[1]);
    }

    [Fact]
    public void SmallManifestHoldsLittleMemory()
    {
        var m = Manifest.Load(Write("data.json", """[{"image": "a.png", "caption": "a cat"}]"""));
        // The string pool grows with the text instead of starting at a 16 MiB chunk.
        Assert.InRange(m.MemoryBytes, 1, 1 << 20);
        Assert.Equal("a cat", m[0].Caption);
    }

    [Fact]
    public void PoolChunksGrowAndKeepEveryString()
    {
        // 40,000 entries of ~100-byte captions: several chunks of growing size; every string must come back intact.
        var entries = Enumerable.Range(0, 40_000).Select(i => $$"""{"image": "{{i}}.png", "caption": "{{new string((char)('a' + i % 26), 90 + i % 17)}}"}""");
        var m = Manifest.Load(Write("data.json", "[" + string.Join(",", entries) + "]"));
        Assert.Equal(40_000, m.Count);
        for (var i = 0; i < m.Count; i += 997)
        {
            Assert.Equal($"{i}.png", m[i].Image);
            Assert.Equal(new string((char)('a' + i % 26), 90 + i % 17), m[i].Caption);
        }
        Assert.Equal(new string((char)('a' + 39_999 % 26), 90 + 39_999 % 17), m[39_999].Caption);
    }
}
