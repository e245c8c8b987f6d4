using VgtData.Datasets;
using VgtData.Manifests;
using VgtData.Tests.Fixtures;

namespace VgtData.Tests.Manifests;

/// <summary>The entry-list contract: a dataset reads its entries only through <see cref="IEntryList"/>, so any list that
/// holds the same entries gives the same samples as the data.json table.</summary>
public sealed class EntryListTests : IDisposable
{
    private readonly TestImages _images = new();

    public void Dispose() => _images.Dispose();

    /// <summary>Entries held in memory: the smallest implementation another format (an index, shard groups) starts from.</summary>
    private sealed class ListOf(IReadOnlyList<ManifestEntry> entries) : IEntryList
    {
        public int ImageOfCalls;
        public string Source => "in memory";
        public int Count => entries.Count;
        public ManifestEntry this[int index] => entries[index];
        public string ImageOf(int index) { ImageOfCalls++; return entries[index].Image; }
    }

    [Fact]
    public void DataJsonOpensThroughItsIndexUnlessTurnedOff()
    {
        _images.WriteDataset(3);
        using var indexed = (EntryIndex)EntryLists.Open(_images.PathOf("data.json"), "caption", limit: 2);
        var plain = EntryLists.Open(new EntrySource(_images.PathOf("data.json"), "caption", 2) { Index = false });
        Assert.IsType<Manifest>(plain);
        foreach (var list in new[] { indexed, plain })
        {
            Assert.Equal(2, list.Count);
            Assert.Equal(new ManifestEntry("img001.png", "picture number 1 of a blue thing", null, null, null), list[1]);
            Assert.Equal("img000.png", list.ImageOf(0));
        }
    }

    [Fact]
    public void AnyEntryListGivesTheSamplesTheDataJsonGives()
    {
        _images.WriteDataset(4);
        var fromJson = EntryLists.Open(_images.PathOf("data.json"), "caption", limit: null);
        var entries = new ListOf(Enumerable.Range(0, fromJson.Count).Select(i => fromJson[i]).ToList());
        var options = _images.Options() with { Unconditional = 0.5, Seed = 3 };
        using var viaJson = new CaptionDataset(options);
        using var viaList = new CaptionDataset(options with { DataPath = "not read" }, entries);

        Assert.Equal(4, viaList.Count);
        for (int i = 0; i < 4; i++)
        {
            using var a = viaJson.GetSample(i);
            using var b = viaList.GetSample(i);
            Assert.Equal(a.ImageFile, b.ImageFile);
            Assert.Equal(a.Caption, b.Caption);
            Assert.Equal(a.Cfg, b.Cfg);
            Assert.Equal(a.InputIds, b.InputIds);
            Assert.Equal(a.Pixels!.Pixels.ToArray(), b.Pixels!.Pixels.ToArray());
        }
        Assert.Contains("img002.png", viaList.Describe(2));
        Assert.True(entries.ImageOfCalls > 0);
    }

    [Fact]
    public void AnEmptyEntryListIsRefusedWithTheDataPath()
    {
        var options = _images.Options() with { DataPath = "shards/{0..3}.tar" };
        var e = Assert.Throws<VgtDataException>(() => new CaptionDataset(options, new ListOf([])));
        Assert.Equal("shards/{0..3}.tar: the manifest has no entries", e.Message);
    }
}
