using System.Text;
using VgtData.Manifests;
using VgtData.Tests.Fixtures;

namespace VgtData.Tests.Manifests;

/// <summary>Strings the manifest must keep exactly: empty ones, lone surrogates; and the raw entries rewriting tools read.</summary>
public sealed class ManifestTextTests : IDisposable
{
    private readonly TestImages _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void An_empty_first_caption_before_the_image_key_is_read_as_empty()
    {
        // The pool has no chunk before its first non-empty string.
        var m = Manifest.Load(_dir.WriteText("data.json", """[{"caption": "", "image": "a.png"}, {"caption": "two", "image": ""}]"""));
        Assert.Equal(new ManifestEntry("a.png", "", null, null, null), m[0]);
        Assert.Equal(new ManifestEntry("", "two", null, null, null), m[1]);
    }

    [Fact]
    public void Lone_surrogate_escapes_are_kept_exactly_as_python_reads_them()
    {
        var m = Manifest.Load(_dir.WriteText("data.json",
            """[{"image": "a\ud800.png", "caption": "x \udc00 y"}, {"image": "b.png", "caption": "pair \ud83d\ude00 ok"}, {"image": "c.png", "annotation": "\ud801"}]"""));
        Assert.Equal(new ManifestEntry("a\ud800.png", "x \udc00 y", null, null, null), m[0]);
        Assert.Equal("a\ud800.png", m.ImageOf(0));
        Assert.Equal(new ManifestEntry("b.png", "pair \U0001F600 ok", null, null, null), m[1]);
        Assert.Equal(new ManifestEntry("c.png", null, "\ud801", null, null), m[2]);
    }

    [Theory]
    [InlineData("data.json", "\uFEFF[{\"image\": \"0\"}, {\"image\": \"1\"}]")]
    [InlineData("data.json", "[{\"image\": \"0\"}, {\"image\": \"1\"}]\n trailing text the loader never reads {")]
    [InlineData("data.json", "[ // first\n{\"image\": \"0\", /* inline */ \"caption\": \"c\",}, {\"image\": \"1\"},\n]")]
    [InlineData("data.jsonl", "// comment line\n{\"image\": \"0\"} /* after */\n\n{\"image\":\n \"1\"}\n")]
    public void ReadEntryBytes_yields_what_Load_accepts_in_order(string name, string text)
    {
        var path = _dir.WriteText(name, text);
        Assert.Equal(2, Manifest.Load(path).Count);
        var seen = new List<(int, string)>();
        Manifest.ReadEntryBytes(path, (json, position) => { seen.Add((position, Encoding.UTF8.GetString(json))); return true; });
        Assert.Equal([0, 1], seen.Select(s => s.Item1));
        Assert.Contains("\"0\"", seen[0].Item2);
        Assert.Contains("\"1\"", seen[1].Item2);
        Assert.All(seen, s => Assert.StartsWith("{", s.Item2));
    }

    [Fact]
    public void ReadEntryBytes_stops_when_told_and_numbers_entries_across_a_folder()
    {
        _dir.WriteText("parts/a.json", """[{"image": "a0"}, {"image": "a1"}]""");
        _dir.WriteText("parts/b.json", """[{"image": "b0"}]""");
        var positions = new List<int>();
        Manifest.ReadEntryBytes(_dir.PathOf("parts"), (_, p) => { positions.Add(p); return true; });
        Assert.Equal([0, 1, 2], positions);
        positions.Clear();
        Manifest.ReadEntryBytes(_dir.PathOf("parts"), (_, p) => { positions.Add(p); return p < 1; });
        Assert.Equal([0, 1], positions);
    }
}
