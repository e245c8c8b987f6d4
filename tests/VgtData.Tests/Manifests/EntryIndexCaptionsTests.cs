using VgtData.Datasets;
using VgtData.Manifests;
using VgtData.Tests.Fixtures;

namespace VgtData.Tests.Manifests;

/// <summary>An annotation dataset's index holds the caption each annotation file gives, so a sample reads one file (the
/// image); the samples are the ones reading the annotation files gives, a changed data.json is noticed on the next open,
/// and an annotation edited in place is picked up by a rebuild (<c>vgtdata index --rebuild</c>).</summary>
public sealed class EntryIndexCaptionsTests : IDisposable
{
    private readonly TestImages _files = new();

    public void Dispose() => _files.Dispose();

    private const string DataJson = """
        [
          {"image": "img000.png", "annotation": "img000.json"},
          {"image": "img001.png", "annotation": "img001.txt"},
          {"image": "img002.png", "annotation": "img002.json"},
          {"image": "img003.png", "annotation": "img003.json"},
          {"image": "img004.png", "annotation": "img004.json"},
          {"image": "img005.png", "caption": "an inline caption wins", "annotation": "img000.json"},
          {"image": "img006.png", "annotation": "sub/img006.json"}
        ]
        """;

    /// <summary>Seven images; annotations: JSON, a .txt to strip, one without the key, one missing, one invalid, one in a
    /// subfolder with a non-ASCII caption.</summary>
    private CaptionDatasetOptions Annotated()
    {
        for (int i = 0; i < 7; i++) _files.WriteNoisePng($"img{i:000}.png", 96, 88, seed: i);
        _files.WriteText("ann/img000.json", """{"caption": "a fox in the snow", "short": "fox"}""");
        _files.WriteText("ann/img001.txt", "  a caption in a text file \n");
        _files.WriteText("ann/img002.json", """{"short": "no caption key"}""");
        _files.WriteText("ann/img004.json", "{not json");
        _files.WriteText("ann/sub/img006.json", """{"caption": "\u00e9t\u00e9 \ud83e\udd8a"}""");
        _files.WriteText("data.json", DataJson);
        return _files.Options() with { CapFolder = _files.PathOf("ann"), FailureBudget = 1, Seed = 3, Unconditional = 0.3 };
    }

    [Fact]
    public void TheIndexHoldsTheCaptionOfEachReadableAnnotation()
    {
        using var dataset = new CaptionDataset(Annotated());
        var index = Assert.IsType<EntryIndex>(dataset.Entries);
        Assert.Equal(3, index.AnnotationCaptions());
        Assert.Equal(new ManifestEntry("img000.png", "a fox in the snow", null, null, null), index[0]);
        Assert.Equal("a caption in a text file", index[1].Caption);
        Assert.Equal("\u00e9t\u00e9 \ud83e\udd8a", index[6].Caption);
        Assert.Equal("an inline caption wins", index[5].Caption);
        // Unreadable ones keep their file name: the sample reads it and fails exactly as without an index.
        Assert.Equal(new ManifestEntry("img002.png", null, "img002.json", null, null), index[2]);
        Assert.Equal("img003.json", index[3].Annotation);
        Assert.Equal("img004.json", index[4].Annotation);
    }

    [Fact]
    public void SamplesFromTheIndexAreTheSamplesFromTheAnnotationFiles()
    {
        var options = Annotated();
        using var viaFiles = new CaptionDataset(options with { Index = false });
        using var viaIndex = new CaptionDataset(options);
        Assert.IsType<Manifest>(viaFiles.Entries);
        Assert.IsType<EntryIndex>(viaIndex.Entries);
        for (int epoch = 0; epoch < 2; epoch++)
            for (int i = 0; i < 7; i++)
            {
                using var a = viaFiles.GetSample(i, epoch);
                using var b = viaIndex.GetSample(i, epoch);
                Assert.Equal((a.SourceIndex, a.ImageFile, a.Caption, a.Cfg), (b.SourceIndex, b.ImageFile, b.Caption, b.Cfg));
                Assert.Equal(a.InputIds, b.InputIds);
                Assert.Equal(a.Pixels!.Pixels.ToArray(), b.Pixels!.Pixels.ToArray());
            }
        // The same three bad entries (no key, missing, invalid JSON) were met and replaced, with the same reasons.
        Assert.True(viaFiles.Failures.Failures > 0);
        Assert.Equal(viaFiles.Failures.Failures, viaIndex.Failures.Failures);
        for (int i = 0; i < 7; i++) Assert.Equal(viaFiles.Check(i, out var c1)?.Reason, viaIndex.Check(i, out var c2)?.Reason);
    }

    [Fact]
    public void AChangedDataJsonIsNoticedOnTheNextOpen()
    {
        var options = Annotated();
        using (var first = new CaptionDataset(options)) Assert.Equal("a fox in the snow", first.Entries[0].Caption);
        _files.WriteText("ann/other.json", """{"caption": "a hare in the grass"}""");
        _files.WriteText("data.json", DataJson.Replace("\"img000.json\"},", "\"other.json\"},"));
        using var next = new CaptionDataset(options);
        Assert.True(((EntryIndex)next.Entries).Built);
        Assert.Equal("a hare in the grass", next.Entries[0].Caption);
        using var sample = next.GetSample(0);
        Assert.Equal("a hare in the grass", sample.Caption);
    }

    [Fact]
    public void AnAnnotationEditedInPlaceIsReadAfterARebuild()
    {
        var options = Annotated();
        using (new CaptionDataset(options)) { }
        _files.WriteText("ann/img000.json", """{"caption": "an edited caption"}""");
        // Documented: annotation files are not stamped one by one (millions of stats per open); the index keeps what it read.
        using (var stale = new CaptionDataset(options)) Assert.Equal("a fox in the snow", stale.Entries[0].Caption);
        using (EntryLists.IndexScope(rebuild: true))
        using (var rebuilt = new CaptionDataset(options))
        {
            Assert.True(((EntryIndex)rebuilt.Entries).Built);
            Assert.Equal("an edited caption", rebuilt.Entries[0].Caption);
        }
        using var after = new CaptionDataset(options);
        Assert.False(((EntryIndex)after.Entries).Built);
        Assert.Equal("an edited caption", after.Entries[0].Caption);
    }

    [Fact]
    public void InlineCaptionsDoNotDependOnWhereAnnotationsWouldBeRead()
    {
        _files.WriteDataset(3);
        var options = _files.Options();
        using (var first = new CaptionDataset(options)) Assert.True(((EntryIndex)first.Entries).Built);
        using var other = new CaptionDataset(options with { CapFolder = _files.PathOf("elsewhere"), TextAnnotations = true });
        Assert.False(((EntryIndex)other.Entries).Built);
        Assert.Equal("picture number 1 of a blue thing", other.Entries[1].Caption);
    }

    [Fact]
    public void AnotherCapSourceOrCapFolderBuildsAnotherIndex()
    {
        var options = Annotated();
        using (new CaptionDataset(options)) { }
        using (var other = new CaptionDataset(options with { CapSource = "short" }))
        {
            Assert.True(((EntryIndex)other.Entries).Built);
            Assert.Equal("fox", other.Entries[0].Caption);
            Assert.Equal("no caption key", other.Entries[2].Caption);
        }
        _files.WriteText("ann2/img000.json", """{"caption": "from the second folder"}""");
        using var moved = new CaptionDataset(options with { CapFolder = _files.PathOf("ann2") });
        Assert.Equal("from the second folder", moved.Entries[0].Caption);
        Assert.Equal("img001.txt", moved.Entries[1].Annotation);
    }
}
