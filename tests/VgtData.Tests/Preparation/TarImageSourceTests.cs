using System.IO.Compression;
using VgtData.Preparation;
using VgtData.Sources;

namespace VgtData.Tests.Preparation;

public sealed class TarImageSourceTests
{
    [Fact]
    public void ReadsMembersInPlace_ByteForByte_AsExtracted()
    {
        using var t = new TempTree();
        var set = PrepareShareGptTests.WriteHostileSet(t);
        ShareGpt4oImagePreparer.Run(t.Root, new PrepareOptions { Workers = 2, Extract = true });

        using var source = TarImageSource.FromGlob(t.Root, "raw/text_to_image_part_*.tar");
        Assert.False(source.Index.FromCache);
        Assert.Single(source.Index.Problems);
        // 1.png and 6.png are held by both parts (as 1.png and image/1.png): refused, never the first part's.
        string[] twice = ["1.png", "6.png"];
        foreach (var name in set.Images.Keys.Except(twice))
        {
            using var bytes = source.Read("images/" + name);
            Assert.Equal(File.ReadAllBytes(Path.Combine(t.Root, "images", name)), bytes.Span.ToArray());
        }
        foreach (var name in twice)
            Assert.Equal(SampleFailureReason.AmbiguousMember, Assert.Throws<SampleException>(() => source.Read("images/" + name)).Reason);
        using (var byFullName = source.Read("image/5.png")) Assert.Equal(set.Images["5.png"], byFullName.Span.ToArray());
        using (var byBase = source.Read("5.png")) Assert.Equal(set.Images["5.png"], byBase.Span.ToArray());
        Assert.True(source.Exists("image/6.png"));
        Assert.EndsWith("text_to_image_part_1.tar:image/5.png", source.Describe("5.png"));

        var missing = Assert.Throws<SampleException>(() => source.Read("images/12.png"));
        Assert.Equal(SampleFailureReason.MissingFile, missing.Reason);
        Assert.Equal(Path.Combine(t.Root, "raw/text_to_image_part_*.tar") + ":images/12.png", missing.Path);
        Assert.Throws<SampleException>(() => source.Read("11.png")); // truncated member: not indexed
        Assert.False(source.Exists("link.png"));

        // Many threads at once, no shared position.
        Parallel.For(0, 200, i =>
        {
            var name = $"{i % 8 + 2}.png";
            if (name == "6.png") return;
            using var b = source.Read(name);
            Assert.Equal(set.Images[name], b.Span.ToArray());
        });
    }

    [Fact]
    public void Index_IsCached_AndRebuiltWhenAPartChanges()
    {
        using var t = new TempTree();
        var a = t.Raw("a.tar");
        var b = t.Raw("b.tar");
        File.WriteAllBytes(a, new TarBuilder().File("x/1.png", [1, 2, 3]).Build());
        File.WriteAllBytes(b, new TarBuilder().File("2.png", [4, 5]).Build());
        using (var first = new TarImageSource([a, b])) Assert.False(first.Index.FromCache);
        Assert.True(File.Exists(TarIndex.CachePath([a, b])));
        using (var second = new TarImageSource([a, b]))
        {
            Assert.True(second.Index.FromCache);
            using var bytes = second.Read("1.png");
            Assert.Equal(new byte[] { 1, 2, 3 }, bytes.Span.ToArray());
        }
        File.WriteAllBytes(b, new TarBuilder().File("2.png", [4, 5, 6, 7]).Build());
        File.SetLastWriteTimeUtc(b, DateTime.UtcNow.AddMinutes(1));
        using (var third = new TarImageSource([a, b]))
        {
            Assert.False(third.Index.FromCache);
            using var bytes = third.Read("images/2.png");
            Assert.Equal(new byte[] { 4, 5, 6, 7 }, bytes.Span.ToArray());
        }
    }

    [Fact]
    public void ReplacedPart_SameSizeAndMtime_IsReindexed_NotReadAtStaleOffsets()
    {
        using var t = new TempTree();
        var part = t.Raw("p.tar");
        byte[] a = [1, 1, 1], b = [2, 2, 2];
        File.WriteAllBytes(part, new TarBuilder().File("a.png", a).File("b.png", b).Build());
        var mtime = File.GetLastWriteTimeUtc(part);
        using (var first = new TarImageSource([part])) Assert.False(first.Index.FromCache);

        // Same size, same mtime, members swapped: a.png now lies where b.png was.
        File.Delete(part);
        File.WriteAllBytes(part, new TarBuilder().File("b.png", b).File("a.png", a).Build());
        File.SetLastWriteTimeUtc(part, mtime);
        using var second = new TarImageSource([part]);
        Assert.False(second.Index.FromCache);
        using (var bytes = second.Read("a.png")) Assert.Equal(a, bytes.Span.ToArray());
        using (var bytes = second.Read("b.png")) Assert.Equal(b, bytes.Span.ToArray());
    }

    [Fact]
    public void PartRewrittenInPlace_AfterIndexing_IsANamedBadSample()
    {
        using var t = new TempTree();
        var part = t.Raw("p.tar");
        File.WriteAllBytes(part, new TarBuilder().File("a.png", [1, 1, 1]).File("b.png", [2, 2, 2]).Build());
        using var source = new TarImageSource([part]);
        // Rewritten through the open handle's inode: the stamp taken at open time cannot see it, the header check does.
        using (var f = new FileStream(part, FileMode.Open, FileAccess.Write)) f.Write(new TarBuilder().File("b.png", [2, 2, 2]).File("a.png", [1, 1, 1]).Build());
        var e = Assert.Throws<SampleException>(() => source.Read("a.png"));
        Assert.Equal(SampleFailureReason.MissingFile, e.Reason);
        Assert.Equal("the tar part changed after it was indexed (member header at offset 0 differs); restart to re-index", e.Detail);
        Assert.Equal($"{part}:a.png", e.Path);
    }

    [Fact]
    public void BogusSizeField_InATarSource_IsANamedBadSample_NotACrash()
    {
        using var t = new TempTree();
        var part = t.Raw("p.tar");
        var overflow = new byte[] { 0x80, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF };
        File.WriteAllBytes(part, new TarBuilder().File("good.png", [7, 7]).BogusSizeFile("bad.png", overflow, [1, 2, 3]).File("after.png", [9]).Build());
        using var source = new TarImageSource([part]);
        Assert.Equal($"{part}: bad size field in header at offset 1024", Assert.Single(source.Index.Problems));
        using (var good = source.Read("good.png")) Assert.Equal(new byte[] { 7, 7 }, good.Span.ToArray());
        var e = Assert.Throws<SampleException>(() => source.Read("bad.png"));
        Assert.Equal(SampleFailureReason.MissingFile, e.Reason);
        Assert.Equal($"no such member in any tar part (1 part(s) damaged: {part}: bad size field in header at offset 1024)", e.Detail);
    }

    [Fact]
    public void ExtractCommand_TarGz_KeepsFolders_RefusesEscapes_Resumes()
    {
        using var t = new TempTree();
        var png = TestImages.Png(8, 8);
        var tar = new TarBuilder()
            .File("a/b/1.png", png)
            .File("c.png", [9, 9])
            .File("../evil.png", png)
            .File("a/../../evil2.png", png)
            .Entry("a/link", '2', "/etc/passwd")
            .Build();
        using (var gz = new GZipStream(File.Create(t.Raw("set_0.tar.gz")), CompressionLevel.Fastest)) gz.Write(tar);
        File.WriteAllBytes(t.Raw("set_1.tar"), new TarBuilder().File("d/2.png", [7]).Build());
        var outDir = Path.Combine(t.Root, "out");

        var (code, output, _) = PrepareShareGptTests.RunCli("extract", "--input", Path.Combine(t.Root, "raw", "set_*"), "--out", outDir, "--workers", "2");
        Assert.Equal(0, code);
        Assert.Contains("extracted: 3, skipped existing: 0", output);
        Assert.Contains("set_0.tar.gz: ../evil.png: parent traversal", output);
        Assert.Contains("set_0.tar.gz: a/../../evil2.png: parent traversal", output);
        Assert.Contains("set_0.tar.gz: a/link: symlink", output);
        Assert.Equal(
            ["root/out/a/b/1.png", "root/out/c.png", "root/out/d/2.png", "root/raw/set_0.tar.gz", "root/raw/set_1.tar"],
            t.AllFiles());
        Assert.Equal(png, File.ReadAllBytes(Path.Combine(outDir, "a", "b", "1.png")));

        (code, output, _) = PrepareShareGptTests.RunCli("extract", "--input", t.Raw("set_0.tar.gz"), t.Raw("set_1.tar"), "--out", outDir);
        Assert.Equal(0, code);
        Assert.Contains("extracted: 0, skipped existing: 3", output);
    }
}
