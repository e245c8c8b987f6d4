using System.IO.Compression;
using System.Text;
using VgtData.Preparation;

namespace VgtData.Tests.Preparation;

/// <summary>Hostile and unusual tar parts through <see cref="TarExtractor"/> and <c>vgtdata extract</c>: everything
/// readable is extracted, every refusal has its reason, nothing lands outside --out.</summary>
public sealed class TarExtractionTests
{
    private static byte[] Gzip(params byte[][] members)
    {
        // Each array becomes one gzip member; concatenated, as `cat a.gz b.gz` or pigz/bgzip-style writers produce.
        var all = new MemoryStream();
        foreach (var m in members)
        {
            var one = new MemoryStream();
            using (var gz = new GZipStream(one, CompressionLevel.Fastest, leaveOpen: true)) gz.Write(m);
            all.Write(one.ToArray());
        }
        return all.ToArray();
    }

    private static byte[] Data(int seed, int length = 700) => TestImages.Garbage(length, seed);

    private static ExtractionResult Extract(TempTree t, params string[] parts) =>
        TarExtractor.Run(parts, new ExtractionOptions { OutputDir = Path.Combine(t.Root, "out"), Workers = 2, PartLabel = Path.GetFileName });

    private static string Out(TempTree t, string relative) => Path.Combine(t.Root, "out", relative);

    [Fact]
    public void MultiMemberGzip_TarSplitAcrossMembers_AllFiveFilesExtracted_ExitZero()
    {
        using var t = new TempTree();
        var b = new TarBuilder();
        for (int i = 0; i < 5; i++) b.File($"f{i}.bin", Data(i));
        var tar = b.Build();
        // Cut inside the second member's data and at a header boundary: a reader that stops after the first gzip
        // member would see only part of the archive.
        File.WriteAllBytes(t.Raw("split.tar.gz"), Gzip(tar[..2000], tar[2000..3072], tar[3072..]));

        var (code, output, err) = PrepareShareGptTests.RunCli("extract", "--input", t.Raw("split.tar.gz"), "--out", Path.Combine(t.Root, "out"));
        Assert.Equal(0, code);
        Assert.Contains("extracted: 5,", output);
        Assert.DoesNotContain("part error", output);
        for (int i = 0; i < 5; i++) Assert.Equal(Data(i), File.ReadAllBytes(Out(t, $"f{i}.bin")));
        Assert.DoesNotContain("vgtdata extract:", err);
    }

    [Fact]
    public void ConcatenatedTarGz_EachWithEndMarker_BothArchivesExtracted()
    {
        using var t = new TempTree();
        var first = new TarBuilder().File("a.bin", Data(1)).File("b.bin", Data(2)).Build();
        var second = new TarBuilder().File("c.bin", Data(3)).Build();
        File.WriteAllBytes(t.Raw("cat.tar.gz"), Gzip(first, second));
        var result = Extract(t, t.Raw("cat.tar.gz"));
        Assert.Empty(result.Errors);
        Assert.Equal(3, result.Extracted);
        Assert.Equal(Data(3), File.ReadAllBytes(Out(t, "c.bin")));
    }

    [Fact]
    public void TruncatedGzip_IsADamagedPart_Exit3_MembersBeforeTheCutKept()
    {
        using var t = new TempTree();
        var tar = new TarBuilder().File("a.bin", Data(1, 4000)).File("b.bin", Data(2, 200_000)).Build();
        var gz = Gzip(tar);
        File.WriteAllBytes(t.Raw("cut.tar.gz"), gz[..(gz.Length * 2 / 3)]);
        var (code, output, err) = PrepareShareGptTests.RunCli("extract", "--input", t.Raw("cut.tar.gz"), "--out", Path.Combine(t.Root, "out"));
        Assert.Equal(3, code); // docs/exit-codes.md
        Assert.Contains("part error: ", output);
        Assert.Contains("1 part(s) damaged or cut short", err);
        Assert.Equal(Data(1, 4000), File.ReadAllBytes(Out(t, "a.bin")));
        Assert.False(File.Exists(Out(t, "b.bin")));
        Assert.False(Directory.Exists(Out(t, ExtractionTemp.FolderName)));
    }

    [Fact]
    public void GzipTrailerCrcWrong_IsADamagedPart()
    {
        using var t = new TempTree();
        var gz = Gzip(new TarBuilder().File("a.bin", Data(1)).Build());
        gz[^8] ^= 0xFF; // CRC32 of the uncompressed data
        File.WriteAllBytes(t.Raw("crc.tar.gz"), gz);
        var result = Extract(t, t.Raw("crc.tar.gz"));
        var error = Assert.Single(result.Errors);
        Assert.Equal("crc.tar.gz", error.Part);
    }

    [Fact]
    public void SecondGzipMemberWithDamagedHeader_IsADamagedPart_NotSilentlyDropped()
    {
        using var t = new TempTree();
        var first = Gzip(new TarBuilder().File("a.bin", Data(1)).Build());
        var second = Gzip(new TarBuilder().File("b.bin", Data(2, 300_000)).Build()); // random data: stays ~300 KB compressed
        second[0] = 0x00; // not a gzip member any more
        File.WriteAllBytes(t.Raw("two.tar.gz"), [.. first, .. second]);
        var (code, output, _) = PrepareShareGptTests.RunCli("extract", "--input", t.Raw("two.tar.gz"), "--out", Path.Combine(t.Root, "out"));
        Assert.Equal(3, code);
        Assert.Contains("bytes after the last complete gzip member", output);
        Assert.Equal(Data(1), File.ReadAllBytes(Out(t, "a.bin")));
        Assert.False(File.Exists(Out(t, "b.bin")));
    }

    [Fact]
    public void PartWithoutEndMarker_IsReportedAsCutShort()
    {
        using var t = new TempTree();
        File.WriteAllBytes(t.Raw("noend.tar"), new TarBuilder().File("a.bin", Data(1)).Build(endMarker: false));
        var result = Extract(t, t.Raw("noend.tar"));
        Assert.Equal(1, result.Extracted);
        Assert.Equal("part ends at offset 1536 without the end-of-archive marker (cut short?)", Assert.Single(result.Errors).Error);
    }

    [Fact]
    public void SparseMembers_PaxAndOldGnu_RefusedUnderTheirRealNames_NothingWritten()
    {
        using var t = new TempTree();
        var map = Encoding.ASCII.GetBytes("1\n0\n5\n");
        var tar = new TarBuilder()
            .Pax([("GNU.sparse.major", "1"u8.ToArray()), ("GNU.sparse.minor", "0"u8.ToArray()), ("GNU.sparse.name", "img/sparse.png"u8.ToArray()),
                  ("GNU.sparse.realsize", "5"u8.ToArray())], "GNUSparseFile.4242/sparse.png", '0', [.. map, .. new byte[512 - map.Length], 1, 2, 3, 4, 5])
            .Typed("old-sparse.bin", 'S', Data(7))
            .File("after.bin", Data(8))
            .Build();
        File.WriteAllBytes(t.Raw("sparse.tar"), tar);
        var result = Extract(t, t.Raw("sparse.tar"));
        Assert.Empty(result.Errors);
        Assert.Equal(
            [new RefusedMember("sparse.tar", "img/sparse.png", RefusalReasons.Sparse), new RefusedMember("sparse.tar", "old-sparse.bin", RefusalReasons.Sparse)],
            result.Refused);
        Assert.Equal(["root/out/after.bin", "root/raw/sparse.tar"], t.AllFiles());
    }

    [Fact]
    public void OneBadMember_NeverStopsTheRest_EachRefusedWithItsReason()
    {
        using var t = new TempTree();
        var name255 = new string('n', 251) + ".png";
        var tar = new TarBuilder()
            .File("a", Data(1))
            .File("a/b.png", Data(2))                   // needs folder 'a' where a file is
            .File("c/x.png", Data(3))
            .File("c", Data(3))                         // file where a folder is
            .Pax([("path", "nul\0name.png"u8.ToArray())], "ignored", '0', Data(4))
            .GnuLongName("long/" + new string('m', 256) + ".png", Data(5))
            .GnuLongName("long/" + name255, Data(6))    // exactly 255 bytes: fits, temporaries never lengthen it
            .File("z.bin", Data(9))
            .Build();
        File.WriteAllBytes(t.Raw("bad.tar"), tar);
        var (code, output, _) = PrepareShareGptTests.RunCli("extract", "--input", t.Raw("bad.tar"), "--out", Path.Combine(t.Root, "out"));
        Assert.Equal(0, code);
        Assert.Contains("bad.tar: a/b.png: file/folder name conflict", output);
        Assert.Contains("bad.tar: c: file/folder name conflict", output);
        Assert.Contains("bad.tar: nul\\x00name.png: NUL in name", output);
        Assert.Contains($"bad.tar: long/{new string('m', 256)}.png: name component over 255 bytes", output);
        Assert.Contains("refused members: 4", output);
        Assert.Equal(Data(6), File.ReadAllBytes(Out(t, "long/" + name255)));
        Assert.Equal(Data(9), File.ReadAllBytes(Out(t, "z.bin")));
        Assert.Equal(Data(1), File.ReadAllBytes(Out(t, "a")));
    }

    [Fact]
    public void SymlinkAlreadyUnderOut_IsNeverFollowed()
    {
        using var t = new TempTree();
        var outside = Path.Combine(t.Container, "outside");
        Directory.CreateDirectory(outside);
        File.WriteAllBytes(Path.Combine(outside, "victim.png"), [42]);
        var outDir = Path.Combine(t.Root, "out");
        Directory.CreateDirectory(Path.Combine(outDir, "real"));
        File.CreateSymbolicLink(Path.Combine(outDir, "escape"), outside);                       // a folder link
        File.CreateSymbolicLink(Path.Combine(outDir, "real", "nested"), outside);               // deeper down
        File.CreateSymbolicLink(Path.Combine(outDir, "victim.png"), Path.Combine(outside, "victim.png")); // a file link
        File.WriteAllBytes(t.Raw("links.tar"), new TarBuilder()
            .File("escape/x.png", Data(1))
            .File("real/nested/sub/y.png", Data(2))
            .File("victim.png", Data(3))
            .File("real/ok.png", Data(4))
            .Build());

        var result = Extract(t, t.Raw("links.tar"));
        Assert.Empty(result.Errors);
        Assert.Equal(
            [new RefusedMember("links.tar", "escape/x.png", RefusalReasons.SymlinkInOutput),
             new RefusedMember("links.tar", "real/nested/sub/y.png", RefusalReasons.SymlinkInOutput)],
            result.Refused);
        Assert.Equal(["victim.png"], Directory.GetFileSystemEntries(outside).Select(Path.GetFileName));
        Assert.Equal([42], File.ReadAllBytes(Path.Combine(outside, "victim.png")));
        // The link at the final name was replaced by the member, not written through.
        Assert.Null(new FileInfo(Path.Combine(outDir, "victim.png")).LinkTarget);
        Assert.Equal(Data(3), File.ReadAllBytes(Path.Combine(outDir, "victim.png")));
        Assert.Equal(Data(4), File.ReadAllBytes(Path.Combine(outDir, "real", "ok.png")));
    }

    [Fact]
    public void NonUtf8Names_ThatDecodeToTheSameReplacement_AreBothKept_UnderDistinctEscapedNames()
    {
        using var t = new TempTree();
        File.WriteAllBytes(t.Raw("latin1.tar"), new TarBuilder()
            .RawNameFile([0xE9, (byte)'.', (byte)'p', (byte)'n', (byte)'g'], Data(1))   // "é.png" in Latin-1
            .RawNameFile([0xE8, (byte)'.', (byte)'p', (byte)'n', (byte)'g'], Data(2))   // "è.png" in Latin-1
            .RawNameFile([(byte)'%', 0xFF, (byte)'x'], Data(3))
            .File("%FF.png", Data(4))                                                     // a valid name that looks escaped
            .Build());
        var result = Extract(t, t.Raw("latin1.tar"));
        Assert.Empty(result.Errors);
        Assert.Empty(result.Refused);
        Assert.Equal(Data(1), File.ReadAllBytes(Out(t, "%E9.png")));
        Assert.Equal(Data(2), File.ReadAllBytes(Out(t, "%E8.png")));
        Assert.Equal(Data(3), File.ReadAllBytes(Out(t, "%25%FFx")));
        Assert.Equal(Data(4), File.ReadAllBytes(Out(t, "%FF.png")));
    }

    [Fact]
    public void OnlyOwnTemporariesAreDeleted_UserFilesEndingInPartialSuffixSurvive()
    {
        using var t = new TempTree();
        var outDir = Path.Combine(t.Root, "out");
        var tmpDir = Path.Combine(outDir, ExtractionTemp.FolderName);
        Directory.CreateDirectory(Path.Combine(outDir, "sub"));
        Directory.CreateDirectory(tmpDir);
        File.WriteAllBytes(Path.Combine(outDir, "notes.vgtdata-partial"), [1]);
        File.WriteAllBytes(Path.Combine(outDir, "sub", ".x.png.1234abcd.vgtdata-partial"), [2]);
        File.WriteAllBytes(Path.Combine(tmpDir, "1f.part"), [3]);          // a killed run's temporary
        File.WriteAllBytes(Path.Combine(tmpDir, "mine.txt"), [4]);         // not of the tool's pattern
        File.WriteAllBytes(t.Raw("one.tar"), new TarBuilder().File("sub/x.png", Data(1)).Build());

        var result = Extract(t, t.Raw("one.tar"));
        Assert.Empty(result.Errors);
        Assert.Equal(
            ["root/out/.vgtdata-tmp/mine.txt", "root/out/notes.vgtdata-partial", "root/out/sub/.x.png.1234abcd.vgtdata-partial",
             "root/out/sub/x.png", "root/raw/one.tar"],
            t.AllFiles());
    }

    [Fact]
    public void TemporariesFolderReplacedByASymlink_ClearError_NothingDeletedThroughIt()
    {
        using var t = new TempTree();
        var outside = Path.Combine(t.Container, "outside");
        Directory.CreateDirectory(outside);
        File.WriteAllBytes(Path.Combine(outside, "1f.part"), [1]); // would match the temporaries' pattern
        var outDir = Path.Combine(t.Root, "out");
        Directory.CreateDirectory(outDir);
        File.CreateSymbolicLink(Path.Combine(outDir, ExtractionTemp.FolderName), outside);
        File.WriteAllBytes(t.Raw("one.tar"), new TarBuilder().File("x.png", Data(1)).Build());
        var e = Assert.Throws<VgtDataException>(() => Extract(t, t.Raw("one.tar")));
        Assert.Equal($"{Path.Combine(outDir, ExtractionTemp.FolderName)}: exists and is not a folder (it holds extraction temporaries; move it away)", e.Message);
        Assert.True(File.Exists(Path.Combine(outside, "1f.part")));
    }

    [Fact]
    public void OutIsAnExistingFile_OneClearLine_Exit1()
    {
        using var t = new TempTree();
        File.WriteAllBytes(t.Raw("one.tar"), new TarBuilder().File("x.png", Data(1)).Build());
        var file = Path.Combine(t.Root, "afile");
        File.WriteAllBytes(file, [1]);
        var (code, output, err) = PrepareShareGptTests.RunCli("extract", "--input", t.Raw("one.tar"), "--out", file);
        Assert.Equal(1, code);
        Assert.Equal($"vgtdata extract: --out {file}: is a file, not a folder\n", err);
        Assert.Equal("", output);
        Assert.Throws<VgtDataException>(() => TarExtractor.Run([t.Raw("one.tar")], new ExtractionOptions { OutputDir = file }));
    }

    [Theory]
    [InlineData(new byte[] { 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF })] // base-256, negative
    [InlineData(new byte[] { 0x80, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF })] // base-256, overflows long
    [InlineData(new byte[] { (byte)'9', (byte)'9', (byte)'9', 0, 0, 0, 0, 0, 0, 0, 0, 0 })]               // not octal
    public void BogusSizeField_IsADamagedPart_MembersBeforeItKept(byte[] sizeField)
    {
        using var t = new TempTree();
        File.WriteAllBytes(t.Raw("size.tar"), new TarBuilder().File("ok.bin", Data(1)).BogusSizeFile("bad.bin", sizeField, Data(2)).Build());
        var result = Extract(t, t.Raw("size.tar"));
        Assert.Equal("bad size field in header at offset 1536", Assert.Single(result.Errors).Error);
        Assert.Equal(Data(1), File.ReadAllBytes(Out(t, "ok.bin")));
    }
}
