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
        // Only a download VGT's config cannot read in place ends with the --extract command.
        Assert.Equal(!extract && recipe == "sharegpt-4o-image", output.Contains($"; run: vgtdata prepare {recipe} --root {t.Root} --extract\n"));
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

    [SkippableFact]
    public void ShareGpt_VgtsConfigUnchangedNeedsExtract_ItsPartsNamedAsImageSourceGiveTheExtractedBatches()
    {
        using var inPlace = new RecipeTree("sharegpt-4o-image");
        using var extracted = new RecipeTree("sharegpt-4o-image");
        foreach (var t in new[] { inPlace, extracted })
        {
            PrepareRecipesTests.WriteShareGptParts(t);
            t.Write("raw/text_to_image.json", PrepareRecipesTests.ShareGptEntries);
        }
        var extractedConfig = Prepare(extracted, "sharegpt-4o-image", "sharegpt_4o_image_45k.md", 11, extract: true, "2 blank caption", "9 blank caption");

        // VGT's config reads images/NAME below image_folder: in place there is no images/ and no images.tar to read.
        var config = Prepare(inPlace, "sharegpt-4o-image", "sharegpt_4o_image_45k.md", samples: null, extract: false);
        Assert.Contains($"note: VGT's sharegpt-4o-image config reads images/, which no part is named after (in place, name the parts as its image_source: " +
            $"docs/vgt-datasets.md); run: vgtdata prepare sharegpt-4o-image --root {inPlace.Root} --extract\n", Cli("prepare", "sharegpt-4o-image", "--root", inPlace.Root).Out);
        var (vcode, stdout, _) = PrepareShareGptTests.RunCli("validate", config);
        Assert.Equal(1, vcode);
        Assert.Contains($"\n  0:0 images/1.png: missing file: no such file [{Path.Combine(inPlace.Root, "images", "1.png")}]\n", stdout);

        // Naming the parts (the flat-name route: images/NAME is the one part holding NAME) gives the extracted batches.
        var json = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(config), documentOptions: new() { CommentHandling = System.Text.Json.JsonCommentHandling.Skip })!;
        json["dataset"]!["image_source"] = new System.Text.Json.Nodes.JsonObject
            { ["type"] = "tar", ["parts"] = Path.Combine(inPlace.Root, "raw", "text_to_image_part_*.tar") };
        File.WriteAllText(config, json.ToJsonString());
        RecipeTree.AssertLoads(config, 11, "2 blank caption", "9 blank caption");
        Assert.Equal(Batches(extractedConfig), Batches(config));
    }
}
