using VgtData.Config;

namespace VgtData.Tests.Config;

/// <summary>Each way a config can be wrong, reported by <c>vgtdata config</c> with the file and key path that hold it;
/// and the composition rules (bases in order, --set, paths relative to the file that set them, dataset member files).</summary>
public class ConfigErrorTests
{
    private const string Tok = """ "tokenizer": "embedded:o200k", """;
    private const string Dataset = """ "dataset": { "type": "CaptionDataset", "data_path": "data.json" } """;

    private static ConfigDir WithData()
    {
        var dir = new ConfigDir();
        dir.Write("data.json", "[]");
        return dir;
    }

    [Fact]
    public void UnknownKeyNamesFileKeyPathAndHint()
    {
        using var dir = WithData();
        var loader = dir.Write("train/loader.json", """{ "train_dataloader": { "batchsize": 32 } }""");
        var main = dir.Write("exp.json", $$"""{ "base": "train/loader.json", {{Tok}}{{Dataset}} }""");
        var (code, _, error) = ConfigDir.Cli("config", main);
        Assert.Equal(1, code);
        Assert.Contains($"error: {loader}: train_dataloader.batchsize: unknown key (did you mean 'batch_size'?)", error);
    }

    [Fact]
    public void UnknownKeyFarFromAnyHasNoHint()
    {
        using var dir = WithData();
        var main = dir.Write("exp.json", $$"""{ "learning_rate": 0.1, {{Tok}}{{Dataset}} }""");
        var (code, _, error) = ConfigDir.Cli("config", main);
        Assert.Equal(1, code);
        Assert.Contains($"error: {main}: learning_rate: unknown key", error);
        Assert.DoesNotContain("did you mean", error);
    }

    [Fact]
    public void WrongTypeNamesExpectedAndActual()
    {
        using var dir = WithData();
        var main = dir.Write("exp.json", $$"""{ "train_dataloader": { "batch_size": "32", "sampler": { "shuffle": 1 } }, {{Tok}}{{Dataset}} }""");
        var (code, _, error) = ConfigDir.Cli("config", main);
        Assert.Equal(1, code);
        Assert.Contains($"error: {main}: train_dataloader.batch_size: expected an integer, got the string \"32\"", error);
        Assert.Contains($"error: {main}: train_dataloader.sampler.shuffle: expected true or false, got the number 1", error);
    }

    [Fact]
    public void MissingBaseFileNamesTheFileThatNamesIt()
    {
        using var dir = WithData();
        var main = dir.Write("exp.json", $$"""{ "base": ["processors/nope.json"], {{Tok}}{{Dataset}} }""");
        var (code, _, error) = ConfigDir.Cli("config", main);
        Assert.Equal(1, code);
        Assert.Contains($"error: {main}: base: config file '{Path.Combine(dir.Root, "processors", "nope.json")}' does not exist", error);
    }

    [Fact]
    public void CircularBaseIsAnError()
    {
        using var dir = WithData();
        dir.Write("a.json", """{ "base": "b.json", "seed": 1 }""");
        dir.Write("b.json", """{ "base": "a.json", "seed": 2 }""");
        var main = dir.Write("exp.json", $$"""{ "base": "a.json", {{Tok}}{{Dataset}} }""");
        var (code, _, error) = ConfigDir.Cli("config", main);
        Assert.Equal(1, code);
        Assert.Contains("base: circular base: exp.json -> a.json -> b.json -> a.json", error);
    }

    [Fact]
    public void SetOverridesNumberStringAndNestedObject()
    {
        using var dir = WithData();
        var main = dir.Write("exp.json", $$"""
            { "prompt_template": "internvl3", {{Tok}}{{Dataset}},
              "train_dataloader": { "batch_size": 32, "sampler": { "type": "InfiniteSampler", "shuffle": true, "seed": 5 } } }
            """);
        var config = ConfigLoader.Load(main, ["train_dataloader.batch_size=8", "prompt_template=qwen25vl",
            """train_dataloader.sampler={"type": "DefaultSampler", "shuffle": false}""", "dataset.max_length=77"]);
        var root = config.Settings;
        Assert.Equal(8, root.TrainDataloader.BatchSize);
        Assert.Equal("qwen25vl", root.PromptTemplate.GetValue<string>());
        var sampler = root.TrainDataloader.Sampler;
        Assert.Equal("DefaultSampler", sampler.Type);
        Assert.False(sampler.Shuffle);
        Assert.Null(sampler.Seed); // an object value replaces the object
        Assert.Equal(77, root.Dataset!.MaxLength);
        Assert.Equal("CaptionDataset", root.Dataset.Type);
        Assert.Equal("--set", config.SourceOf("train_dataloader.batch_size"));
        Assert.Equal("--set", config.SourceOf("train_dataloader.sampler.type"));
        Assert.Equal(main, config.SourceOf("dataset.type"));

        var (code, output, error) = ConfigDir.Cli("config", main, "--set", "train_dataloader.batch_size=8", "--set", "prompt_template=qwen25vl");
        Assert.True(code == 0, error);
        Assert.Contains("\"batch_size\": 8", output);
    }

    [Fact]
    public void SetWithTheWrongTypeIsReportedAgainstSet()
    {
        using var dir = WithData();
        var main = dir.Write("exp.json", $$"""{ {{Tok}}{{Dataset}} }""");
        var (code, _, error) = ConfigDir.Cli("config", main, "--set", "train_dataloader.batch_size=big", "--set", "train_dataloader.batchsize=4");
        Assert.Equal(1, code);
        Assert.Contains("error: --set: train_dataloader.batch_size: expected an integer, got the string \"big\"", error);
        Assert.Contains("error: --set: train_dataloader.batchsize: unknown key (did you mean 'batch_size'?)", error);
    }

    [Fact]
    public void LaterBaseOverridesEarlierAndTheFileOverridesItsBases()
    {
        using var dir = WithData();
        var first = dir.Write("first.json", """{ "seed": 1, "image_size": 256, "train_dataloader": { "batch_size": 8, "num_workers": 2 } }""");
        var second = dir.Write("second.json", """{ "seed": 2, "train_dataloader": { "batch_size": 16 } }""");
        var main = dir.Write("exp.json", $$"""{ "base": ["first.json", "second.json"], "seed": 3, {{Tok}}{{Dataset}} }""");
        var config = ConfigLoader.Load(main);
        var root = config.Settings;
        Assert.Equal(3, root.Seed);
        Assert.Equal(256, root.ImageSize);
        Assert.Equal(16, root.TrainDataloader.BatchSize);
        Assert.Equal(2, root.TrainDataloader.NumWorkers); // objects merge key by key
        Assert.Equal(main, config.SourceOf("seed"));
        Assert.Equal(second, config.SourceOf("train_dataloader.batch_size"));
        Assert.Equal(first, config.SourceOf("train_dataloader.num_workers"));
    }

    [Fact]
    public void PathsResolveRelativeToTheFileThatSetThem()
    {
        using var dir = new ConfigDir();
        dir.Write("configs/datasets/source.json", """{ "dataset": { "type": "CaptionDataset", "data_path": "../../data/a/data.json", "image_folder": "../../data/a" } }""");
        var main = dir.Write("configs/experiments/exp.json", """{ "tokenizer": "embedded:o200k", "base": "../datasets/source.json", "dataset": { "cap_folder": "caps" } }""");
        var config = ConfigLoader.Load(main);
        var dataset = config.Settings.Dataset!;
        Assert.Equal(Path.Combine(dir.Root, "data", "a", "data.json"), dataset.DataPath);
        Assert.Equal(Path.Combine(dir.Root, "data", "a"), dataset.ImageFolder);
        Assert.Equal(Path.Combine(dir.Root, "configs", "experiments", "caps"), dataset.CapFolder);

        // A path given with --set is relative to the working directory.
        var set = ConfigLoader.Load(main, ["dataset.data_path=rel/data.json"]);
        Assert.Equal(Path.GetFullPath("rel/data.json"), set.Settings.Dataset!.DataPath);
    }

    [Fact]
    public void MissingDataIsAWarningUnlessStrict()
    {
        using var dir = new ConfigDir();
        var main = dir.Write("exp.json", """{ "tokenizer": "embedded:o200k", "dataset": { "type": "CaptionDataset", "data_path": "nowhere/data.json" } }""");
        var (code, _, error) = ConfigDir.Cli("config", main);
        Assert.Equal(0, code);
        Assert.Contains($"warning: {main}: dataset.data_path: '{Path.Combine(dir.Root, "nowhere", "data.json")}' does not exist", error);
        (code, _, error) = ConfigDir.Cli("config", main, "--strict");
        Assert.Equal(1, code);
        Assert.Contains($"error: {main}: dataset.data_path:", error);
    }

    [Fact]
    public void TokenizerFolderNotDownloadedIsAWarningUnlessStrict()
    {
        using var dir = WithData();
        var processor = dir.Write("processors/p.json", """{ "prompt_template": "internvl3", "tokenizer": "../models/InternVL3-2B", "pad_index": 151643 }""");
        var main = dir.Write("exp.json", $$"""{ "base": "processors/p.json", {{Dataset}} }""");
        var (code, _, error) = ConfigDir.Cli("config", main);
        Assert.True(code == 0, error);
        Assert.Contains($"warning: {processor}: tokenizer: folder '{Path.Combine(dir.Root, "models", "InternVL3-2B")}' does not exist", error);
        (code, _, error) = ConfigDir.Cli("config", main, "--strict");
        Assert.Equal(1, code);
        Assert.Contains($"error: {processor}: tokenizer: folder", error);
    }

    [Fact]
    public void TokenizerFolderWithoutTokenizerJsonIsAnError()
    {
        using var dir = WithData();
        Directory.CreateDirectory(Path.Combine(dir.Root, "models", "empty"));
        var main = dir.Write("exp.json", $$"""{ "tokenizer": "models/empty", {{Dataset}} }""");
        var (code, _, error) = ConfigDir.Cli("config", main);
        Assert.Equal(1, code);
        Assert.Contains($"error: {main}: tokenizer: '{Path.Combine(dir.Root, "models", "empty")}' holds no tokenizer.json", error);
    }

    [Fact]
    public void MissingTemplateIsReportedEvenWithoutTheTokenizer()
    {
        using var dir = WithData();
        var main = dir.Write("exp.json", $$"""{ "tokenizer": "models/none", "prompt_template": "internvl4", {{Dataset}} }""");
        var (code, _, error) = ConfigDir.Cli("config", main);
        Assert.Equal(1, code);
        Assert.Contains($"error: {main}: prompt_template: prompt template 'internvl4' is neither a built-in", error);
    }

    [SkippableFact]
    public void TokenizerWithoutTheTemplatesChatTokensIsAnError()
    {
        var tokenizer = SharedData.Require("tokenizers/qwen3");
        using var dir = WithData();
        var main = dir.Write("exp.json", $$"""
            { "tokenizer": {{System.Text.Json.JsonSerializer.Serialize(tokenizer)}}, {{Dataset}},
              "prompt_template": { "name": "odd", "INSTRUCTION": "<|nonexistent|>user\n{input}<|im_end|>\n<|im_start|>assistant\n",
                                   "GENERATION": "Generate an image: {input}", "CFG": "Generate an image.", "IMG_START_TOKEN": "<img>" } }
            """);
        var (code, _, error) = ConfigDir.Cli("config", main);
        Assert.Equal(1, code);
        Assert.Contains($"error: {main}: tokenizer: the tokenizer has no special token '<|nonexistent|>' used by prompt template 'odd'", error);
        // <img> is plain text in the Qwen3 tokenizer: a warning, not an error.
        Assert.Contains("warning: ", error);
        Assert.Contains("no special token '<img>' used by prompt template 'odd'; it will be tokenized as text", error);
        Assert.DoesNotContain("'<|im_end|>'", error);
    }

    [SkippableFact]
    public void PadIndexOutsideTheVocabularyIsAnError()
    {
        var tokenizer = SharedData.Require("tokenizers/qwen3");
        using var dir = WithData();
        var main = dir.Write("exp.json", $$"""{ "tokenizer": {{System.Text.Json.JsonSerializer.Serialize(tokenizer)}}, "prompt_template": "qwen25vl", "pad_index": 999999, {{Dataset}} }""");
        var (code, _, error) = ConfigDir.Cli("config", main);
        Assert.Equal(1, code);
        Assert.Matches($@"error: {System.Text.RegularExpressions.Regex.Escape(main)}: pad_index: 999999 is outside the tokenizer's vocabulary \[0, \d+\)", error);
        (code, _, error) = ConfigDir.Cli("config", main, "--set", "pad_index=151643");
        Assert.True(code == 0, error);
    }

    [Fact]
    public void DatasetMemberFilesAreInlinedWithItemOverrides()
    {
        using var dir = new ConfigDir();
        var a = dir.Write("datasets/a.json", """{ "dataset": { "type": "CaptionDataset", "data_path": "../data/a.json", "max_length": 1024 } }""");
        var b = dir.Write("datasets/b.json", """{ "base": "a.json", "dataset": { "data_path": "../data/b.json", "unconditional": 0.2 } }""");
        var main = dir.Write("experiments/exp.json", """
            { "tokenizer": "embedded:o200k", "dataset": { "type": "ConcatDataset", "datasets": [
                { "base": "../datasets/a.json", "repeat": 2 },
                { "base": "../datasets/b.json", "max_length": 64 },
                { "type": "CaptionDataset", "data_path": "inline.json" } ] } }
            """);
        var config = ConfigLoader.Load(main);
        var list = config.Settings.Dataset!.Datasets!;
        Assert.Equal(3, list.Count);
        Assert.Equal(Path.Combine(dir.Root, "data", "a.json"), list[0].DataPath);
        Assert.Equal(2, list[0].Repeat);
        Assert.Equal(1024, list[0].MaxLength);
        Assert.False(config.Node("dataset.datasets")!.AsArray()[0]!.AsObject().ContainsKey("base"));
        Assert.Equal(Path.Combine(dir.Root, "data", "b.json"), list[1].DataPath);
        Assert.Equal(0.2, list[1].Unconditional);
        Assert.Equal(64, list[1].MaxLength);
        Assert.Equal(Path.Combine(dir.Root, "experiments", "inline.json"), list[2].DataPath);
        Assert.Equal(a, config.SourceOf("dataset.datasets[0].data_path"));
        Assert.Equal(main, config.SourceOf("dataset.datasets[0].repeat"));
        Assert.Equal(b, config.SourceOf("dataset.datasets[1].data_path"));
        Assert.Equal(a, config.SourceOf("dataset.datasets[1].type"));
        Assert.Equal(main, config.SourceOf("dataset.datasets[1].max_length"));
        Assert.Equal(main, config.SourceOf("dataset.datasets[2].data_path"));
    }

    [Fact]
    public void DatasetMemberErrorsNameTheMemberFile()
    {
        using var dir = new ConfigDir();
        var bad = dir.Write("datasets/bad.json", """{ "dataset": { "type": "CaptionDataset", "data_path": "x.json", "max_lenght": 5 } }""");
        var empty = dir.Write("datasets/empty.json", """{ "seed": 1 }""");
        var main = dir.Write("exp.json", """
            { "dataset": { "type": "ConcatDataset", "datasets": [ { "base": "datasets/bad.json" }, { "base": "datasets/empty.json" } ] } }
            """);
        var e = Assert.Throws<ConfigException>(() => ConfigLoader.Load(main));
        Assert.Contains(e.Issues, i => i.File == bad && i.KeyPath == "dataset.datasets[0].max_lenght" && i.Message.Contains("did you mean 'max_length'"));
        Assert.Contains(e.Issues, i => i.File == main && i.KeyPath == "dataset.datasets[1].base" && i.Message.Contains($"'{empty}' has no \"dataset\" block"));
    }

    [Fact]
    public void CircularDatasetMemberIsAnError()
    {
        using var dir = new ConfigDir();
        var main = dir.Write("exp.json", """{ "tokenizer": "embedded:o200k", "dataset": { "type": "ConcatDataset", "datasets": [ { "base": "exp.json" } ] } }""");
        var e = Assert.Throws<ConfigException>(() => ConfigLoader.Load(main));
        Assert.Contains(e.Issues, i => i.Message.Contains("circular base: exp.json -> exp.json"));
    }

    [Fact]
    public void MissingDatasetMemberFileIsAnError()
    {
        using var dir = new ConfigDir();
        var main = dir.Write("exp.json", """{ "tokenizer": "embedded:o200k", "dataset": { "type": "ConcatDataset", "datasets": [ { "base": "gone.json" } ] } }""");
        var (code, _, error) = ConfigDir.Cli("config", main);
        Assert.Equal(1, code);
        Assert.Contains($"config file '{Path.Combine(dir.Root, "gone.json")}' does not exist", error);
    }
}
