using SixLabors.ImageSharp;
using VgtData.Config;
using VgtData.Datasets;
using VgtData.Sources;
using static VgtData.Tests.Preparation.ParquetFixtures;

namespace VgtData.Tests.Preparation;

/// <summary>
/// The two parquet recipes, midjourney-23m and imagenet1k-t2i: a replica of the download as the recipe's doc lays it
/// out, one prepare line, VGT's own "Set config" block (read from its recipe doc) imported unchanged, every sample loaded with none bad; for
/// imagenet the images served from the parquet row groups in place and, after <c>--extract</c>, from the PNGs VGT's
/// extract.py names, with the same batches. The expected data.json rows are what VGT's pasted scripts give (worked
/// through by hand on the replica: no pandas here).
/// </summary>
public sealed class PrepareParquetRecipesTests
{
    private static (int Code, string Out, string Err) Cli(params string[] args) => PrepareShareGptTests.RunCli(args);

    /// <summary>The "Set config" block of VGT's recipe doc, as pasted there.</summary>
    private static string SetConfig(string doc)
    {
        var text = File.ReadAllText(SharedData.Require($"vgt-docs/datasets/{doc}.md"));
        var block = text[text.IndexOf("## Set config", StringComparison.Ordinal)..];
        block = block[(block.IndexOf("```python\n", StringComparison.Ordinal) + "```python\n".Length)..];
        return block[..block.IndexOf("```", StringComparison.Ordinal)];
    }

    private static byte[] Jpeg(int w, int h, int seed)
    {
        using var image = Fixtures.TestImages.Noise(w, h, seed);
        using var ms = new MemoryStream();
        image.SaveAsJpeg(ms);
        return ms.ToArray();
    }

    private static byte[] Png(int w, int h, int seed)
    {
        using var image = Fixtures.TestImages.Noise(w, h, seed);
        using var ms = new MemoryStream();
        image.SaveAsPng(ms);
        return ms.ToArray();
    }

    // ---- imagenet1k-t2i --------------------------------------------------------------------------------------------

    /// <summary>Two parts: binary cells in row groups of 2 (JPEG and PNG), base64 text cells in one row group.</summary>
    internal static void WriteImagenetDownload(RecipeTree t)
    {
        WriteImagenet(Path.Combine(t.Root, "raw/00000.parquet"),
        [
            Row(Jpeg(120, 110, 1), "a tench in a net"),
            Row(Png(112, 112, 2), "a goldfish"),
            new ImagenetRow(Jpeg(116, 116, 3), [("gpt", "first"), ("human", "a shark")]),
            new ImagenetRow(Png(110, 114, 4), [("human", "  spaced  "), ("human", "second")]),
            Row(Png(100, 104, 5), "a hen"),
        ], rowGroup: 2);
        WriteImagenet(Path.Combine(t.Root, "raw/00001.parquet"),
        [
            Row(Jpeg(124, 108, 6), "a cock"),
            Row(Png(106, 106, 7), "an ostrich"),
            Row(Jpeg(104, 120, 8), "a junco"),
        ], rowGroup: 3, base64: true);
    }

    private const string ImagenetRows =
        """[{"image":"images/00000_000000.png","caption":"a tench in a net"},{"image":"images/00000_000001.png","caption":"a goldfish"},""" +
        """{"image":"images/00000_000002.png","caption":"a shark"},{"image":"images/00000_000003.png","caption":"  spaced  "},""" +
        """{"image":"images/00000_000004.png","caption":"a hen"},{"image":"images/00001_000000.png","caption":"a cock"},""" +
        """{"image":"images/00001_000001.png","caption":"an ostrich"},{"image":"images/00001_000002.png","caption":"a junco"}]""";

    /// <summary>The checksum of the first 4 batches of the imported config's loader, and how it names entry 5's image.</summary>
    private static (string Checksum, string Describe) Batches(string config)
    {
        using var pipeline = PipelineFactory.Build(ConfigLoader.Load(config));
        var describe = ((CaptionDataset)pipeline.Dataset).Describe(5);
        using var batches = pipeline.CreateLoader();
        var sum = new VgtData.Loading.BatchChecksum();
        foreach (var batch in batches.Take(4))
            using (batch) sum.Add(batch);
        return (sum.Hex, describe);
    }

    [SkippableFact]
    public void Imagenet_InPlace_ThenExtracted_VgtsConfigLoadsEverySample_SameBatches()
    {
        using var t = new RecipeTree("imagenet1k-t2i");
        WriteImagenetDownload(t);

        var (code, output, err) = Cli("prepare", "imagenet1k-t2i", "--root", t.Root);
        Assert.True(code == 0, err);
        Assert.Contains("entries: 8, written to data.json: 8", output);
        Assert.Equal(ImagenetRows, RecipeTree.Rows(t.DataJson()));
        Assert.False(Directory.Exists(Path.Combine(t.Root, "images")));
        Assert.True(File.Exists(Path.Combine(t.Root, ParquetImageSource.IndexFileName)));
        Assert.Contains("imagenet1k-t2i: 8 rows kept, 8/8 rows", err);

        var config = t.ImportConfig(SetConfig("imagenet1k_t2i_qwenvl_flux"));
        RecipeTree.AssertLoads(config, 8);
        var inPlace = Batches(config);
        Assert.Equal($"{Path.Combine(t.Root, "raw", "00001.parquet")}:row 0 (images/00001_000000.png)", inPlace.Describe);

        (code, output, err) = Cli("prepare", "imagenet1k-t2i", "--root", t.Root, "--extract");
        Assert.True(code == 0, err);
        Assert.Equal(ImagenetRows, RecipeTree.Rows(t.DataJson()));
        Assert.Contains("imagenet1k-t2i: 8 images written to " + Path.Combine(t.Root, "images") + ", 0 already there", err);
        Assert.False(File.Exists(Path.Combine(t.Root, ParquetImageSource.IndexFileName)));
        Assert.Equal(t.DataJson().Select(r => r!["image"]!.GetValue<string>()[7..]).Order(StringComparer.Ordinal),
            Directory.EnumerateFiles(Path.Combine(t.Root, "images")).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        // Every extracted file is a PNG, as VGT's image.save(...png) writes.
        foreach (var f in Directory.EnumerateFiles(Path.Combine(t.Root, "images")))
            Assert.Equal("PNG", Image.DetectFormat(f).Name);

        RecipeTree.AssertLoads(config, 8);
        var extracted = Batches(config);
        Assert.Equal(Path.Combine(t.Root, "images", "00001_000000.png"), extracted.Describe);
        Assert.Equal(inPlace.Checksum, extracted.Checksum);

        // Resumable: a rerun writes nothing already there.
        File.Delete(Path.Combine(t.Root, "images", "00000_000003.png"));
        (code, _, err) = Cli("prepare", "imagenet1k-t2i", "--root", t.Root, "--extract");
        Assert.True(code == 0, err);
        Assert.Contains("imagenet1k-t2i: 1 images written to " + Path.Combine(t.Root, "images") + ", 7 already there", err);
        Assert.Equal(inPlace.Checksum, Batches(config).Checksum);
    }

    [SkippableFact]
    public void Imagenet_RowsExtractPyWouldStopOn_AreRefusedAndListed_NoHumanTurnKeptWithEmptyCaption()
    {
        using var t = new RecipeTree("imagenet1k-t2i");
        WriteImagenet(Path.Combine(t.Root, "raw/00000.parquet"),
        [
            Row(Png(100, 100, 1), "kept"),
            new ImagenetRow(Png(100, 100, 2), null),
            new ImagenetRow(Png(100, 100, 3), [("human", null), ("gpt", "x")]),
            new ImagenetRow(null, [("human", "no image")]),
            Row(Fixtures.TestImages.Zlib([1, 2, 3]), "not an image"),
            new ImagenetRow(Png(100, 100, 6), [("gpt", "only gpt")]),
        ], rowGroup: 4);
        WriteImagenet(Path.Combine(t.Root, "raw/00001.parquet"),
        [
            new ImagenetRow([0], [("human", "bad text")], Base64: "not*base64"),
            Row(Png(100, 100, 8), "kept too"),
        ], rowGroup: 2, base64: true);

        var (code, output, err) = Cli("prepare", "imagenet1k-t2i", "--root", t.Root);
        Assert.True(code == 0, err);
        Assert.Contains("entries: 8, written to data.json: 3", output);
        Assert.Equal("""[{"image":"images/00000_000000.png","caption":"kept"},{"image":"images/00000_000005.png","caption":""},""" +
                     """{"image":"images/00001_000001.png","caption":"kept too"}]""", RecipeTree.Rows(t.DataJson()));
        var report = t.Report();
        Assert.Equal(
            """[{"row":"raw/00000.parquet[1]","reason":"conversations missing"},{"row":"raw/00000.parquet[2]","reason":"human turn has no text"},""" +
            """{"row":"raw/00000.parquet[3]","reason":"image bytes missing"},{"row":"raw/00000.parquet[4]","reason":"not an image"},""" +
            """{"row":"raw/00001.parquet[0]","reason":"image text not base64"}]""",
            RecipeTree.Rows(report["refused_rows"]));
        Assert.Contains("  refused raw/00000.parquet[4]: not an image", output);

        // The row without a human turn is VGT's too (caption ""): the loader counts it as the one bad sample.
        var config = t.ImportConfig(SetConfig("imagenet1k_t2i_qwenvl_flux"));
        RecipeTree.AssertLoads(config, 3, "1 blank caption");
    }

    /// <summary>The replica prepared in place with VGT's config imported: the config and the first part's path.</summary>
    private static (string Config, string Part) PreparedInPlace(RecipeTree t)
    {
        WriteImagenetDownload(t);
        Assert.Equal(0, Cli("prepare", "imagenet1k-t2i", "--root", t.Root).Code);
        return (t.ImportConfig(SetConfig("imagenet1k_t2i_qwenvl_flux")), Path.Combine(t.Root, "raw", "00000.parquet"));
    }

    [SkippableFact]
    public void Imagenet_PartChangedAfterPrepare_IsRefusedOnOpen_NotReadAsOtherRows()
    {
        using var t = new RecipeTree("imagenet1k-t2i");
        var (config, part) = PreparedInPlace(t);
        long before = new FileInfo(part).Length;
        WriteImagenet(part, [Row(Png(100, 100, 1), "other")], rowGroup: 1);

        var (code, _, err) = Cli("validate", config);
        Assert.Equal(1, code);
        Assert.Contains($"{part}: {new FileInfo(part).Length} bytes, {before} when images.parquet.json was written; the part changed, rerun vgtdata prepare", err);
    }

    [Fact]
    public void ParquetImageSource_ServesTheCellBytesOfExtractPysNames_OnlyThoseNames()
    {
        using var t = new RecipeTree("imagenet1k-t2i");
        var png = Png(90, 90, 1);
        var jpeg = Jpeg(90, 90, 2);
        WriteImagenet(Path.Combine(t.Root, "raw/00000.parquet"), [Row(png, "a"), Row(Png(90, 90, 3), "b"), Row(png, "c")], rowGroup: 2);
        WriteImagenet(Path.Combine(t.Root, "raw/x.parquet.parquet"), [Row(jpeg, "d")], rowGroup: 1, base64: true);
        Assert.Equal(0, Cli("prepare", "imagenet1k-t2i", "--root", t.Root).Code);

        using var source = ParquetImageSource.OpenPrepared(t.Root)!;
        using (var b = source.Read("images/00000_000002.png")) Assert.Equal(png, b.Span.ToArray());
        // Python's str.replace('.parquet', '') takes every occurrence out of the name; base64 text comes back as bytes.
        using (var b = source.Read("images/x_000000.png")) Assert.Equal(jpeg, b.Span.ToArray());
        Assert.True(source.Exists("images/00000_000001.png"));
        foreach (var name in new[] { "images/00000_000003.png", "images/00000_2.png", "images/00000_0000002.png", "images/00000_000002.jpg",
                     "00000_000002.png", "images/00001_000000.png", "images/00000_+00002.png" })
        {
            Assert.False(source.Exists(name), name);
            var e = Assert.Throws<SampleException>(() => source.Read(name).Dispose());
            Assert.Equal(SampleFailureReason.MissingFile, e.Reason);
        }

        // An extracted images/ folder wins over the index.
        Directory.CreateDirectory(Path.Combine(t.Root, "images"));
        Assert.Null(ParquetImageSource.OpenPrepared(t.Root));
    }

    /// <summary>Page headers of the first column chunk overwritten (the size unchanged, so the index still matches).</summary>
    private static void DamageFirstPage(string part)
    {
        var bytes = File.ReadAllBytes(part);
        bytes.AsSpan(4, 36).Fill(0xff);
        File.WriteAllBytes(part, bytes);
    }

    [SkippableFact]
    public void Imagenet_DamagedPage_PrepareStopsWithOneLine_LoaderCountsBadSamplesOnly()
    {
        using var t = new RecipeTree("imagenet1k-t2i");
        var (config, part) = PreparedInPlace(t);
        DamageFirstPage(part);

        // The loader: the rows of the damaged row group are bad samples, each named; the rest load.
        var (code, output, err) = Cli("validate", config, "--json", "--workers", "1");
        Assert.Equal(1, code);
        var bad = System.Text.Json.Nodes.JsonNode.Parse(output.TrimEnd().Split('\n')[^1])!["bad"]!.AsArray();
        Assert.Equal([0, 1], bad.Select(b => b!["index"]!.GetValue<int>()));

        (code, output, err) = Cli("prepare", "imagenet1k-t2i", "--root", t.Root);
        Assert.Equal(1, code);
        Assert.StartsWith($"vgtdata prepare: {part}: damaged parquet data (Couldn't deserialize thrift", err.Trim().Split('\n')[^1]);
        Assert.EndsWith("; download the part again", err.Trim());
    }

    [Fact]
    public void Imagenet_NoParts_OneLine()
    {
        using var t = new RecipeTree("imagenet1k-t2i");
        var (code, output, err) = Cli("prepare", "imagenet1k-t2i", "--root", t.Root);
        Assert.Equal(1, code);
        Assert.Equal("", output);
        Assert.Equal($"vgtdata prepare: no parquet parts in {Path.Combine(t.Root, "raw")} (expected raw/00000.parquet, ... as the recipe's download leaves them)", err.Trim());
    }

    [SkippableFact]
    public void Imagenet_FifoNamedAsAPart_RefusedWithOneLine_NothingWaits()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "FIFOs are made with mkfifo here");
        using var t = new RecipeTree("imagenet1k-t2i");
        var fifo = Path.Combine(t.Root, "raw", "00000.parquet");
        Directory.CreateDirectory(Path.GetDirectoryName(fifo)!);
        using (var p = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("mkfifo", [fifo]) { UseShellExecute = false })!) p.WaitForExit();
        Skip.IfNot(File.Exists(fifo), "mkfifo is not available");
        var (code, output, err) = Cli("prepare", "imagenet1k-t2i", "--root", t.Root);
        Assert.Equal(1, code);
        Assert.Equal("", output);
        Assert.Equal($"vgtdata prepare: {fifo}: not a regular file: is a FIFO (named pipe)", err.Trim());
    }

    // ---- midjourney-23m --------------------------------------------------------------------------------------------

    /// <summary>A midjourney-23m download: two parts (one member with its folder), two tables of 9 rows, 4 of them kept.</summary>
    internal static void WriteMidjourneyDownload(RecipeTree t)
    {
        t.Write("raw/images/00/0000.tar", new TarBuilder().File("a.png", Png(112, 112, 1)).File("b.jpg", Jpeg(120, 110, 2)).Build());
        t.Write("raw/images/01/0001.tar", new TarBuilder().File("sub/c.png", Png(100, 104, 3)).File("d.png", Png(108, 108, 4)).Build());
        WriteMidjourney(Path.Combine(t.Root, "raw/table-1.parquet"),
        [
            new("a.png", "a cat --ar 1:1", 112, 112),
            new("b.jpg", "a dog", 120, 110),
            new("missing.png", "gone", 10, 10),
            new(null, "no file", 10, 10),
        ], rowGroup: 2);
        WriteMidjourney(Path.Combine(t.Root, "raw/table-2.parquet"),
        [
            new("sub/c.png", "nested — 猫", 100, 104),
            new("d.png", null, 108, 108),
            new("d.png", "no width", null, 108),
            new("../x.png", "escape", 1, 1),
            new("d.png", "d again", 108, 108),
        ], rowGroup: 3);
    }

    [SkippableFact]
    public void Midjourney_UnpacksTheTarsAndKeepsVgtsRows_ThenVgtsConfigLoadsEverySample()
    {
        using var t = new RecipeTree("midjourney-23m");
        WriteMidjourneyDownload(t);

        var (code, output, err) = Cli("prepare", "midjourney-23m", "--root", t.Root, "--extract");
        Assert.True(code == 0, err);
        Assert.Contains("entries: 9, written to data.json: 4", output);
        Assert.Contains("parts: 2, extracted: 4", output);
        Assert.Equal(
            """[{"image":"images/a.png","caption":"a cat --ar 1:1","width":112,"height":112},{"image":"images/b.jpg","caption":"a dog","width":120,"height":110},""" +
            """{"image":"images/sub/c.png","caption":"nested \u2014 \u732B","width":100,"height":104},{"image":"images/d.png","caption":"d again","width":108,"height":108}]""",
            RecipeTree.Rows(t.DataJson()));
        Assert.Equal(
            """[{"row":"raw/table-1.parquet[2]","reason":"image not in images/"},{"row":"raw/table-1.parquet[3]","reason":"filename missing"},""" +
            """{"row":"raw/table-2.parquet[1]","reason":"prompt missing"},{"row":"raw/table-2.parquet[2]","reason":"width or height missing"},""" +
            """{"row":"raw/table-2.parquet[3]","reason":"filename leaves images/"}]""",
            RecipeTree.Rows(t.Report()["refused_rows"]));

        var config = t.ImportConfig(SetConfig("midjourney_captioned_23m"));
        RecipeTree.AssertLoads(config, 4);

        // A rerun finds every member there and writes the same data.json.
        var first = File.ReadAllText(Path.Combine(t.Root, "data.json"));
        (code, output, err) = Cli("prepare", "midjourney-23m", "--root", t.Root, "--extract");
        Assert.True(code == 0, err);
        Assert.Contains("extracted: 0, skipped existing: 4", output);
        Assert.Equal(first, File.ReadAllText(Path.Combine(t.Root, "data.json")));
    }

    [Fact]
    public void Midjourney_TableWithoutPromptColumn_OneLineNamingIt()
    {
        using var t = new RecipeTree("midjourney-23m");
        t.Write("raw/images/00/0000.tar", new TarBuilder().File("a.png", Png(88, 88, 1)).Build());
        var table = Path.Combine(t.Root, "raw", "table-1.parquet");
        using (var writer = new ParquetSharp.ParquetFileWriter(table, [new ParquetSharp.Column<string>("filename")]))
        {
            using var rg = writer.AppendRowGroup();
            using var c = rg.NextColumn().LogicalWriter<string>();
            c.WriteBatch(["a.png"]);
            writer.Close();
        }
        var (code, _, err) = Cli("prepare", "midjourney-23m", "--root", t.Root);
        Assert.Equal(1, code);
        Assert.Equal($"vgtdata prepare: {table}: no column prompt", err.Trim().Split('\n')[^1]);
    }
}
