using VgtData.Config;

namespace VgtData.Tests.Preparation;

/// <summary>
/// Each tar recipe prepared without <c>--extract</c> (the download left as it lies) and with it, on the same replica:
/// VGT's own config imported unchanged loads every sample with none bad in both, and the loader gives the same batches.
/// </summary>
public sealed class PrepareReadInPlaceTests
{
    private static (int Code, string Out, string Err) Cli(params string[] args) => Fixtures.CliRun.Run(args);

    /// <summary>The checksum of the first 4 batches of <paramref name="config"/>'s loader.</summary>
    internal static string Batches(string config)
    {
        using var pipeline = PipelineFactory.Build(ConfigLoader.Load(config));
        using var batches = pipeline.CreateLoader();
        var sum = new VgtData.Loading.BatchChecksum();
        foreach (var batch in batches.Take(4))
            using (batch) sum.Add(batch);
        return sum.Hex;
    }

    private static void Write(string recipe, RecipeTree t)
    {
        switch (recipe)
        {
            case "blip3o-60k": PrepareRecipesTests.WriteBlip3o(t); break;
            case "text-to-image-2m": PrepareRecipesTests.WriteTextToImage(t); break;
            case "megalith-10m": PrepareCaptionTarRecipesTests.WriteMegalith(t); break;
            case "cc12m": PrepareCaptionTarRecipesTests.WriteCc12m(t); break;
            default: throw new ArgumentException(recipe);
        }
    }

    /// <summary>Prepares <paramref name="t"/> (in place, or <c>--extract</c>), imports the recipe doc's config and checks
    /// every sample loads (when <paramref name="samples"/> is given); returns the config.</summary>
    private static string Prepare(RecipeTree t, string recipe, string doc, int? samples, bool extract, params string[] bad)
    {
        var args = new List<string> { "prepare", recipe, "--root", t.Root, "--workers", "2" };
        if (extract) args.Add("--extract");
        var (code, output, err) = Cli([.. args]);
        Assert.True(code == 0, err);
        // VGT's config reads each of these downloads in place: no note asks for --extract.
        Assert.DoesNotContain("note:", output);
        var config = t.ImportConfig(RecipeTree.DocConfig(doc));
        if (samples is { } n) RecipeTree.AssertLoads(config, n, bad);
        return config;
    }

    [SkippableTheory]
    [InlineData("blip3o-60k", "BLIP3o-60k", "blip3o60k.md", 3, "raw/00000")]
    [InlineData("text-to-image-2m", "text-to-image-2M", "text2image2m.md", 4, "raw/data_512_2M/data_000000")]
    [InlineData("megalith-10m", "megalith-10m", "megalith10m.md", 3, "captions/00000")]
    [InlineData("cc12m", "cc12m", "cc12m.md", 3, "raw/0000")]
    public void WithoutExtract_VgtsConfigUnchangedLoadsEverySample_AndTheBatchesOfTheExtractedLayout(
        string recipe, string folder, string doc, int samples, string partFolder)
    {
        using var inPlace = new RecipeTree(folder);
        using var extracted = new RecipeTree(folder);
        Write(recipe, inPlace);
        Write(recipe, extracted);

        var inPlaceConfig = Prepare(inPlace, recipe, doc, samples, extract: false);
        var extractedConfig = Prepare(extracted, recipe, doc, samples, extract: true);
        Assert.False(Directory.Exists(Path.Combine(inPlace.Root, partFolder)));
        Assert.True(Directory.Exists(Path.Combine(extracted.Root, partFolder)));
        Assert.Equal(Batches(extractedConfig), Batches(inPlaceConfig));
    }

    private static void WriteShareGpt(RecipeTree t)
    {
        PrepareRecipesTests.WriteShareGptParts(t);
        t.Write("raw/text_to_image.json", PrepareRecipesTests.ShareGptEntries);
    }

    /// <summary>Validates <paramref name="config"/> after appending a row for <paramref name="image"/> to data.json (as
    /// if edited by hand).</summary>
    internal static (int Code, string Out) ValidateWithRow(RecipeTree t, string config, string image, string caption)
    {
        var dataJson = Path.Combine(t.Root, "data.json");
        var rows = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(dataJson))!.AsArray();
        rows.Add(new System.Text.Json.Nodes.JsonObject { ["image"] = image, ["caption"] = caption });
        File.WriteAllText(dataJson, rows.ToJsonString());
        var (code, stdout, _) = PrepareShareGptTests.RunCli("validate", config);
        return (code, stdout);
    }

    private static readonly string[] ShareGptBad = ["2 blank caption", "9 blank caption"];

    // Recipes whose parts together stand for one images/ folder: prepare lists them in images.tarparts.json.
    [SkippableTheory]
    [InlineData("sharegpt-4o-image", "sharegpt_4o_image_45k.md", 11)]
    [InlineData("midjourney-23m", "midjourney_captioned_23m.md", 4)]
    public void PartsForOneFolder_VgtsConfigUnchangedLoadsEverySample_AndTheBatchesOfTheExtractedLayout(string recipe, string doc, int samples)
    {
        using var inPlace = new RecipeTree(recipe);
        using var extracted = new RecipeTree(recipe);
        var bad = recipe == "sharegpt-4o-image" ? ShareGptBad : [];
        foreach (var t in new[] { inPlace, extracted })
            if (recipe == "sharegpt-4o-image") WriteShareGpt(t);
            else PrepareParquetRecipesTests.WriteMidjourneyDownload(t);

        var inPlaceConfig = Prepare(inPlace, recipe, doc, samples, extract: false, bad);
        var extractedConfig = Prepare(extracted, recipe, doc, samples, extract: true, bad);
        Assert.False(Directory.Exists(Path.Combine(inPlace.Root, "images")));
        Assert.True(File.Exists(Path.Combine(inPlace.Root, "images.tarparts.json")));
        Assert.True(Directory.Exists(Path.Combine(extracted.Root, "images")));
        Assert.False(File.Exists(Path.Combine(extracted.Root, "images.tarparts.json")));
        Assert.Equal(File.ReadAllText(Path.Combine(extracted.Root, "data.json")), File.ReadAllText(Path.Combine(inPlace.Root, "data.json")));
        Assert.Equal(Batches(extractedConfig), Batches(inPlaceConfig));
    }

    [SkippableFact]
    public void PartsForOneFolder_APartChangedSincePrepare_IsRefusedWithOneLineNamingIt()
    {
        using var t = new RecipeTree("sharegpt-4o-image");
        WriteShareGpt(t);
        var config = Prepare(t, "sharegpt-4o-image", "sharegpt_4o_image_45k.md", 11, extract: false, ShareGptBad);
        var part = Path.Combine(t.Root, "raw", "text_to_image_part_1.tar");
        long before = new FileInfo(part).Length;
        t.Write("raw/text_to_image_part_1.tar", new TarBuilder().File("4.png", TestImages.Png(100, 100, 9)).Build());

        var (code, stdout, err) = PrepareShareGptTests.RunCli("validate", config);
        Assert.Equal(1, code);
        Assert.Equal("", stdout);
        Assert.Equal($"vgtdata validate: error: {config}: dataset: {part}: {new FileInfo(part).Length} bytes, {before} when images.tarparts.json was written; the part changed, rerun vgtdata prepare\n",
            err);
    }

    [SkippableFact]
    public void PartsForOneFolder_ANameInTwoParts_PrepareRefusesIt_AndTheLoaderRefusesARowNamingIt_NamingBoth()
    {
        using var t = new RecipeTree("sharegpt-4o-image");
        WriteShareGpt(t);
        t.Write("raw/text_to_image_part_1.tar", new TarBuilder()
            .File("4.png", TestImages.Png(100, 100, 4)).File("5.png", TestImages.Png(96, 100, 5)).File("1.png", TestImages.Png(96, 96, 7)).Build());
        var config = Prepare(t, "sharegpt-4o-image", "sharegpt_4o_image_45k.md", samples: 9, extract: false, "1 blank caption", "7 blank caption");
        Assert.Equal("""[{"part":"text_to_image_part_0.tar","member":"1.png","reason":"name collision"},""" +
            """{"part":"text_to_image_part_1.tar","member":"1.png","reason":"name collision"}]""", RecipeTree.Rows(t.Report()["refused_members"]));

        // A row naming it anyway (data.json edited by hand) is a bad sample naming both parts; the rest load.
        var (code, stdout) = ValidateWithRow(t, config, "images/1.png", "a cat");
        Assert.Equal(1, code);
        Assert.Contains("checked 10 entries (1 dataset): 3 bad\n", stdout);
        var (first, second) = (Path.Combine(t.Root, "raw", "text_to_image_part_0.tar"), Path.Combine(t.Root, "raw", "text_to_image_part_1.tar"));
        Assert.Contains($"\n  0:9 images/1.png: ambiguous tar member: 2 members could be meant: {first}:1.png, {second}:1.png; ", stdout);
    }

    [SkippableFact]
    public void Midjourney_InPlace_APathIsTheMemberOfExactlyThatPath_AsInTheExtractedFolder()
    {
        using var t = new RecipeTree("midjourney-23m");
        PrepareParquetRecipesTests.WriteMidjourneyDownload(t);
        var config = Prepare(t, "midjourney-23m", "midjourney_captioned_23m.md", 4, extract: false);

        // The member is sub/c.png: images/c.png is not in the extracted folder, so it is no base-name match here either.
        var (code, stdout) = ValidateWithRow(t, config, "images/c.png", "flattened");
        Assert.Equal(1, code);
        Assert.Contains("checked 5 entries (1 dataset): 1 bad\n", stdout);
        Assert.Contains($"\n  0:4 images/c.png: missing file: no member of that path in the parts [{Path.Combine(t.Root, "raw", "images", "01", "0001.tar")}:sub/c.png]\n", stdout);
    }

    [SkippableTheory]
    [InlineData("""{"folder": "images", "parts": [{"file": "raw/text_to_image_part_0.tar", "bytes": 1}]}""", "JSON deserialization for type")]
    [InlineData("""{"folder": "images", "flat": true, "parts": [{"file": "../elsewhere.tar", "bytes": 1}]}""", "'../elsewhere.tar' is not a path below the dataset folder")]
    [InlineData("""{"folder": "/", "flat": true, "parts": [{"file": "raw/text_to_image_part_0.tar", "bytes": 1}]}""", "'/' is not a path below the dataset folder")]
    public void PartsForOneFolder_AnUnusableListing_IsRefusedWithOneLineSayingToRerunPrepare(string listing, string why)
    {
        using var t = new RecipeTree("sharegpt-4o-image");
        WriteShareGpt(t);
        var config = Prepare(t, "sharegpt-4o-image", "sharegpt_4o_image_45k.md", 11, extract: false, ShareGptBad);
        var sidecar = Path.Combine(t.Root, "images.tarparts.json");
        File.WriteAllText(sidecar, listing);

        var (code, stdout, err) = PrepareShareGptTests.RunCli("validate", config);
        Assert.Equal(1, code);
        Assert.Equal("", stdout);
        Assert.StartsWith($"vgtdata validate: error: {config}: dataset: {sidecar}: unreadable (", err);
        Assert.Contains(why, err);
        Assert.EndsWith("); rerun vgtdata prepare\n", err);
        Assert.Single(err.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }
}
