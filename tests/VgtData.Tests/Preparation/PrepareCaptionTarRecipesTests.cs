using System.Text.Json.Nodes;

namespace VgtData.Tests.Preparation;

/// <summary>
/// megalith-10m and cc12m: image tar parts in raw/, captions in their own tars (captions/*.tar holding PART/KEY.json),
/// the extra json download optional. Member names assumed (the docs do not list them): image parts are webdataset
/// shards with KEY.jpg|png and their own KEY.json|txt metadata (ignored, as VGT's config reads the caption tars);
/// megalith's parts are raw/00000.tar.., cc12m's raw/cc12m-train-0000.tar..; caption tars are captions/00000.tar..
/// (cc12m: captions/0000.tar..) holding 00000/KEY.json with <c>caption_internlm2_short</c> (cc12m: <c>caption</c>).
/// </summary>
public sealed class PrepareCaptionTarRecipesTests
{
    private static (int Code, string Out, string Err) Cli(params string[] args) => Fixtures.CliRun.Run(args);

    private static byte[] U(string text) => System.Text.Encoding.UTF8.GetBytes(text);

    private static byte[] Caption(string key, string text) => U(new JsonObject { [key] = text, ["caption_other"] = "unused" }.ToJsonString());

    internal static void WriteMegalith(RecipeTree t)
    {
        const string c = "caption_internlm2_short";
        t.Write("raw/00000.tar", new TarBuilder()
            .File("100.jpg", TestImages.Jpeg(96, 96)).File("100.json", U("""{"url": "https://example.com/100"}"""))
            .File("101.png", TestImages.Png(100, 96, 2))
            .File("102.jpg", TestImages.Jpeg(96, 96)).Build());
        t.Write("raw/00001.tar", new TarBuilder()
            .File("100.jpg", TestImages.Jpeg(112, 96))
            .File("103.jpeg", TestImages.Jpeg(96, 96)).File("103.jpg", TestImages.Jpeg(96, 96)).Build());
        t.Write("captions/00000.tar", new TarBuilder()
            .File("00000/100.json", Caption(c, "a stone circle at dawn")).File("00000/101.json", Caption(c, "a fox — 狐"))
            .File("00000/999.json", Caption(c, "no image")).Build());
        t.Write("captions/00001.tar", new TarBuilder()
            .File("00001/100.json", Caption(c, "same key, other part")).File("00001/103.json", Caption(c, "two images")).Build());
    }

    private const string MegalithRows =
        """[{"image":"00000/100.jpg","annotation":"00000/100.json"},{"image":"00000/101.png","annotation":"00000/101.json"},""" +
        """{"image":"00001/100.jpg","annotation":"00001/100.json"}]""";

    private const string MegalithRefusals =
        """[{"row":"raw/00000/102.jpg","reason":"image without caption member"},{"row":"raw/00001/103.jpeg","reason":"several images for one key"},""" +
        """{"row":"captions/00000/999.json","reason":"caption member without image"}]""";

    [SkippableFact]
    public void Megalith_JsonWrittenFromBothTarSets_ExtractUnpacksAsVgtDoes_ThenVgtsConfigLoadsEverySample()
    {
        using var t = new RecipeTree("megalith-10m");
        WriteMegalith(t);
        var (code, output, err) = Cli("prepare", "megalith-10m", "--root", t.Root, "--extract", "--workers", "2");
        Assert.True(code == 0, err);
        Assert.Contains("entries: 6, written to data.json: 3", output);
        Assert.Contains("parts: 4, extracted: 12, skipped existing: 0", output);
        Assert.Contains($"wrote {Path.Combine(t.Root, "megalith10m_all.json")} and {Path.Combine(t.Root, "prepare-report.json")}", output);
        Assert.Contains("extract: ", err);
        Assert.Equal(MegalithRows, RecipeTree.Rows(t.DataJson("megalith10m_all.json")));
        var report = t.Report();
        Assert.Equal(MegalithRefusals, RecipeTree.Rows(report["refused_rows"]));
        Assert.Equal(3, report["written"]!.GetValue<int>());
        long bytes = new[] { "raw/00000/100.jpg", "captions/00000/100.json", "raw/00000/101.png", "captions/00000/101.json", "raw/00001/100.jpg", "captions/00001/100.json" }
            .Sum(f => new FileInfo(Path.Combine(t.Root, f)).Length);
        Assert.Equal(bytes, report["bytes"]!.GetValue<long>());
        // VGT's extract.py: raw/PART.tar into raw/PART/, captions/*.tar into captions/ with the members' own folders.
        Assert.Equal(
            ["captions/00000.tar", "captions/00000/100.json", "captions/00000/101.json", "captions/00000/999.json", "captions/00001.tar",
             "captions/00001/100.json", "captions/00001/103.json", "megalith10m_all.json", "prepare-report.json",
             "raw/00000.tar", "raw/00000/100.jpg", "raw/00000/100.json", "raw/00000/101.png", "raw/00000/102.jpg",
             "raw/00001.tar", "raw/00001/100.jpg", "raw/00001/103.jpeg", "raw/00001/103.jpg"],
            t.Files());

        var config = t.ImportConfig(RecipeTree.DocConfig("megalith10m.md"));
        RecipeTree.AssertLoads(config, 3);
    }

    [SkippableFact]
    public void Megalith_TheDownloadedJsonIsKeptAsItIs_ThenVgtsConfigLoadsItsCount()
    {
        using var t = new RecipeTree("megalith-10m");
        WriteMegalith(t);
        // A json prepare wrote itself is written again on a rerun; one put there afterwards is a download, kept.
        var (code, output, err) = Cli("prepare", "megalith-10m", "--root", t.Root);
        Assert.True(code == 0, err);
        (code, output, err) = Cli("prepare", "megalith-10m", "--root", t.Root);
        Assert.Contains("entries: 6, written to data.json: 3", output);
        const string downloaded = """[{"image": "00001/100.jpg", "annotation": "00001/100.json"}, {"image": "00000/101.png", "annotation": "00000/101.json"}]""";
        t.Write("megalith10m_all.json", downloaded);
        (code, output, err) = Cli("prepare", "megalith-10m", "--root", t.Root, "--extract");
        Assert.True(code == 0, err);
        Assert.Contains("entries: 2, written to data.json: 2", output);
        Assert.Equal(downloaded, File.ReadAllText(Path.Combine(t.Root, "megalith10m_all.json")));
        RecipeTree.AssertLoads(t.ImportConfig(RecipeTree.DocConfig("megalith10m.md")), 2);
    }

    [Fact]
    public void Megalith_WithoutCaptionTarsOrJson_OneLineNamingTheFolder()
    {
        using var t = new RecipeTree("megalith-10m");
        t.Write("raw/00000.tar", new TarBuilder().File("1.jpg", TestImages.Jpeg(96, 96)).Build());
        var (code, output, err) = Cli("prepare", "megalith-10m", "--root", t.Root);
        Assert.Equal(1, code);
        Assert.Equal("", output);
        Assert.Equal($"vgtdata prepare: no caption tars in {Path.Combine(t.Root, "captions")} (expected the recipe's caption download, captions/*.tar)", err.Trim());
        Assert.False(File.Exists(Path.Combine(t.Root, "megalith10m_all.json")));
    }

    internal static void WriteCc12m(RecipeTree t)
    {
        t.Write("raw/cc12m-train-0000.tar", new TarBuilder()
            .File("000000001.jpg", TestImages.Jpeg(96, 96)).File("000000001.txt", U("the alt text, not VGT's caption"))
            .File("000000001.json", U("""{"key": "000000001"}"""))
            .File("000000002.png", TestImages.Png(96, 100, 3)).Build());
        t.Write("raw/cc12m-train-0001.tar", new TarBuilder()
            .File("000010000.jpg", TestImages.Jpeg(120, 96)).File("000010001.jpg", TestImages.Jpeg(96, 96)).Build());
        t.Write("raw/_info.json", """{"name": "cc12m"}""");
        t.Write("captions/0000.tar", new TarBuilder()
            .File("0000/000000001.json", Caption("caption", "a red bicycle")).File("0000/000000002.json", Caption("caption", "  a lake  ")).Build());
        t.Write("captions/0001.tar", new TarBuilder().File("0001/000010000.json", Caption("caption", "a tram")).Build());
    }

    private const string Cc12mRows =
        """[{"image":"0000/000000001.jpg","annotation":"0000/000000001.json"},{"image":"0000/000000002.png","annotation":"0000/000000002.json"},""" +
        """{"image":"0001/000010000.jpg","annotation":"0001/000010000.json"}]""";

    [SkippableFact]
    public void Cc12m_PartsUnpackIntoTheirNumber_JsonWrittenFromTheCaptionTars_ThenVgtsConfigLoadsEverySample()
    {
        using var t = new RecipeTree("cc12m");
        WriteCc12m(t);
        var (code, output, err) = Cli("prepare", "cc12m", "--root", t.Root, "--extract");
        Assert.True(code == 0, err);
        Assert.Contains("entries: 4, written to data.json: 3", output);
        Assert.Equal(Cc12mRows, RecipeTree.Rows(t.DataJson()));
        Assert.Equal("""[{"row":"raw/0001/000010001.jpg","reason":"image without caption member"}]""", RecipeTree.Rows(t.Report()["refused_rows"]));
        // folder = tar_file[:-4].split('-')[-1]
        Assert.Equal(
            ["captions/0000.tar", "captions/0000/000000001.json", "captions/0000/000000002.json", "captions/0001.tar", "captions/0001/000010000.json",
             "data.json", "prepare-report.json", "raw/0000/000000001.jpg", "raw/0000/000000001.json", "raw/0000/000000001.txt", "raw/0000/000000002.png",
             "raw/0001/000010000.jpg", "raw/0001/000010001.jpg", "raw/_info.json", "raw/cc12m-train-0000.tar", "raw/cc12m-train-0001.tar"],
            t.Files());
        RecipeTree.AssertLoads(t.ImportConfig(RecipeTree.DocConfig("cc12m.md")), 3);
    }

    [Fact]
    public void Cc12m_TwoPartsForOneFolder_RefusedBeforeAnythingIsWritten()
    {
        using var t = new RecipeTree("cc12m");
        WriteCc12m(t);
        t.Write("raw/cc12m-val-0001.tar", new TarBuilder().File("000010000.jpg", TestImages.Jpeg(96, 96)).Build());
        var (code, output, err) = Cli("prepare", "cc12m", "--root", t.Root, "--extract");
        Assert.Equal(1, code);
        Assert.Equal("", output);
        Assert.Equal("vgtdata prepare: raw/cc12m-train-0001.tar and raw/cc12m-val-0001.tar both unpack into raw/0001/ (VGT's extract.py would mix them); move one away",
            err.Trim());
        Assert.False(Directory.Exists(Path.Combine(t.Root, "raw/0000")));
        Assert.False(File.Exists(Path.Combine(t.Root, "data.json")));
    }
}
