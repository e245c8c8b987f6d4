using System.Buffers.Binary;
using VgtData.Manifests;
using VgtData.Tests.Fixtures;

namespace VgtData.Tests.Manifests;

/// <summary>A node's record that an index passed its checksum: later opens map the file without hashing it, and any change
/// to the file (a write, a replacement) makes the next open hash it again.</summary>
public sealed class CheckedStampTests : IDisposable
{
    private readonly TestImages _files = new();

    public void Dispose() => _files.Dispose();

    private (string Manifest, string Index, EntryIndex.Meta Meta) Build()
    {
        var manifest = _files.WriteText("data.json", """
            [{"image": "a/0001.jpg", "caption": "a fox"}, {"image": "b/0002.png", "caption": "a hen"}, {"image": "c/3.png"}]
            """);
        var index = manifest + EntryIndex.Extension;
        var meta = new EntryIndex.Meta("caption", [EntryIndex.SourceStamp.Of(manifest)]);
        EntryIndex.Write(index, Manifest.Load(manifest), meta);
        return (manifest, index, meta);
    }

    private static ulong HeaderChecksum(string index) =>
        BinaryPrimitives.ReadUInt64LittleEndian(File.ReadAllBytes(index).AsSpan(EntryIndex.ChecksumAt, 8));

    /// <summary>Records a check of the file as it is now, as an open does once the file's last change is old enough.</summary>
    private static void RecordAsChecked(string index)
    {
        using var handle = File.OpenHandle(index);
        var (identity, _) = CheckedStamp.Of(handle)!.Value;
        CheckedStamp.Record(index, identity, DateTime.UnixEpoch, HeaderChecksum(index));
    }

    [SkippableFact]
    public void AFreshlyWrittenIndexIsHashedAndNotRecorded()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "the node's record of checked files uses Linux statx");
        var (_, index, meta) = Build();
        using (var first = EntryIndex.TryOpen(index, meta, null, out var why))
        {
            Assert.True(first is not null, why);
            Assert.True(first!.Hashed);
        }
        // Its ctime is seconds old at most: a write in the same clock tick could keep it, so no record is made yet.
        Assert.Null(EntryIndex.TryOpen(index, meta, null, out var reason, checkedOnly: true));
        Assert.Equal("not checked on this node yet", reason);
        using var handle = File.OpenHandle(index);
        var (identity, changed) = CheckedStamp.Of(handle)!.Value;
        CheckedStamp.Record(index, identity, changed, HeaderChecksum(index));
        Assert.False(CheckedStamp.Holds(index, identity, HeaderChecksum(index)));
    }

    [SkippableFact]
    public void ACheckedIndexIsMappedWithoutHashingAndReadsTheSame()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "the node's record of checked files uses Linux statx");
        var (manifest, index, meta) = Build();
        RecordAsChecked(index);
        using var opened = EntryIndex.TryOpen(index, meta, null, out var why, checkedOnly: true);
        Assert.True(opened is not null, why);
        Assert.False(opened!.Hashed);
        var table = Manifest.Load(manifest);
        Assert.Equal(table.Count, opened.Count);
        for (int i = 0; i < table.Count; i++) Assert.Equal(table[i], opened[i]);
        // The loader's own open takes the same path.
        using var loaded = (EntryIndex)EntryLists.OpenIndexed(manifest, "caption", null);
        Assert.False(loaded.Hashed);
        Assert.False(loaded.Built);
    }

    [SkippableTheory]
    [InlineData("flipped in place")]
    [InlineData("replaced by a damaged copy")]
    public void AChangeAfterTheCheckIsHashedAgainAndRefused(string change)
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "the node's record of checked files uses Linux statx");
        var (manifest, index, meta) = Build();
        RecordAsChecked(index);
        Thread.Sleep(50);   // past the file system's timestamp tick, as a real later write is
        var bytes = File.ReadAllBytes(index);
        if (change == "flipped in place")
        {
            using var stream = new FileStream(index, FileMode.Open, FileAccess.Write);
            stream.Position = bytes.Length - 2;
            stream.WriteByte((byte)(bytes[^2] ^ 0x10));
        }
        else
        {
            bytes[^2] ^= 0x10;
            File.WriteAllBytes(index + ".new", bytes);
            File.Move(index + ".new", index, overwrite: true);
        }
        Assert.Null(EntryIndex.TryOpen(index, meta, null, out var reason, checkedOnly: true));
        Assert.Equal("not checked on this node yet", reason);
        Assert.Null(EntryIndex.TryOpen(index, meta, null, out var why));
        Assert.Equal("checksum does not match (damaged)", why);
        // The loader rebuilds it and reads the manifest's entries.
        using var rebuilt = (EntryIndex)EntryLists.OpenIndexed(manifest, "caption", null);
        Assert.True(rebuilt.Built);
        Assert.Equal("a hen", rebuilt[1].Caption);
    }

    [SkippableFact]
    public void ARecordOfAnotherChecksumIsNotTrusted()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "the node's record of checked files uses Linux statx");
        var (_, index, meta) = Build();
        using (var handle = File.OpenHandle(index))
        {
            var (identity, _) = CheckedStamp.Of(handle)!.Value;
            CheckedStamp.Record(index, identity, DateTime.UnixEpoch, HeaderChecksum(index) ^ 1);
        }
        Assert.Null(EntryIndex.TryOpen(index, meta, null, out _, checkedOnly: true));
        using var opened = EntryIndex.TryOpen(index, meta, null, out var why);
        Assert.True(opened is not null, why);
        Assert.True(opened!.Hashed);
    }

    [SkippableFact]
    public void RecordsAreKeptOnlyInAFolderNoOneElseCanWrite()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "the node's record of checked files uses Linux statx");
        var own = Path.Combine(_files.Root, "records");
        Assert.NotNull(CheckedStamp.RecordPath("/data/x.vgtidx", own));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(own));
        var open = Path.Combine(_files.Root, "shared");
        Directory.CreateDirectory(open);
        File.SetUnixFileMode(open, (UnixFileMode)0x1ff);   // rwxrwxrwx: anyone could plant a record there
        Assert.Null(CheckedStamp.RecordPath("/data/x.vgtidx", open));
    }
}
