using System.Text.Json.Nodes;
using VgtData.Config;
using VgtData.Datasets;
using VgtData.Preparation;
using VgtData.Sampling;

namespace VgtData.Tests.Config;

/// <summary>Every JSON under configs/ resolves with <c>vgtdata config</c>; data that is not downloaded is a warning, an
/// error under --strict; the experiments compose processors, loader settings and dataset files as intended.</summary>
public class ShippedConfigsTests
{
    private static string ConfigsRoot => Path.Combine(SharedData.RepoRoot, "configs");

    private static List<string> ConfigFiles() =>
        Directory.EnumerateFiles(ConfigsRoot, "*.json", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(SharedData.RepoRoot, f).Replace('\\', '/')).Order(StringComparer.Ordinal).ToList();

    public static TheoryData<string> AllConfigs() => new(ConfigFiles());

    public static TheoryData<string> ConfigsWithData() =>
        new(ConfigFiles().Where(f => f.StartsWith("configs/datasets/", StringComparison.Ordinal) || f.StartsWith("configs/experiments/", StringComparison.Ordinal)));

    [Fact]
    public void TheExpectedConfigsAreShipped()
    {
        var files = ConfigFiles();
        foreach (var expected in new[]
                 {
                     "configs/processors/internvl3_1b_448.json", "configs/processors/internvl3_2b_448.json", "configs/processors/qwen25vl_2b_448.json",
                     "configs/datasets/sharegpt4o_image.json", "configs/datasets/sharegpt4o_image_tar.json", "configs/datasets/echo4o_image.json",
                     "configs/datasets/blip3o_60k.json", "configs/train/dataloader_default.json",
                     "configs/experiments/internvl3_2b_finetune_mix.json", "configs/experiments/internvl3_2b_pretrain.json",
                     "configs/experiments/qwen25vl_2b_finetune_mix.json",
                 })
            Assert.Contains(expected, files);
    }

    [Theory]
    [MemberData(nameof(AllConfigs))]
    public void ResolvesWithoutErrors(string relative)
    {
        var (code, output, error) = ConfigDir.Cli(["config", Path.Combine(SharedData.RepoRoot, relative), .. TokenizerFor(relative)]);
        Assert.True(code == 0, $"{relative}: exit {code}\n{error}");
        Assert.DoesNotContain("error:", error);
        Assert.NotNull(JsonNode.Parse(output));
    }

    [Theory]
    [MemberData(nameof(ConfigsWithData))]
    public void StrictFailsNamingTheMissingDataPath(string relative)
    {
        var dataJson = Path.Combine(SharedData.RepoRoot, "data");
        Skip.If(Directory.Exists(dataJson), "data/ exists in this checkout; the shipped configs' data may be present");
        var (code, _, error) = ConfigDir.Cli(["config", Path.Combine(SharedData.RepoRoot, relative), "--strict", .. TokenizerFor(relative)]);
        Assert.Equal(1, code);
        Assert.Matches(@"error: .*\.json: dataset(\.datasets\[\d\])?\.data_path: '.*data\.json' does not exist", error);
    }

    /// <summary>A dataset file is a ConcatDataset member: alone it has no tokenizer, which is never chosen silently.</summary>
    private static string[] TokenizerFor(string relative) =>
        relative.StartsWith("configs/datasets/", StringComparison.Ordinal) ? ["--set", $"tokenizer={ConfigSchema.EmbeddedTokenizer}"] : [];

    [Theory]
    [MemberData(nameof(AllConfigs))]
    public void DatasetFilesAloneNameTheMissingTokenizer(string relative)
    {
        var (code, _, error) = ConfigDir.Cli("config", Path.Combine(SharedData.RepoRoot, relative));
        if (!relative.StartsWith("configs/datasets/", StringComparison.Ordinal))
        {
            Assert.DoesNotContain("tokenizer: is required", error);
            return;
        }
        Assert.Equal(1, code);
        Assert.Equal($"error: {Path.Combine(SharedData.RepoRoot, relative)}: tokenizer: is required: a folder holding tokenizer.json, VGT's AutoTokenizer dict, or \"embedded:o200k\" for the embedded vocabulary",
            error.Trim());
    }

    [Fact]
    public void ShippedValuesAreVgts()
    {
        foreach (var name in new[] { "internvl3_1b_448", "internvl3_2b_448", "qwen25vl_2b_448" })
            Assert.Equal(0, ConfigLoader.Load(Path.Combine(ConfigsRoot, "processors", name + ".json")).Node("pad_index")!.GetValue<int>());
        foreach (var name in new[] { "sharegpt4o_image", "echo4o_image", "blip3o_60k" })
        {
            var c = ConfigLoader.Load(Path.Combine(ConfigsRoot, "datasets", name + ".json"), [$"tokenizer={ConfigSchema.EmbeddedTokenizer}"]);
            Assert.Equal(256, c.Settings.Dataset!.MaxLength);
        }
    }

    [Fact]
    public void ProcessorsUnderStrictNameTheTokenizerFolder()
    {
        Skip.If(Directory.Exists(Path.Combine(SharedData.RepoRoot, "data")), "data/ exists in this checkout");
        var (code, _, error) = ConfigDir.Cli("config", Path.Combine(ConfigsRoot, "processors", "internvl3_2b_448.json"), "--strict");
        Assert.Equal(1, code);
        Assert.Contains("internvl3_2b_448.json: tokenizer: folder '", error);
        Assert.Contains("InternVL3-2B' does not exist", error);
    }

    [Fact]
    public void PretrainComposesProcessorLoaderAndDatasetFiles()
    {
        var config = ConfigLoader.Load(Path.Combine(ConfigsRoot, "experiments", "internvl3_2b_pretrain.json"));
        var root = config.Settings;
        Assert.Equal("internvl3", root.PromptTemplate.GetValue<string>());
        Assert.Equal(0, config.Node("pad_index")!.GetValue<int>());
        Assert.Equal(Path.Combine(SharedData.RepoRoot, "data", "models", "InternVL3-2B"), root.Tokenizer!.GetValue<string>());
        var loader = root.TrainDataloader;
        Assert.Equal(64, loader.BatchSize);       // the experiment overrides the base
        Assert.Equal(2, loader.PrefetchFactor);    // kept from the base
        Assert.Equal("collate_func_gen", loader.CollateFn.Type);
        Assert.Equal("FixedBatchMultiSourceSampler", loader.Sampler.Type);

        var members = root.Dataset!.Datasets!;
        Assert.Equal(3, members.Count);
        Assert.Equal([1.0, 2, 1], members.Select(m => m.Repeat));
        Assert.Equal("tar", members[0].ImageSource!.Type);
        Assert.Equal(Path.Combine(SharedData.RepoRoot, "data", "ShareGPT-4o-Image", "data.json"), members[0].DataPath);
        Assert.Equal("BLIP3oDataset", members[2].Type);
        Assert.Equal(512, members[2].MaxLength);   // item override over the dataset file's 256
        Assert.Equal(256, members[1].MaxLength);

        // Each key names the file that set it.
        Assert.EndsWith(Path.Combine("datasets", "sharegpt4o_image.json"), config.SourceOf("dataset.datasets[0].data_path"));
        Assert.EndsWith(Path.Combine("datasets", "sharegpt4o_image_tar.json"), config.SourceOf("dataset.datasets[0].image_source.parts"));
        Assert.EndsWith(Path.Combine("datasets", "echo4o_image.json"), config.SourceOf("dataset.datasets[1].data_path"));
        Assert.EndsWith(Path.Combine("experiments", "internvl3_2b_pretrain.json"), config.SourceOf("dataset.datasets[2].max_length"));
        Assert.EndsWith(Path.Combine("processors", "internvl3_2b_448.json"), config.SourceOf("tokenizer"));
    }

    [Fact]
    public void FinetuneMixesDifferOnlyInTheProcessor()
    {
        var internvl = ConfigLoader.Load(Path.Combine(ConfigsRoot, "experiments", "internvl3_2b_finetune_mix.json"));
        var qwen = ConfigLoader.Load(Path.Combine(ConfigsRoot, "experiments", "qwen25vl_2b_finetune_mix.json"));
        Assert.Equal(internvl.Node("dataset")!.ToJsonString(), qwen.Node("dataset")!.ToJsonString());
        Assert.Equal(internvl.Node("train_dataloader")!.ToJsonString(), qwen.Node("train_dataloader")!.ToJsonString());
        Assert.Equal("qwen25vl", qwen.Node("prompt_template")!.GetValue<string>());
        var loader = internvl.Settings.TrainDataloader;
        Assert.Equal(32, internvl.Node("train_dataloader.batch_size")!.GetValue<int>());
        Assert.Equal(4, loader.NumWorkers);
        Assert.Equal("InfiniteSampler", internvl.Node("train_dataloader.sampler.type")!.GetValue<string>());
        Assert.True(internvl.Node("train_dataloader.sampler.shuffle")!.GetValue<bool>());
        Assert.Equal([(448, 448)], loader.CollateFn.Resolutions);
    }

    /// <summary>The shipped experiment, copied beside generated data laid out like the real downloads, builds and loads.</summary>
    [SkippableFact]
    public void PretrainExperimentLoadsBatchesOnGeneratedData()
    {
        var tokenizer = SharedData.Require("tokenizers/internvl3-style");
        using var dir = new ConfigDir();
        CopyTree(ConfigsRoot, Path.Combine(dir.Root, "configs"));
        var data = Path.Combine(dir.Root, "data");
        SyntheticDataset.Write(Path.Combine(data, "ShareGPT-4o-Image"), 8, [(96, 96)], seed: 1, workers: 1);
        SyntheticDataset.Write(Path.Combine(data, "Echo-4o-Image"), 8, [(96, 128)], seed: 2, workers: 1);
        SyntheticDataset.Write(Path.Combine(data, "BLIP3o-60k"), 8, [(128, 96)], seed: 3, workers: 1);
        // The tar member reads the ShareGPT images from a part instead of images/.
        var raw = Directory.CreateDirectory(Path.Combine(data, "ShareGPT-4o-Image", "raw")).FullName;
        var tar = new VgtData.Tests.Preparation.TarBuilder();
        foreach (var png in Directory.EnumerateFiles(Path.Combine(data, "ShareGPT-4o-Image", "images")).Order())
            tar.File($"text_to_image/{Path.GetFileName(png)}", File.ReadAllBytes(png));
        File.WriteAllBytes(Path.Combine(raw, "text_to_image_part_000.tar"), tar.Build());
        Directory.Delete(Path.Combine(data, "ShareGPT-4o-Image", "images"), recursive: true);

        var path = Path.Combine(dir.Root, "configs", "experiments", "internvl3_2b_pretrain.json");
        string[] set = [$"tokenizer={tokenizer}", "image_size=64", "train_dataloader.batch_size=4", "train_dataloader.num_workers=1",
            "train_dataloader.collate_fn.resolutions=[[64,64],[48,64]]", "train_dataloader.collate_fn.resolutions_ratio=[0.5,0.5]"];
        var (code, _, error) = ConfigDir.Cli(["config", path, "--strict", .. set.SelectMany(s => new[] { "--set", s })]);
        Assert.True(code == 0, error);

        using var pipeline = PipelineFactory.Build(ConfigLoader.Load(path, set));
        Assert.IsType<FixedBatchMultiSourceSampler>(pipeline.Sampler);
        Assert.Equal([8L, 16L, 24L], ((ConcatDataset)pipeline.Dataset).CumulativeSizes);
        using var loader = pipeline.CreateLoader(pipeline.LoaderOptions with { MaxBatches = 6 });
        int batches = 0;
        foreach (var batch in loader)
            using (batch)
            {
                batches++;
                Assert.Single(batch.Samples.Select(s => s.Source).Distinct());
                Assert.Equal([4L, 3L, batch.BatchResolution.Height, batch.BatchResolution.Width], batch.PixelValues!.shape);
                Assert.Equal(151644, batch.InputIds[0, 0].item<long>()); // <|im_start|>
            }
        Assert.Equal(6, batches);
        Assert.Equal(0, ((ConcatDataset)pipeline.Dataset).TotalFailures);
    }

    private static void CopyTree(string from, string to)
    {
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }
}
