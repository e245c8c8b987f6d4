using VgtData.Config;
using VgtData.Datasets;
using VgtData.Sources;
using VgtData.Storage;
using VgtData.Tests.Storage;

namespace VgtData.Tests.Preparation;

/// <summary>
/// sharegpt-4o-image and midjourney-23m prepared in place (the parts listed in images.tarparts.json), uploaded with
/// <c>prepare NAME --root DIR --upload s3://…</c>, and read by VGT's config with <c>ceph_folder</c> set to the bucket: the
/// parts are read where they lie in the bucket, giving the batches of the local in-place and the extracted layouts.
/// </summary>
public sealed class PrepareTarPartsS3Tests : IDisposable
{
    private readonly List<RecipeTree> _trees = [];
    private S3TestServer? _server;

    public void Dispose()
    {
        _server?.Dispose();
        foreach (var t in _trees) t.Dispose();
    }

    private S3TestServer Server => _server ??= S3TestServer.StartOrSkip();

    private static (int Code, string Out, string Err) Cli(params string[] args) => Fixtures.CliRun.Run(args);

    private static readonly string[] ShareGptBad = ["2 blank caption", "9 blank caption"];

    private RecipeTree Tree(string recipe)
    {
        var t = new RecipeTree(recipe);
        _trees.Add(t);
        if (recipe == "sharegpt-4o-image")
        {
            PrepareRecipesTests.WriteShareGptParts(t);
            t.Write("raw/text_to_image.json", PrepareRecipesTests.ShareGptEntries);
        }
        else PrepareParquetRecipesTests.WriteMidjourneyDownload(t);
        return t;
    }

    private static string Doc(string recipe) => recipe == "sharegpt-4o-image" ? "sharegpt_4o_image_45k.md" : "midjourney_captioned_23m.md";

    private static string Prepare(RecipeTree t, string recipe, bool extract)
    {
        var (code, _, err) = Cli(extract ? ["prepare", recipe, "--root", t.Root, "--extract"] : ["prepare", recipe, "--root", t.Root]);
        Assert.True(code == 0, err);
        return t.ImportConfig(RecipeTree.DocConfig(Doc(recipe)));
    }

    /// <summary>Prepares <paramref name="t"/> in place and uploads it to s3://vgt/<paramref name="prefix"/> in one command,
    /// then removes everything else local: only data.json stays, as VGT keeps data_path. Returns VGT's config for the
    /// recipe with ceph_folder and ceph_config set to the bucket, and nothing else changed.</summary>
    private string Uploaded(RecipeTree t, string recipe, string prefix)
    {
        using (var store = new S3Store(Server.Settings())) store.EnsureBucket("vgt");
        var ini = Server.WritePetrelConfig(t.Parent);
        var (code, output, err) = Cli("prepare", recipe, "--root", t.Root, "--upload", $"s3://vgt/{prefix}", "--ceph-config", ini);
        Assert.True(code == 0, err);
        int files = t.Files().Length;
        Assert.Contains($"\nupload s3://vgt/{prefix}: {files} of {files} files uploaded (", "\n" + output);
        foreach (var file in Directory.EnumerateFiles(t.Root).Where(f => Path.GetFileName(f) != "data.json")) File.Delete(file);
        foreach (var folder in Directory.EnumerateDirectories(t.Root)) Directory.Delete(folder, recursive: true);

        var block = RecipeTree.DocConfig(Doc(recipe));
        var remote = block.Replace("ceph_folder=None", $"ceph_folder='s3://vgt/{prefix}'").Replace("ceph_config=None", $"ceph_config='{ini}'");
        Assert.Equal(block.Length + $"'s3://vgt/{prefix}'".Length + $"'{ini}'".Length - 8, remote.Length);
        return t.ImportConfig(remote);
    }

    [SkippableTheory]
    [InlineData("sharegpt-4o-image", 11, "images/4.png", "raw/text_to_image_part_1.tar:4.png")]
    [InlineData("midjourney-23m", 4, "images/sub/c.png", "raw/images/01/0001.tar:sub/c.png")]
    public void UploadedInPlace_VgtsConfigWithCephFolder_ReadsThePartsInTheBucket_WithTheBatchesOfBothLocalLayouts(
        string recipe, int samples, string image, string member)
    {
        var bad = recipe == "sharegpt-4o-image" ? ShareGptBad : [];
        var inPlace = Prepare(Tree(recipe), recipe, extract: false);
        var extracted = Prepare(Tree(recipe), recipe, extract: true);
        var remote = Uploaded(Tree(recipe), recipe, recipe);

        RecipeTree.AssertLoads(remote, samples, bad);
        var sum = PrepareReadInPlaceTests.Batches(remote);
        Assert.Equal(PrepareReadInPlaceTests.Batches(extracted), sum);
        Assert.Equal(PrepareReadInPlaceTests.Batches(inPlace), sum);
        using var pipeline = PipelineFactory.Build(ConfigLoader.Load(remote));
        var source = Assert.IsType<TarPartsSidecar>(((CaptionDataset)pipeline.Dataset).Options.ImageSource);
        Assert.Equal($"s3://vgt/{recipe}/{member}", source.Describe(image));
    }

    [SkippableFact]
    public void InABucket_ANameInTwoParts_IsABadSampleNamingBothParts()
    {
        var t = Tree("sharegpt-4o-image");
        t.Write("raw/text_to_image_part_1.tar", new TarBuilder()
            .File("4.png", TestImages.Png(100, 100, 4)).File("5.png", TestImages.Png(96, 100, 5)).File("1.png", TestImages.Png(96, 96, 7)).Build());
        var config = Uploaded(t, "sharegpt-4o-image", "two");
        RecipeTree.AssertLoads(config, 9, "1 blank caption", "7 blank caption");

        var (code, stdout) = PrepareReadInPlaceTests.ValidateWithRow(t, config, "images/1.png", "a cat");
        Assert.Equal(1, code);
        Assert.Contains("checked 10 entries (1 dataset): 3 bad\n", stdout);
        Assert.Contains("\n  0:9 images/1.png: ambiguous tar member: 2 members could be meant: " +
            "s3://vgt/two/raw/text_to_image_part_0.tar:1.png, s3://vgt/two/raw/text_to_image_part_1.tar:1.png; ", stdout);
    }

    [SkippableFact]
    public void InABucket_Midjourney_APathIsTheMemberOfExactlyThatPath()
    {
        var t = Tree("midjourney-23m");
        var config = Uploaded(t, "midjourney-23m", "mj");
        // The member is sub/c.png: images/c.png is not in the extracted folder, so it is no base-name match here either.
        var (code, stdout) = PrepareReadInPlaceTests.ValidateWithRow(t, config, "images/c.png", "flattened");
        Assert.Equal(1, code);
        Assert.Contains("checked 5 entries (1 dataset): 1 bad\n", stdout);
        Assert.Contains("\n  0:4 images/c.png: missing file: no member of that path in the parts [s3://vgt/mj/raw/images/01/0001.tar:sub/c.png]\n", stdout);
    }

    [SkippableFact]
    public void InABucket_APartChangedOrGoneSincePrepare_IsRefusedWithOneLineNamingIt()
    {
        var t = Tree("sharegpt-4o-image");
        var config = Uploaded(t, "sharegpt-4o-image", "changed");
        var part = S3Location.Parse("s3://vgt/changed/raw/text_to_image_part_1.tar");
        using var store = new S3Store(Server.Settings());
        long before = store.Head(part)!.Value.Size;
        var rewritten = new TarBuilder().File("4.png", TestImages.Png(100, 100, 9)).Build();
        Assert.NotEqual(before, rewritten.Length);
        store.Put(part, rewritten);

        var (code, stdout, err) = Cli("validate", config);
        Assert.Equal(1, code);
        Assert.Equal("", stdout);
        Assert.Equal($"vgtdata validate: error: {config}: dataset.ceph_folder: {part}: {rewritten.Length} bytes, {before} when images.tarparts.json was written; " +
            "the part changed, rerun vgtdata prepare\n", err);

        store.Delete(part);
        (code, stdout, err) = Cli("validate", config);
        Assert.Equal(1, code);
        Assert.Equal($"vgtdata validate: error: {config}: dataset.ceph_folder: {part}: missing (listed in s3://vgt/changed/images.tarparts.json); rerun vgtdata prepare\n", err);
    }

    [SkippableFact]
    public void InABucket_AnExtractedFolderUploadedLater_IsReadInsteadOfTheParts()
    {
        var t = Tree("sharegpt-4o-image");
        var config = Uploaded(t, "sharegpt-4o-image", "both");
        var extracted = Tree("sharegpt-4o-image");
        var extractedConfig = Prepare(extracted, "sharegpt-4o-image", extract: true);
        // The upload leaves objects without a local file alone: images.tarparts.json stays in the bucket beside images/.
        Server.Upload(Path.Combine(extracted.Root, "images"), "vgt", "both/images");

        Assert.Equal(PrepareReadInPlaceTests.Batches(extractedConfig), PrepareReadInPlaceTests.Batches(config));
        using var pipeline = PipelineFactory.Build(ConfigLoader.Load(config));
        var source = Assert.IsType<S3ImageSource>(((CaptionDataset)pipeline.Dataset).Options.ImageSource);
        Assert.Equal("s3://vgt/both/images/4.png", source.Describe("images/4.png"));
    }
}
