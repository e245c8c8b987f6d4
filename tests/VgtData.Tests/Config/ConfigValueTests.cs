using VgtData.Config;
using VgtData.Preparation;

namespace VgtData.Tests.Config;

/// <summary>Config values outside their range or allowed names are refused before anything runs: one line naming the
/// file (or --set) and key path, an exit code in 1..125, never a stack trace or a libtorch abort.</summary>
public sealed class ConfigValueTests : IDisposable
{
    private readonly ConfigDir _dir = new();
    private readonly string _config;

    public ConfigValueTests()
    {
        SyntheticDataset.Write(_dir.Root, 4, [(96, 96)], seed: 1, workers: 1);
        _config = _dir.Write("config.json", """
            { "tokenizer": "embedded:o200k", "image_size": 64,
              "dataset": { "type": "CaptionDataset", "data_path": "data.json", "image_folder": "." },
              "train_dataloader": { "batch_size": 2, "num_workers": 1 } }
            """);
    }

    public void Dispose() => _dir.Dispose();

    public static TheoryData<string, string> BadValues() => new()
    {
        { "train_dataloader.batch_size=0", "train_dataloader.batch_size: 0 is out of range: expected [1, 65536]" },
        { "image_size=0", "image_size: 0 is out of range: expected [16, 8192]" },
        { "image_size=100000", "image_size: 100000 is out of range: expected [16, 8192]" },
        { "dataset.image_size=8193", "dataset.image_size: 8193 is out of range: expected [16, 8192]" },
        { "dataset.decoder=fast", "dataset.decoder: \"fast\": the key is gone, each image format has one decoder (docs/images.md); remove it" },
        { "dataset.unconditional=1.5", "dataset.unconditional: 1.5 is out of range: expected [0, 1]" },
        { "dataset.unconditional=-0.1", "dataset.unconditional: -0.1 is out of range: expected [0, 1]" },
        { "dataset.max_length=0", "dataset.max_length: 0 is out of range: expected [1, 1000000]" },
        { "dataset.min_image_size=-1", "dataset.min_image_size: -1 is out of range: expected [0, 8192]" },
        { "dataset.type=Dataset", "dataset.type: expected one of CaptionDataset, BLIP3oDataset, ConcatDataset; got \"Dataset\"" },
        { "train_dataloader.num_workers=-1", "train_dataloader.num_workers: -1 is out of range: expected [0, 256]" },
        { "train_dataloader.num_workers=257", "train_dataloader.num_workers: 257 is out of range: expected [0, 256]" },
        { "train_dataloader.prefetch_factor=-1", "train_dataloader.prefetch_factor: -1 is out of range: expected [0, 64]" },
        { "train_dataloader.prefetch_factor=1024", "train_dataloader.prefetch_factor: 1024 is out of range: expected [0, 64]" },
        { "train_dataloader.device=gpu", "train_dataloader.device: expected cpu, cuda, cuda:N or auto; got \"gpu\"" },
        { "train_dataloader.dtype=float16", "train_dataloader.dtype: expected one of float32, bfloat16; got \"float16\"" },
        { "train_dataloader.sampler.type=RandomSampler", "train_dataloader.sampler.type: expected one of InfiniteSampler, DefaultSampler, FixedBatchMultiSourceSampler, WeightedMultiSourceSampler; got \"RandomSampler\"" },
        { "train_dataloader.sampler.repeat=[1,-1]", "train_dataloader.sampler.repeat: -1 is out of range: every item must be [0, 1000000]" },
        { "train_dataloader.sampler.repeat=[1.5]", "train_dataloader.sampler.repeat: expected a list of integers, got a list" },
        { "train_dataloader.collate_fn.crop_mode=zoom", "train_dataloader.collate_fn.crop_mode: expected one of center, random, pad, center_crop, random_crop, pad_resize; got \"zoom\"" },
        { "train_dataloader.collate_fn.resolutions=[8,448]", "train_dataloader.collate_fn.resolutions: 8x448 is out of range: each side must be in [16, 8192]" },
        { "train_dataloader.collate_fn.resolutions_ratio=[0,0]", "train_dataloader.collate_fn.resolutions_ratio: the weights must not all be 0" },
        { "train_dataloader.collate_fn.pad_index=-1", "train_dataloader.collate_fn.pad_index: -1 is out of range: expected >= 0" },
        { "bad_samples.budget=2", "bad_samples.budget: 2 is out of range: expected [0, 1]" },
        { "bad_samples.window=0", "bad_samples.window: 0 is out of range: expected [1, 100000000]" },
        { "bad_samples.max_replacements=-1", "bad_samples.max_replacements: -1 is out of range: expected [0, 1000000]" },
        { "dataset.data_path=", "dataset.data_path: must not be empty" },
        { "tokenizer=", "tokenizer: must not be empty" },
        { "dataset.data_path=a\0b", "dataset.data_path: contains a NUL character" },
        { "tokenizer=embedded:gpt2", "tokenizer: unknown embedded tokenizer 'embedded:gpt2' (known: embedded:o200k)" },
        { "train_dataloader.collate_fn.resize_mode=center", "train_dataloader.collate_fn.resize_mode: 'resize_mode' is another name for 'crop_mode', which is also set; keep one" },
    };

    [Theory]
    [MemberData(nameof(BadValues))]
    public void ConfigRefusesWithOneLineNamingSetAndTheKey(string assignment, string expected)
    {
        string[] extra = assignment.StartsWith("train_dataloader.collate_fn.resize_mode", StringComparison.Ordinal)
            ? ["--set", "train_dataloader.collate_fn.crop_mode=center"] : [];
        foreach (var strict in new[] { false, true })
        {
            var (code, stdout, error) = ConfigDir.Cli(["config", _config, "--set", assignment, .. extra, .. strict ? new[] { "--strict" } : []]);
            Assert.InRange(code, 1, 125);
            Assert.Equal("", stdout);
            var line = Assert.Single(error.TrimEnd('\n').Split('\n'));
            Assert.StartsWith("error: ", line);
            Assert.Contains(expected, line);
            Assert.DoesNotContain("   at ", error);
        }
    }

    [Theory]
    [InlineData("image_size=0")]
    [InlineData("image_size=100000")]
    [InlineData("train_dataloader.batch_size=0")]
    [InlineData("dataset.data_path=")]
    [InlineData("tokenizer=")]
    public void CommandsThatBuildThePipelineRefuseTheSameValues(string assignment)
    {
        var (code, _, error) = ConfigDir.Cli("sample", _config, "--index", "0", "--out", Path.Combine(_dir.Root, "out"), "--set", assignment);
        Assert.InRange(code, 1, 125);
        Assert.Contains($"error: --set: {assignment[..assignment.IndexOf('=')]}", error);
        Assert.DoesNotContain("   at ", error);
    }

    [Fact]
    public void ValuesInAFileNameTheFile()
    {
        var bad = _dir.Write("bad.json", """{ "base": "config.json", "train_dataloader": { "batch_size": 0 }, "image_size": 100000 }""");
        var (code, _, error) = ConfigDir.Cli("config", bad);
        Assert.Equal(1, code);
        Assert.Contains($"error: {bad}: train_dataloader.batch_size: 0 is out of range", error);
        Assert.Contains($"error: {bad}: image_size: 100000 is out of range", error);
    }

    [Fact]
    public void AConfigWithoutTokenizerIsRefusedNamingTheKey()
    {
        var main = _dir.Write("none.json", """{ "dataset": { "type": "CaptionDataset", "data_path": "data.json" } }""");
        var (code, _, error) = ConfigDir.Cli("config", main);
        Assert.Equal(1, code);
        Assert.Equal($"error: {main}: tokenizer: is required: a folder holding tokenizer.json, VGT's AutoTokenizer dict, or \"embedded:o200k\" for the embedded vocabulary",
            error.Trim());
        // A ConcatDataset member without one is named too.
        var concat = _dir.Write("concat.json", """
            { "dataset": { "type": "ConcatDataset", "datasets": [
                { "type": "CaptionDataset", "data_path": "data.json", "tokenizer": "embedded:o200k" },
                { "type": "CaptionDataset", "data_path": "data.json" } ] } }
            """);
        (code, _, error) = ConfigDir.Cli("config", concat);
        Assert.Equal(1, code);
        Assert.Contains("tokenizer: is required (no tokenizer for dataset.datasets[1])", error);
        Assert.Throws<ConfigException>(() => ConfigLoader.Load(main));
    }

    [Fact]
    public void AChainOfTenThousandBasesStopsAtTheDepthLimit()
    {
        for (int i = 0; i < 10_000; i++)
            _dir.Write($"chain/c{i}.json", i == 9_999 ? "{ \"seed\": 1 }" : $"{{ \"base\": \"c{i + 1}.json\" }}");
        var (code, _, error) = ConfigDir.Cli("config", Path.Combine(_dir.Root, "chain", "c0.json"));
        Assert.Equal(1, code);
        Assert.Contains($"base: more than {ConfigLoader.MaxBaseDepth} nested base files (from c0.json)", error);
        Assert.Single(error.TrimEnd('\n').Split('\n'));
    }

    [Fact]
    public void PerDatasetTextSettingsApplyPerConcatMember()
    {
        var main = _dir.Write("mix.json", """
            { "tokenizer": "embedded:o200k", "image_size": 64, "max_length": 12,
              "dataset": { "type": "ConcatDataset", "datasets": [
                { "type": "CaptionDataset", "data_path": "data.json", "prompt_template": "internvl3" },
                { "type": "CaptionDataset", "data_path": "data.json", "max_length": 5, "image_size": 32,
                  "prompt_template": { "INSTRUCTION": "{input}", "GENERATION": "{input}", "CFG": "", "IMG_START_TOKEN": "<img>",
                                       "SYSTEM": "", "STOP_WORDS": ["x"], "SUFFIX_AS_EOS": true } } ] } }
            """);
        using var pipeline = PipelineFactory.Build(ConfigLoader.Load(main));
        var concat = (VgtData.Datasets.ConcatDataset)pipeline.Dataset;
        var first = (VgtData.Datasets.CaptionDataset)concat.Datasets[0];
        var second = (VgtData.Datasets.CaptionDataset)concat.Datasets[1];
        Assert.Equal(12, first.Options.Text.MaxLength);
        Assert.Equal("internvl3", first.Options.Text.Template.Name);
        Assert.Equal(64, first.Options.ImageSize);
        Assert.Equal(5, second.Options.Text.MaxLength);
        Assert.Equal("custom", second.Options.Text.Template.Name);
        Assert.Equal(32, second.Options.ImageSize);
    }

    [Fact]
    public void VgtDefaultsApplyWhenKeysAreAbsent()
    {
        using var pipeline = PipelineFactory.Build(ConfigLoader.Load(_config));
        var d = (VgtData.Datasets.CaptionDataset)pipeline.Dataset;
        Assert.Equal(128, d.Options.Text.MaxLength);
        Assert.Equal(80, d.Options.Limits.MinImageSize);
        Assert.Equal(0.1, d.Options.Unconditional);
        Assert.Equal(0, pipeline.Collator.Options.PadIndex);
    }
}
