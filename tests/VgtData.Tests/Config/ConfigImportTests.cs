using System.Text.Json;
using System.Text.Json.Nodes;
using VgtData.Config;
using VgtData.Config.Import;
using VgtData.Datasets;
using VgtData.Preparation;

namespace VgtData.Tests.Config;

/// <summary><c>vgtdata config import</c>: every one of VGT's own configs imports and resolves; the parser reads the
/// Python that mmengine configs are written in; broken VGT files are reported at file:line.</summary>
public class ConfigImportTests
{
    private static readonly string[] VgtFiles =
    [
        "datasets/internvl3_1b_448/processors.py", "datasets/internvl3_1b_448/fintune_images.py", "datasets/internvl3_1b_448/pretrain23m_images.py",
        "datasets/internvl3_2b_448/processors.py", "datasets/internvl3_2b_448/fintune_images.py", "datasets/internvl3_2b_448/pretrain23m_images.py",
        "datasets/qwen25vl_2b_448/processors.py", "datasets/qwen25vl_2b_448/fintune_images.py", "datasets/qwen25vl_2b_448/pretrain23m_images.py",
        "datasets/main.py", "finetune/vgt_internvl3_0_6B_448px_sft.py", "pretrain/vgt_internvl3_0_6B_448px_pretrain.py",
    ];

    public static TheoryData<string> AllVgtFiles() => new(VgtFiles);

    /// <summary>The tokenizer ids VGT names, mapped to the shared test tokenizers (same vocabularies).</summary>
    private static string[] TokenizerMap()
    {
        var internvl = SharedData.Require("tokenizers/internvl3-style");
        var qwen = SharedData.Require("tokenizers/qwen3");
        return ["--tokenizer-map", $"OpenGVLab/InternVL3-1B={internvl}", "--tokenizer-map", $"OpenGVLab/InternVL3-2B={internvl}",
            "--tokenizer-map", $"Qwen/Qwen2.5-VL-3B-Instruct={qwen}"];
    }

    [SkippableFact]
    public void TheListCoversEveryFileUnderVgtConfigs()
    {
        var root = SharedData.Require("vgt-configs");
        var found = Directory.EnumerateFiles(root, "*.py", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(root, f).Replace('\\', '/')).Order();
        Assert.Equal(VgtFiles.Order(), found);
    }

    [SkippableTheory]
    [MemberData(nameof(AllVgtFiles))]
    public void EveryVgtConfigImportsAndResolvesWithMissingDataAsWarnings(string relative)
    {
        var source = Path.Combine(SharedData.Require("vgt-configs"), relative);
        using var dir = new ConfigDir();
        var output = Path.Combine(dir.Root, "out", "imported.json");
        var (code, stdout, error) = ConfigDir.Cli(["config", "import", source, .. TokenizerMap(), "--data-root", dir.Root, "-o", output]);
        Assert.True(code == 0, $"{relative}: exit {code}\n{error}");
        Assert.Contains("wrote ", stdout);
        Assert.DoesNotContain("error:", error);
        (code, _, error) = ConfigDir.Cli("config", output);
        Assert.True(code == 0, $"{relative}: the written config does not resolve:\n{error}");
        // Missing data are warnings, and --strict turns them into errors.
        if (relative.Contains("images") || relative.StartsWith("finetune", StringComparison.Ordinal) || relative.StartsWith("pretrain", StringComparison.Ordinal))
        {
            Assert.Contains("data_path: '", error);
            Assert.Equal(1, ConfigDir.Cli("config", output, "--strict").Code);
        }
    }

    [SkippableFact]
    public void FintuneImagesNamesVgtsUndefinedNamesAtFileAndLine()
    {
        var source = Path.Combine(SharedData.Require("vgt-configs"), "datasets/internvl3_2b_448/fintune_images.py");
        using var dir = new ConfigDir();
        var output = Path.Combine(dir.Root, "fintune.json");
        var (code, _, error) = ConfigDir.Cli(["config", "import", source, .. TokenizerMap(), "--data-root", dir.Root, "-o", output]);
        Assert.Equal(0, code);
        Assert.Contains($"warning: {source}:55: ConcatDataset member 0: 'blip3o60k_dataset' is not defined (did you mean 'blip3060k_dataset'?); member skipped", error);
        Assert.Contains($"warning: {source}:24: 'CaptionDataset' is not defined (not imported in this file;", error);
        Assert.Contains($"warning: {source}:38: 'CaptionDataset' is not defined", error);

        var json = ReadJson(output);
        Assert.Equal(0, json["pad_index"]!.GetValue<int>());
        Assert.Equal(448, json["image_size"]!.GetValue<int>());
        Assert.Equal(Path.GetFullPath(SharedData.Require("tokenizers/internvl3-style")), Path.GetFullPath(Path.Combine(dir.Root, json["tokenizer"]!.GetValue<string>())));
        Assert.False(json["prompt_template"]!["IMG_START_TOKEN_FOR_GENERATION"]!.GetValue<bool>());
        var members = json["dataset"]!["datasets"]!.AsArray();
        Assert.Equal(2, members.Count);
        Assert.All(members, m =>
        {
            Assert.Equal("CaptionDataset", m!["type"]!.GetValue<string>());
            Assert.Equal(256, m["max_length"]!.GetValue<int>());
            Assert.Null(m["ceph_folder"]);
            Assert.True(m.AsObject().ContainsKey("ceph_folder"));
            Assert.Equal("<|im_end|>", m["prompt_template"]!["STOP_WORDS"]![0]!.GetValue<string>());
        });
        Assert.Equal("data/echo-4o-image/data.json", members[0]!["data_path"]!.GetValue<string>());
        var loader = json["train_dataloader"]!;
        Assert.Equal(32, loader["batch_size"]!.GetValue<int>());
        Assert.True(loader["pin_memory"]!.GetValue<bool>());
        Assert.Equal("InfiniteSampler", loader["sampler"]!["type"]!.GetValue<string>());
        Assert.Equal("[448,448]", loader["collate_fn"]!["resolutions"]!.ToJsonString());
        Assert.Equal(0, loader["collate_fn"]!["pad_index"]!.GetValue<int>());
    }

    [SkippableFact]
    public void FinetuneFollowsReadBaseAcrossFoldersAndAppliesAttributeAssignments()
    {
        var source = Path.Combine(SharedData.Require("vgt-configs"), "finetune/vgt_internvl3_0_6B_448px_sft.py");
        using var dir = new ConfigDir();
        var output = Path.Combine(dir.Root, "sft.json");
        var (code, _, error) = ConfigDir.Cli(["config", "import", source, .. TokenizerMap(), "--data-root", dir.Root, "-o", output]);
        Assert.Equal(0, code);
        Assert.Contains($"warning: {source}:11: base file '../models/vgt_internvl3_0_6B_448px.py' is not there: model left undefined", error);
        Assert.Contains($"warning: {source}:15: 'model.use_activation_checkpointing' not set", error);
        var json = ReadJson(output);
        Assert.Equal(32, json["train_dataloader"]!["batch_size"]!.GetValue<int>());
        Assert.Equal(2, json["dataset"]!["datasets"]!.AsArray().Count);
    }

    [Fact]
    public void TheParserReadsTheConfigSubset()
    {
        using var dir = new ConfigDir();
        dir.Write("cfg/base/common.py", """
            from transformers import AutoTokenizer
            size = 2 * 128 + 0
            template = {'INSTRUCTION': 'U: {input}\n', "GENERATION": ('Make: '
                        "{input}"), 'CFG': r'Make.', 'IMG_START_TOKEN': '<img>', 'IMG_START_TOKEN_FOR_GENERATION': True}
            tok = dict(type=AutoTokenizer.from_pretrained, pretrained_model_name_or_path='org/model-a')
            """);
        var main = dir.Write("cfg/exp/main.py", """
            from mmengine.config import read_base
            from src.datasets import CaptionDataset, collate_func_gen
            from mmengine.dataset import InfiniteSampler
            with read_base():
                from ..base.common import (size, template,
                                           tok)

            max_length = 64  # a comment
            d = dict(type=CaptionDataset, data_path='data/x/data.json', image_size=size, tokenizer=tok,
                     prompt_template=template, max_length=max_length, unconditional=1e-1, cap_source='caption\t2'[:-2] if False else 'caption',
                     ceph_folder=None, debug=False)
            train_dataloader = dict(batch_size=8, num_workers=2, pin_memory=True, dataset=dict(type=ConcatDataset, datasets=[d]),
                sampler=dict(type=InfiniteSampler, shuffle=True), collate_fn=dict(type=collate_func_gen, resolutions=(size, size), pad_index=0))
            train_dataloader.batch_size = 4
            train_dataloader['num_workers'] = 1
            if __name__ == '__main__':
                print('not run')
            """);
        var root = Directory.CreateDirectory(Path.Combine(dir.Root, "models", "org", "model-a")).FullName;
        var result = VgtConfigImporter.Import(main, new VgtImportOptions { OutputDirectory = dir.Root, DataRoot = dir.Root, TokenizerRoot = Path.Combine(dir.Root, "models") });
        // The conditional expression is not computed: it is the one error, naming the key and line.
        var error = Assert.Single(result.Issues, i => !i.IsWarning);
        Assert.Equal((main, 10), (error.File, error.Line));
        Assert.Contains("dataset.datasets[0].cap_source: a conditional expression", error.Message);
        Assert.Contains(result.Issues, i => i.IsWarning && i.Line == 16 && i.Message.StartsWith("'if' block not evaluated"));
        Assert.Contains(result.Issues, i => i.IsWarning && i.Message.Contains("'ConcatDataset' is not defined"));

        var json = result.Config;
        Assert.Equal(4, json["train_dataloader"]!["batch_size"]!.GetValue<int>());
        Assert.Equal(1, json["train_dataloader"]!["num_workers"]!.GetValue<int>());
        var member = json["dataset"]!["datasets"]![0]!;
        Assert.Equal(256, member["image_size"]!.GetValue<int>());
        Assert.Equal(64, member["max_length"]!.GetValue<int>());
        Assert.Equal(0.1, member["unconditional"]!.GetValue<double>());
        Assert.Equal("U: {input}\n", member["prompt_template"]!["INSTRUCTION"]!.GetValue<string>());
        Assert.Equal("Make: {input}", member["prompt_template"]!["GENERATION"]!.GetValue<string>());
        Assert.Equal("models/org/model-a", member["tokenizer"]!.GetValue<string>());
        Assert.Equal("data/x/data.json", member["data_path"]!.GetValue<string>());
        Assert.Equal("[256,256]", json["train_dataloader"]!["collate_fn"]!["resolutions"]!.ToJsonString());
        Assert.Equal("CaptionDataset", member["type"]!.GetValue<string>());
        Assert.True(Directory.Exists(root));
    }

    [Fact]
    public void ATokenizerIdWithoutAnOrgFolderMapsToRootSlashName()
    {
        using var dir = new ConfigDir();
        var main = dir.Write("p.py", "tokenizer = dict(type=AutoTokenizer.from_pretrained, pretrained_model_name_or_path='OpenGVLab/InternVL3-2B')\n");
        var result = VgtConfigImporter.Import(main, new VgtImportOptions { OutputDirectory = dir.Root, DataRoot = dir.Root });
        Assert.Equal("data/models/InternVL3-2B", result.Config["tokenizer"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("x = (1,\n", "1", "expected")]
    [InlineData("x = 'abc\n", "1", "unterminated string literal")]
    [InlineData("x = 1\n  y = 2\n", "2", "unexpected indent")]
    [InlineData("x = 1 +\n", "1", "expected an expression")]
    [InlineData("x = '\\U0011ffff'\n", "1", "is not a code point")]
    public void SyntaxErrorsNameFileAndLine(string source, string line, string reason)
    {
        using var dir = new ConfigDir();
        var file = dir.Write("bad.py", source);
        var (code, _, error) = ConfigDir.Cli("config", "import", file, "-o", Path.Combine(dir.Root, "out.json"));
        Assert.Equal(1, code);
        Assert.StartsWith($"vgtdata config: {file}:{line}: ", error);
        Assert.Contains(reason, error);
        Assert.Single(error.Trim().Split('\n'));
        Assert.False(File.Exists(Path.Combine(dir.Root, "out.json")));
    }

    [Fact]
    public void AnUndefinedValueTheDataNeedsIsAnErrorAndNothingIsWritten()
    {
        using var dir = new ConfigDir();
        var file = dir.Write("bad.py", "dataset = dict(type=CaptionDataset, data_path='d.json', image_size=img_size, tokenizer='embedded:o200k')\n");
        var (code, _, error) = ConfigDir.Cli("config", "import", file, "-o", Path.Combine(dir.Root, "out.json"));
        Assert.Equal(1, code);
        Assert.Contains($"error: {file}:1: 'img_size' is not defined; needed for dataset.image_size", error);
        Assert.False(File.Exists(Path.Combine(dir.Root, "out.json")));
    }

    [Theory]
    [InlineData("d = dict(a=1)\nd['self'] = d\ntrain_dataloader = dict(batch_size=d)\n", "nested more than 32 levels deep")]
    [InlineData("x = ((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((1", "nested too deeply")]
    public void HostileNestingIsAnErrorNotAStackOverflow(string source, string reason)
    {
        using var dir = new ConfigDir();
        var file = dir.Write("deep.py", source);
        var (code, _, error) = ConfigDir.Cli("config", "import", file, "-o", Path.Combine(dir.Root, "out.json"));
        Assert.Equal(1, code);
        Assert.Contains(reason, error);
    }

    [Fact]
    public void CircularReadBaseIsAnError()
    {
        using var dir = new ConfigDir();
        dir.Write("a.py", "with read_base():\n    from .b import x\n");
        var b = dir.Write("b.py", "with read_base():\n    from .a import x\n");
        var (code, _, error) = ConfigDir.Cli("config", "import", Path.Combine(dir.Root, "a.py"), "-o", Path.Combine(dir.Root, "out.json"));
        Assert.Equal(1, code);
        Assert.Contains("circular import: a.py -> b.py -> a.py", error);
    }

    /// <summary>VGT's fintune_images.py written key for key as JSON (collate_fn.pad_index, crop_mode, per-dataset
    /// prompt_template and tokenizer dicts, ceph_*: null, train_dataloader.dataset) resolves and loads batches.</summary>
    [SkippableFact]
    public void AKeyForKeyFintuneImagesConfigLoadsBatches()
    {
        var internvl = SharedData.Require("tokenizers/internvl3-style");
        using var dir = new ConfigDir();
        SyntheticDataset.Write(Path.Combine(dir.Root, "data", "echo-4o-image"), 6, [(96, 128)], seed: 2, workers: 1);
        SyntheticDataset.Write(Path.Combine(dir.Root, "data", "sharegpt-4o-image"), 6, [(128, 96)], seed: 3, workers: 1);
        const string template = """
            { "IMG_START_TOKEN": "<img>", "IMG_END_TOKEN": "</img>", "IMG_CONTEXT_TOKEN": "<IMG_CONTEXT>",
              "SYSTEM": "<|im_start|>system\n{system}<|im_end|>\n",
              "INSTRUCTION": "<|im_start|>user\n{input}<|im_end|>\n<|im_start|>assistant\n",
              "SUFFIX": "<|im_end|>", "SUFFIX_AS_EOS": true, "SEP": "\n", "STOP_WORDS": ["<|im_end|>"],
              "GENERATION": "Generate an image: {input}", "CFG": "Generate an image.", "IMG_START_TOKEN_FOR_GENERATION": false }
            """;
        var tokenizer = $$"""{ "type": "AutoTokenizer.from_pretrained", "pretrained_model_name_or_path": {{JsonSerializer.Serialize(internvl)}}, "trust_remote_code": true, "padding_side": "right" }""";
        string Member(string name) => $$"""
            { "type": "CaptionDataset", "image_size": 64, "cap_source": "caption",
              "data_path": "data/{{name}}/data.json", "cap_folder": "data/{{name}}", "image_folder": "data/{{name}}",
              "unconditional": 0.1, "prompt_template": {{template}}, "ceph_folder": null, "ceph_config": null,
              "tokenizer": {{tokenizer}}, "max_length": 256 }
            """;
        var path = dir.Write("fintune_images.json", $$"""
            {
              "train_dataloader": {
                "batch_size": 4, "num_workers": 1, "pin_memory": true,
                "dataset": { "type": "ConcatDataset", "datasets": [ {{Member("echo-4o-image")}}, {{Member("sharegpt-4o-image")}} ] },
                "sampler": { "type": "InfiniteSampler", "shuffle": true },
                "collate_fn": { "type": "collate_func_gen", "resolutions": [64, 64], "pad_index": 0, "crop_mode": "center" }
              }
            }
            """);
        var (code, _, error) = ConfigDir.Cli("config", path, "--strict");
        Assert.True(code == 0, error);
        using var pipeline = PipelineFactory.Build(ConfigLoader.Load(path));
        Assert.Equal([6L, 12L], ((ConcatDataset)pipeline.Dataset).CumulativeSizes);
        using var loader = pipeline.CreateLoader(pipeline.LoaderOptions with { MaxBatches = 3 });
        int batches = 0;
        foreach (var batch in loader)
            using (batch)
            {
                batches++;
                Assert.Equal([4L, 3L, 64L, 64L], batch.PixelValues!.shape);
                Assert.Equal(151644, batch.InputIds[0, 0].item<long>()); // <|im_start|>
                var mask = batch.AttentionMask;
                for (int row = 0; row < 4; row++)
                {
                    long length = mask[row].sum().item<long>();
                    if (length < batch.InputIds.shape[1]) Assert.Equal(0, batch.InputIds[row, length].item<long>()); // pad_index 0
                }
            }
        Assert.Equal(3, batches);
    }

    private static JsonObject ReadJson(string path) =>
        JsonNode.Parse(File.ReadAllText(path), documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip })!.AsObject();
}
