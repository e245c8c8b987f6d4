using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using VgtData.Datasets;
using VgtData.Manifests;
using VgtData.Tests.Fixtures;

namespace VgtData.Tests.Manifests;

/// <summary>The memory-mapped entry index: the same entries as the data.json it was built from, rebuilt when a source
/// changes, and never read when truncated, damaged or foreign.</summary>
public sealed class EntryIndexTests : IDisposable
{
    private readonly TestImages _files = new();

    public void Dispose() => _files.Dispose();

    private const string Entries = """
        [
          {"image": "a/0001.jpg", "caption": "a red fox, \u00e9t\u00e9 \ud83e\udd8a", "width": 640, "height": 480},
          {"image": "b/0002.png", "annotation": "b/0002.json"},
          {"image": "c/\ud800.png", "caption": "lone \udc00 surrogate"},
          {"image": "d/0004.webp"},
          {"image": "e/0005.jpg", "caption": ""}
        ]
        """;

    private string WriteManifest(string text = Entries) => _files.WriteText("data.json", text);

    private static void AssertSameEntries(IEntryList expected, IEntryList actual)
    {
        Assert.Equal(expected.Count, actual.Count);
        for (int i = 0; i < expected.Count; i++)
        {
            Assert.Equal(expected[i], actual[i]);
            Assert.Equal(expected.ImageOf(i), actual.ImageOf(i));
        }
    }

    [Fact]
    public void TheIndexHoldsTheManifestsEntriesExactly()
    {
        var path = WriteManifest();
        using var index = (EntryIndex)EntryLists.OpenIndexed(path, "caption", limit: null);
        Assert.True(File.Exists(path + ".vgtidx"));
        AssertSameEntries(Manifest.Load(path), index);
        Assert.Equal("c/\ud800.png", index.ImageOf(2));
        Assert.Equal("lone \udc00 surrogate", index[2].Caption);
        Assert.Equal(new ManifestEntry("b/0002.png", null, "b/0002.json", null, null), index[1]);
        Assert.Equal(new ManifestEntry("a/0001.jpg", "a red fox, \u00e9t\u00e9 \ud83e\udd8a", null, 640, 480), index[0]);
        Assert.Null(index[3].Caption);
        Assert.Equal("", index[4].Caption);
        Assert.Throws<IndexOutOfRangeException>(() => index[5]);
    }

    [Fact]
    public void ASecondOpenMapsTheSameFileWithoutRewritingIt()
    {
        var path = WriteManifest();
        using (EntryLists.OpenIndexed(path, "caption", null) as IDisposable) { }
        var written = File.GetLastWriteTimeUtc(path + ".vgtidx");
        File.SetLastWriteTimeUtc(path + ".vgtidx", written.AddMinutes(-5));
        using var again = (EntryIndex)EntryLists.OpenIndexed(path, "caption", limit: 2);
        Assert.Equal(written.AddMinutes(-5), File.GetLastWriteTimeUtc(path + ".vgtidx"));
        Assert.Equal(2, again.Count);
        Assert.Equal("b/0002.png", again.ImageOf(1));
    }

    [Fact]
    public void AChangedManifestIsNoticedEvenWithTheSameSizeAndTime()
    {
        var path = WriteManifest();
        using (EntryLists.OpenIndexed(path, "caption", null) as IDisposable) { }
        var time = File.GetLastWriteTimeUtc(path);
        File.WriteAllText(path, Entries.Replace("a red fox", "a tan fox"));
        File.SetLastWriteTimeUtc(path, time);
        using var index = (EntryIndex)EntryLists.OpenIndexed(path, "caption", null);
        Assert.StartsWith("a tan fox", index[0].Caption);
    }

    [Fact]
    public void ProcessesStartingTogetherBuildTheIndexOnce()
    {
        var path = _files.WriteManifest("data.json", Enumerable.Range(0, 20_000).Select(i => new { image = $"{i}.jpg", caption = $"caption {i}" }));
        using var start = new Barrier(4);
        var opened = Enumerable.Range(0, 4).Select(_ => Task.Run(() =>
        {
            start.SignalAndWait();
            return (EntryIndex)EntryLists.OpenIndexed(path, "caption", null);
        })).ToArray();
        Task.WaitAll(opened);
        try
        {
            Assert.Equal(1, opened.Count(t => t.Result.Built));
            Assert.All(opened, t => Assert.Equal("caption 19999", t.Result[19_999].Caption));
            Assert.False(File.Exists(path + ".vgtidx.lock"));
        }
        finally
        {
            foreach (var t in opened) t.Result.Dispose();
        }
    }

    [Fact]
    public void AnotherCapSourceBuildsAnotherIndex()
    {
        var path = WriteManifest("""[{"image": "x.jpg", "caption": "short", "long_caption": "a much longer caption"}]""");
        using (EntryLists.OpenIndexed(path, "caption", null) as IDisposable) { }
        using var index = (EntryIndex)EntryLists.OpenIndexed(path, "long_caption", null);
        Assert.Equal("a much longer caption", index[0].Caption);
    }

    [Theory]
    [InlineData("truncated", "sizes in the header do not match the file's")]
    [InlineData("flipped", "checksum does not match (damaged)")]
    [InlineData("flipped row", "checksum does not match (damaged)")]
    [InlineData("flipped meta", "checksum does not match (damaged)")]
    [InlineData("foreign", "not a VgtData index (wrong magic)")]
    [InlineData("short", "bytes, shorter than an index header")]
    public void ADamagedIndexIsNeverReadAndIsRebuilt(string damage, string reason)
    {
        var path = WriteManifest();
        using (EntryLists.OpenIndexed(path, "caption", null) as IDisposable) { }
        var indexPath = path + ".vgtidx";
        var bytes = File.ReadAllBytes(indexPath);
        File.WriteAllBytes(indexPath, damage switch
        {
            "truncated" => bytes[..^7],
            "flipped" => Flip(bytes, bytes.Length - 3),
            "flipped row" => Flip(bytes, (int)BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(24)) + 8 + 32),
            "flipped meta" => Flip(bytes, EntryIndex.HeaderBytes + 3),
            "foreign" => Encoding.UTF8.GetBytes(new string('x', bytes.Length)),
            _ => bytes[..40],
        });
        var meta = new EntryIndex.Meta("caption", [EntryIndex.SourceStamp.Of(path)]);
        Assert.Null(EntryIndex.TryOpen(indexPath, meta, null, out var why));
        Assert.Contains(reason, why);

        using var rebuilt = (EntryIndex)EntryLists.OpenIndexed(path, "caption", null);
        AssertSameEntries(Manifest.Load(path), rebuilt);
    }

    private static byte[] Flip(byte[] bytes, int at)
    {
        var copy = (byte[])bytes.Clone();
        copy[at] ^= 0x10;
        return copy;
    }

    [Fact]
    public void AFolderOfManifestsGetsItsIndexInsideTheFolder()
    {
        _files.WriteText("parts/b.json", """[{"image": "2.jpg", "caption": "two"}]""");
        _files.WriteText("parts/a.json", """[{"image": "1.jpg", "caption": "one"}]""");
        var folder = _files.PathOf("parts");
        using var index = (EntryIndex)EntryLists.OpenIndexed(folder, "caption", null);
        Assert.True(File.Exists(Path.Combine(folder, "index.vgtidx")));
        AssertSameEntries(Manifest.Load(folder), index);
        using var again = (EntryIndex)EntryLists.OpenIndexed(folder, "caption", null);
        Assert.Equal("one", again[0].Caption);
    }

    [Fact]
    public void ADatasetOverTheIndexGivesTheSamplesOfTheDataJson()
    {
        _files.WriteDataset(4);
        var options = _files.Options() with { Unconditional = 0.5, Seed = 5 };
        using var viaJson = new CaptionDataset(options);
        using var index = (EntryIndex)EntryLists.OpenIndexed(options.DataPath, options.CapSource, null);
        using var viaIndex = new CaptionDataset(options, index);
        for (int i = 0; i < 4; i++)
        {
            using var a = viaJson.GetSample(i);
            using var b = viaIndex.GetSample(i);
            Assert.Equal((a.ImageFile, a.Caption, a.Cfg), (b.ImageFile, b.Caption, b.Cfg));
            Assert.Equal(a.InputIds, b.InputIds);
            Assert.Equal(a.Pixels!.Pixels.ToArray(), b.Pixels!.Pixels.ToArray());
        }
    }

    /// <summary>Offsets are 64-bit: a pool past 4 GiB (a sparse file, so no disk or memory is spent) reads back.</summary>
    [Fact]
    public void StringsPastFourGibibytesReadBack()
    {
        var manifest = WriteManifest("""[{"image": "x.jpg", "caption": "x"}]""");
        var meta = new EntryIndex.Meta("caption", [EntryIndex.SourceStamp.Of(manifest)]);
        var metaBytes = JsonSerializer.SerializeToUtf8Bytes(meta);
        long rows = (EntryIndex.HeaderBytes + metaBytes.Length + 7) & ~7L;
        long pool = rows + EntryIndex.RowBytes;
        long far = (4L << 30) + 12345;
        var image = Encoding.UTF8.GetBytes("far/away.jpg");
        var caption = Encoding.UTF8.GetBytes("a caption past 4 GiB");
        long poolLength = far + image.Length + caption.Length;
        var path = _files.PathOf("far.vgtidx");
        var header = EntryIndex.Header(1, rows, pool, poolLength, metaBytes.Length);
        using (var file = new FileStream(path, FileMode.Create, FileAccess.ReadWrite))
        {
            file.SetLength(pool + poolLength);
            var row = new byte[EntryIndex.RowBytes];
            BinaryPrimitives.WriteInt64LittleEndian(row, far);
            BinaryPrimitives.WriteInt32LittleEndian(row.AsSpan(8), image.Length);
            BinaryPrimitives.WriteInt32LittleEndian(row.AsSpan(12), caption.Length);
            file.Write(header);
            file.Write(metaBytes);
            file.Position = rows;
            file.Write(row);
            file.Position = pool + far;
            file.Write(image);
            file.Write(caption);
        }
        BinaryPrimitives.WriteUInt64LittleEndian(header.AsSpan(EntryIndex.ChecksumAt), EntryIndex.Checksum(path));
        using (var file = new FileStream(path, FileMode.Open, FileAccess.Write))
            file.Write(header);
        using var index = EntryIndex.TryOpen(path, meta, null, out var why);
        Assert.True(index is not null, why);
        Assert.Equal(new ManifestEntry("far/away.jpg", "a caption past 4 GiB", null, null, null), index![0]);
    }
}
