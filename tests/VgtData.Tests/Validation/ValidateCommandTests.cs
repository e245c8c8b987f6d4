using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using VgtData.Config;
using VgtData.Datasets;
using VgtData.Text;
using VgtData.Validation;

namespace VgtData.Tests.Validation;

public sealed class ValidateCommandTests : IDisposable
{
    private readonly TempDataset _tree = new();

    public void Dispose() => _tree.Dispose();

    /// <summary>Three good entries among one of each kind of bad one; the caption key of entry 9 is missing.</summary>
    private string BuildMixed()
    {
        _tree.WriteFile("img/good0.png", Images.Png(100, 100));
        _tree.WriteFile("img/good1.png", Images.Png(120, 90, r: 90));
        _tree.WriteFile("img/good2.png", Images.Png(96, 128, g: 10));
        _tree.WriteFile("img/garbage.png", Enumerable.Range(0, 300).Select(i => (byte)(i * 37 + 11)).ToArray());
        var full = Images.Png(100, 100);
        _tree.WriteFile("img/truncated.png", full[..(full.Length / 2)]);
        _tree.WriteFile("img/small.png", Images.Png(60, 60));
        _tree.WriteFile("img/wide.png", Images.Png(1100, 100));
        _tree.WriteFile("img/huge.png", Images.HeaderOnlyPng(20000, 20000));
        _tree.WriteFile("img/blank.png", Images.Png(100, 100));
        _tree.WriteFile("img/nokey.png", Images.Png(100, 100));
        _tree.WriteText("data.json", """
            [
              {"image": "img/good0.png", "caption": "a red square", "width": 100, "height": 100},
              {"image": "img/missing.png", "caption": "nothing here"},
              {"caption": "a gradient", "image": "img/good1.png", "extra": {"nested": [1, 2.50, "é ü"]}},
              {"image": "img/garbage.png", "caption": "noise"},
              {"image": "img/truncated.png", "caption": "half a picture"},
              {"image": "img/small.png", "caption": "tiny"},
              {"image": "img/wide.png", "caption": "a banner"},
              {"image": "img/huge.png", "caption": "a bomb"},
              {"image": "img/blank.png", "caption": "   \n"},
              {"image": "img/nokey.png", "text": "the caption is under another key"},
              {"image": "img/good2.png", "caption": "the last good one"}
            ]
            """);
        return _tree.Config();
    }

    private static readonly (string Image, string Reason)[] ExpectedBad =
    [
        ("img/missing.png", "missing file"),
        ("img/garbage.png", "undecodable"),
        ("img/truncated.png", "truncated"),
        ("img/small.png", "too small"),
        ("img/wide.png", "bad aspect"),
        ("img/huge.png", "over the pixel limit"),
        ("img/blank.png", "blank caption"),
        ("img/nokey.png", "missing caption key"),
    ];

    [Fact]
    public void Lists_every_bad_entry_with_its_reason_and_exits_1()
    {
        var config = BuildMixed();
        var (code, stdout, stderr) = Cli.Run("validate", config, "--json", "--workers", "2");
        Assert.True(code == 1, stderr + stdout);
        var json = JsonNode.Parse(Cli.LastLine(stdout))!.AsObject();
        Assert.Equal(11, json["checked"]!.GetValue<int>());
        var bad = json["bad"]!.AsArray();
        Assert.Equal(ExpectedBad, bad.Select(b => (b!["image"]!.GetValue<string>(), b["reason"]!.GetValue<string>())).ToArray());
        Assert.Equal([1, 3, 4, 5, 6, 7, 8, 9], bad.Select(b => b!["index"]!.GetValue<int>()).ToArray());
        Assert.All(bad, b => Assert.Equal(0, b!["dataset"]!.GetValue<int>()));
        Assert.All(bad, b => Assert.False(string.IsNullOrEmpty(b!["detail"]!.GetValue<string>())));
        var byReason = json["by_reason"]!.AsObject();
        Assert.Equal(8, byReason.Count);
        Assert.All(byReason, kv => Assert.Equal(1, kv.Value!.GetValue<int>()));
        Assert.Equal(128, json["max_length"]!.GetValue<int>());
        // The human summary names every bad entry too, and progress went to stderr.
        foreach (var (image, reason) in ExpectedBad) Assert.Contains($"{image}: {reason}", stdout);
        Assert.Contains("validate: 11/11 entries", stderr);
    }

    [Fact]
    public void Reasons_match_the_datasets_own_failures()
    {
        var config = BuildMixed();
        using var pipeline = PipelineFactory.Build(ConfigLoader.Load(config));
        var dataset = (CaptionDataset)pipeline.Dataset;
        for (int i = 0; i < dataset.Entries.Count; i++)
        {
            var failure = EntryValidator.Check(dataset, i);
            try
            {
                using var sample = dataset.GetSample(i);
                // Served without replacement: the entry itself is good.
                if (sample.SourceIndex == i) Assert.Null(failure);
            }
            catch (VgtDataException) { }
            var recorded = dataset.Failures.Recorded.FirstOrDefault(f => f.Index == i);
            if (failure != null) Assert.Equal(failure.Reason, recorded?.Reason);
        }
    }

    [Fact]
    public void A_clean_config_exits_0()
    {
        _tree.WriteFile("a.png", Images.Png(100, 100));
        _tree.WriteFile("b.png", Images.Png(200, 150));
        _tree.WriteText("data.json", """[{"image": "a.png", "caption": "one"}, {"image": "b.png", "caption": "two"}]""");
        var (code, stdout, stderr) = Cli.Run("validate", _tree.Config(), "--json");
        Assert.True(code == 0, stderr + stdout);
        var json = JsonNode.Parse(Cli.LastLine(stdout))!.AsObject();
        Assert.Equal(2, json["checked"]!.GetValue<int>());
        Assert.Empty(json["bad"]!.AsArray());
        Assert.Empty(json["by_reason"]!.AsObject());
        Assert.Contains("all usable", stdout);
    }

    [Fact]
    public void Write_clean_keeps_the_other_entries_exactly_in_order()
    {
        var config = BuildMixed();
        var outPath = _tree.PathOf("clean/data.json");
        var (code, stdout, stderr) = Cli.Run("validate", config, "--write-clean", outPath);
        Assert.True(code == 1, stderr + stdout);

        var badIndices = new HashSet<int> { 1, 3, 4, 5, 6, 7, 8, 9 };
        var input = JsonNode.Parse(File.ReadAllText(_tree.PathOf("data.json")))!.AsArray();
        var expected = new JsonArray(input.Select((e, i) => (e, i)).Where(p => !badIndices.Contains(p.i)).Select(p => p.e!.DeepClone()).ToArray());
        var written = JsonNode.Parse(File.ReadAllText(outPath))!.AsArray();
        var options = new JsonSerializerOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
        Assert.Equal(expected.ToJsonString(options), written.ToJsonString(options));
        Assert.Contains("2.50", File.ReadAllText(outPath));   // number text kept as written

        // The clean file validates clean.
        var cleanConfig = _tree.Config("clean/data.json", name: "clean-config.json");
        Assert.Equal(0, Cli.Run("validate", cleanConfig).Code);
    }

    [Fact]
    public void Write_clean_of_a_concat_dataset_writes_one_file_per_member()
    {
        _tree.WriteFile("a.png", Images.Png(100, 100));
        _tree.WriteFile("small.png", Images.Png(50, 50));
        _tree.WriteText("one.json", """[{"image": "a.png", "caption": "one"}, {"image": "small.png", "caption": "two"}]""");
        _tree.WriteText("two.json", """[{"image": "gone.png", "caption": "x"}, {"image": "a.png", "caption": "three", "k": 1}]""");
        _tree.WriteText("concat.json", """
            {"image_size": 64, "tokenizer": "embedded:o200k", "dataset": {"type": "ConcatDataset", "datasets": [
               {"type": "CaptionDataset", "data_path": "one.json", "image_folder": ".", "max_length": 64},
               {"type": "CaptionDataset", "data_path": "two.json", "image_folder": ".", "max_length": 64}]},
             "train_dataloader": {"batch_size": 2, "num_workers": 1}}
            """);
        var outDir = _tree.PathOf("clean");
        var (code, stdout, stderr) = Cli.Run("validate", _tree.PathOf("concat.json"), "--json", "--write-clean", outDir);
        Assert.True(code == 1, stderr + stdout);
        var json = JsonNode.Parse(Cli.LastLine(stdout))!.AsObject();
        Assert.Equal(4, json["checked"]!.GetValue<int>());
        var bad = json["bad"]!.AsArray().Select(b => (b!["dataset"]!.GetValue<int>(), b["index"]!.GetValue<int>(), b["reason"]!.GetValue<string>())).ToArray();
        Assert.Equal([(0, 1, "too small"), (1, 0, "missing file")], bad);
        Assert.Equal("""[{"image":"a.png","caption":"one"}]""",
            JsonNode.Parse(File.ReadAllText(Path.Combine(outDir, CleanManifestWriter.MemberFileName(0))))!.ToJsonString());
        Assert.Equal("""[{"image":"a.png","caption":"three","k":1}]""",
            JsonNode.Parse(File.ReadAllText(Path.Combine(outDir, CleanManifestWriter.MemberFileName(1))))!.ToJsonString());
    }

    [Fact]
    public void Token_percentiles_and_truncation_count_on_a_known_caption_set()
    {
        var captions = Enumerable.Range(1, 20).Select(n => string.Join(" ", Enumerable.Repeat("word", n * 3))).ToList();
        _tree.WriteFile("a.png", Images.Png(100, 100));
        _tree.WriteText("data.json", JsonSerializer.Serialize(captions.Select(c => new { image = "a.png", caption = c })));
        const int maxLength = 40;
        var (code, stdout, stderr) = Cli.Run("validate", _tree.Config(maxLength: maxLength), "--json");
        Assert.True(code == 0, stderr + stdout);
        var json = JsonNode.Parse(Cli.LastLine(stdout))!.AsObject();

        var template = PromptTemplate.Get("qwen25vl");
        var text = new CaptionTokenizer(DefaultTokenizer.O200k(template), template, maxLength);
        var lengths = captions.Select(c => text.CountTokens(c, cfg: false)).OrderBy(n => n).ToArray();
        // Nearest rank over 20 values: p50 is the 10th, p90 the 18th, p99 and max the 20th.
        var t = json["token_length"]!;
        Assert.Equal(lengths[9], t["p50"]!.GetValue<int>());
        Assert.Equal(lengths[17], t["p90"]!.GetValue<int>());
        Assert.Equal(lengths[19], t["p99"]!.GetValue<int>());
        Assert.Equal(lengths[19], t["max"]!.GetValue<int>());
        int truncated = lengths.Count(n => n > maxLength);
        Assert.InRange(truncated, 1, 19);
        Assert.Equal(truncated, json["truncated_by_max_length"]!.GetValue<int>());
        Assert.Equal(maxLength, json["max_length"]!.GetValue<int>());
        Assert.Contains($"max_length {maxLength} truncates {truncated} of 20 captions", stdout);
    }

    [Fact]
    public void Without_max_length_VGTs_default_128_applies()
    {
        _tree.WriteFile("a.png", Images.Png(100, 100));
        _tree.WriteText("data.json", """[{"image": "a.png", "caption": "one two three"}]""");
        var (code, stdout, _) = Cli.Run("validate", _tree.Config(maxLength: null), "--json");
        Assert.Equal(0, code);
        var json = JsonNode.Parse(Cli.LastLine(stdout))!.AsObject();
        Assert.Equal(128, json["max_length"]!.GetValue<int>());
        Assert.Equal(0, json["truncated_by_max_length"]!.GetValue<int>());
    }

    [Fact]
    public void Set_overrides_apply_and_unknown_options_are_usage_errors()
    {
        var config = BuildMixed();
        // min_image_size 50 lets the 60 px image through.
        var (code, stdout, _) = Cli.Run("validate", config, "--json", "--set", "dataset.min_image_size=50");
        Assert.Equal(1, code);
        Assert.DoesNotContain("too small", Cli.LastLine(stdout));
        Assert.Equal(2, Cli.Run("validate", config, "--bogus", "1").Code);
    }
}
