using VgtData.Manifests;
using VgtData.Tests.Fixtures;

namespace VgtData.Tests.Manifests;

public sealed class ManifestTests : IDisposable
{
    private readonly TestImages _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void ReadsJsonArrayWithInlineCaptionsAndOptionalSize()
    {
        var path = _dir.WriteText("data.json", """
            [
              {"image": "a/1.jpg", "caption": "one", "width": 640, "height": 480},
              {"image": "b/2.png", "caption": "two"}
            ]
            """);
        var m = Manifest.Load(path);
        Assert.Equal(2, m.Count);
        Assert.Equal(new ManifestEntry("a/1.jpg", "one", null, 640, 480), m[0]);
        Assert.Equal(new ManifestEntry("b/2.png", "two", null, null, null), m[1]);
        Assert.Equal("b/2.png", m.ImageOf(1));
    }

    [Fact]
    public void FolderOfJsonFilesIsConcatenatedInNameOrder()
    {
        var folder = _dir.PathOf("parts");
        _dir.WriteText("parts/b.json", """[{"image": "b0", "caption": "B0"}]""");
        _dir.WriteText("parts/a.json", """[{"image": "a0", "caption": "A0"}, {"image": "a1", "caption": "A1"}]""");
        _dir.WriteText("parts/C.json", """[{"image": "C0", "caption": "C0"}]""");  // ordinal: upper case first
        _dir.WriteText("parts/ignored.txt", """[{"image": "x", "caption": "x"}]""");
        var m = Manifest.Load(folder);
        Assert.Equal(["C0", "a0", "a1", "b0"], Enumerable.Range(0, m.Count).Select(m.ImageOf));
    }

    [Fact]
    public void ReadsJsonLinesSkippingBlankLines()
    {
        var path = _dir.WriteText("data.jsonl", "{\"image\": \"1.png\", \"caption\": \"one\"}\r\n\n  \n{\"image\": \"2.png\", \"caption\": \"two\"}");
        var m = Manifest.Load(path);
        Assert.Equal(2, m.Count);
        Assert.Equal("one", m[0].Caption);
        Assert.Equal("2.png", m[1].Image);
        Assert.Equal("two", m[1].Caption);
    }

    [Fact]
    public void CaptionComesFromTheCapSourceKey()
    {
        var path = _dir.WriteText("data.json",
            """[{"image": "1.png", "caption": "not this", "prompt": "this one"}, {"image": "2.png", "caption": "only default key"}]""");
        var m = Manifest.Load(path, capSource: "prompt");
        Assert.Equal("this one", m[0].Caption);
        // An entry without the cap_source key has no caption (the dataset reports it as a missing caption key).
        Assert.Null(m[1].Caption);
        Assert.Null(m[1].Annotation);
    }

    [Fact]
    public void AnnotationEntriesKeepTheFileName()
    {
        var path = _dir.WriteText("data.json", """[{"image": "1.png", "annotation": "1.json"}, {"image": "2.png", "annotation": "2.txt", "caption": "inline wins"}, {"image": "3.png", "caption": "inline first", "annotation": "3.txt"}]""");
        var m = Manifest.Load(path);
        Assert.Equal(new ManifestEntry("1.png", null, "1.json", null, null), m[0]);
        Assert.Equal(new ManifestEntry("2.png", "inline wins", null, null, null), m[1]);
        Assert.Equal(new ManifestEntry("3.png", "inline first", null, null, null), m[2]);
    }

    [Fact]
    public void EscapedStringsRoundTripExactly()
    {
        var path = _dir.WriteText("data.json",
            """[{"image": "caf\u00e9/\"q\".png", "caption": "line1\nline2 \"quoted\" caf\u00e9 \\ tab\t \ud83d\ude00 end"}]""");
        var m = Manifest.Load(path);
        Assert.Equal("café/\"q\".png", m[0].Image);
        Assert.Equal("line1\nline2 \"quoted\" café \\ tab\t 😀 end", m[0].Caption);
    }

    [Fact]
    public void UnescapedNonAsciiIsKept()
    {
        var path = _dir.WriteText("data.json", "\uFEFF[{\"image\": \"日本.png\", \"caption\": \"猫と犬 ñ\"}]");
        var m = Manifest.Load(path);
        Assert.Equal("日本.png", m[0].Image);
        Assert.Equal("猫と犬 ñ", m[0].Caption);
    }

    [Fact]
    public void TrainNumberSamplesLimitsEntriesAcrossFiles()
    {
        _dir.WriteText("parts/a.json", """[{"image": "a0", "caption": "x"}, {"image": "a1", "caption": "x"}]""");
        _dir.WriteText("parts/b.json", """[{"image": "b0", "caption": "x"}, {"image": "b1", "caption": "x"}]""");
        var m = Manifest.Load(_dir.PathOf("parts"), limit: 3);
        Assert.Equal(["a0", "a1", "b0"], Enumerable.Range(0, m.Count).Select(m.ImageOf));

        var lines = _dir.WriteText("d.jsonl", "{\"image\":\"0\",\"caption\":\"x\"}\n{\"image\":\"1\",\"caption\":\"x\"}\n{\"image\":\"2\",\"caption\":\"x\"}\n");
        Assert.Equal(2, Manifest.Load(lines, limit: 2).Count);
    }

    [Fact]
    public void MissingImageKeyNamesFileAndEntry()
    {
        var path = _dir.WriteText("data.json", """[{"image": "0.png", "caption": "x"}, {"caption": "no image"}]""");
        var e = Assert.Throws<VgtDataException>(() => Manifest.Load(path));
        Assert.Contains(path, e.Message);
        Assert.Contains("entry 1", e.Message);
        Assert.Contains("\"image\"", e.Message);
    }

    [Fact]
    public void MissingImageKeyInJsonLinesNamesEntry()
    {
        var path = _dir.WriteText("data.jsonl", "{\"image\":\"0\",\"caption\":\"x\"}\n{\"caption\":\"x\"}\n");
        var e = Assert.Throws<VgtDataException>(() => Manifest.Load(path));
        Assert.Contains(path, e.Message);
        Assert.Contains("entry 1", e.Message);
    }

    [Fact]
    public void InvalidJsonNamesFileAndLine()
    {
        var path = _dir.WriteText("data.json", "[\n  {\"image\": \"0.png\", \"caption\": \"x\"},\n  {\"image\": \"1.png\" \"caption\": \"y\"}\n]");
        var e = Assert.Throws<VgtDataException>(() => Manifest.Load(path));
        Assert.Contains(path, e.Message);
        Assert.Contains("line 3", e.Message);
    }

    [Fact]
    public void InvalidJsonLineNamesFileAndLine()
    {
        var path = _dir.WriteText("data.jsonl", "{\"image\":\"0\",\"caption\":\"x\"}\n\n{\"image\": oops}\n");
        var e = Assert.Throws<VgtDataException>(() => Manifest.Load(path));
        Assert.Contains(path, e.Message);
        Assert.Contains("line 3", e.Message);
    }

    [Fact]
    public void NotAnArrayIsRefused()
    {
        var path = _dir.WriteText("data.json", """{"image": "0.png"}""");
        var e = Assert.Throws<VgtDataException>(() => Manifest.Load(path));
        Assert.Contains(path, e.Message);
    }

    [Fact]
    public void EmptyFolderIsAnError()
    {
        Directory.CreateDirectory(_dir.PathOf("empty"));
        var e = Assert.Throws<VgtDataException>(() => Manifest.Load(_dir.PathOf("empty")));
        Assert.Contains(_dir.PathOf("empty"), e.Message);
        Assert.Contains("*.json", e.Message);
    }

    [Fact]
    public void MissingPathIsAnError()
    {
        var e = Assert.Throws<VgtDataException>(() => Manifest.Load(_dir.PathOf("nope.json")));
        Assert.Contains("nope.json", e.Message);
    }

    [Fact]
    public void ManyEntriesGrowTheTable()
    {
        var entries = Enumerable.Range(0, 3000).Select(i => (object)new { image = $"{i}.png", caption = $"caption {i}" });
        var m = Manifest.Load(_dir.WriteManifest("data.json", entries));
        Assert.Equal(3000, m.Count);
        Assert.Equal("caption 2999", m[2999].Caption);
        Assert.Throws<IndexOutOfRangeException>(() => m[3000]);
    }
}
