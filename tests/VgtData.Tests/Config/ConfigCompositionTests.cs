using System.Text.Json;
using VgtData.Config;

namespace VgtData.Tests.Config;

/// <summary>
/// JSON config composition: each base file is composed once however many files name it, with the result merging
/// every step in order would give; JSON a config cannot hold (a key twice, a lone surrogate) is one line naming
/// file, key and line, exit 1 (it was exit 70, "internal error").
/// </summary>
public class ConfigCompositionTests
{
    [Fact]
    public void ADiamondOfFortyFilesEachNamingTheNextTwiceResolvesAtOnce()
    {
        using var dir = new ConfigDir();
        for (int i = 0; i < 40; i++)
        {
            var bases = i == 39 ? "" : $"\"base\": [\"f{i + 1}.json\", \"f{i + 1}.json\"], ";
            dir.Write($"f{i}.json", $"{{ {bases}\"max_length\": {i + 1}, \"image_size\": {64 + i} }}");
        }
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var (code, stdout, error) = ConfigDir.Cli("config", Path.Combine(dir.Root, "f0.json"), "--set", "tokenizer=embedded:o200k");
        // Before: 2^40 merges, no end after 60 s.
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"took {clock.Elapsed}");
        Assert.True(code == 0, error);
        var json = JsonDocument.Parse(stdout).RootElement;
        Assert.Equal(1, json.GetProperty("max_length").GetInt32());
        Assert.Equal(64, json.GetProperty("image_size").GetInt32());
    }

    [Fact]
    public void ABaseNamedTwiceIsAppliedAtEachPlaceAsBefore()
    {
        using var dir = new ConfigDir();
        // main: base [b, c]; b and c both name d. In order: d, b, d again, c, main; so d's max_length is back after b.
        dir.Write("d.json", """{ "max_length": 1, "image_size": 64 }""");
        dir.Write("b.json", """{ "base": "d.json", "max_length": 2, "pad_index": 7 }""");
        dir.Write("c.json", """{ "base": "d.json", "image_size": 96 }""");
        var main = dir.Write("main.json", """{ "base": ["b.json", "c.json"], "tokenizer": "embedded:o200k" }""");
        var config = ConfigLoader.Load(main);
        Assert.Equal(1, config.Root["max_length"]!.GetValue<int>());
        Assert.Equal(96, config.Root["image_size"]!.GetValue<int>());
        Assert.Equal(7, config.Root["pad_index"]!.GetValue<int>());
        Assert.Equal(Path.Combine(dir.Root, "d.json"), config.SourceOf("max_length"));
        Assert.Equal(Path.Combine(dir.Root, "c.json"), config.SourceOf("image_size"));
    }

    [Fact]
    public void AnObjectThatReplacedANameInABaseReplacesTheObjectBeforeIt()
    {
        using var dir = new ConfigDir();
        // In order: t sets prompt_template {SYSTEM}, a sets the name "internvl3", x sets {SUFFIX}. The name dropped
        // SYSTEM, so the result has SUFFIX only, though x's composition is applied over t's as a whole.
        dir.Write("t.json", """{ "prompt_template": { "SYSTEM": "s" } }""");
        dir.Write("a.json", """{ "prompt_template": "internvl3" }""");
        dir.Write("x.json", """{ "base": "a.json", "prompt_template": { "SUFFIX": "y", "SEP": "z" } }""");
        dir.Write("y.json", """{ "prompt_template": { "SEP": "w" } }""");
        var main = dir.Write("main.json", """{ "base": ["t.json", "x.json", "y.json"], "tokenizer": "embedded:o200k" }""");
        var config = ConfigLoader.Load(main);
        Assert.Equal("""{"SUFFIX":"y","SEP":"w"}""", config.Root["prompt_template"]!.ToJsonString());
        Assert.Equal(Path.Combine(dir.Root, "x.json"), config.SourceOf("prompt_template.SUFFIX"));
        Assert.Equal(Path.Combine(dir.Root, "y.json"), config.SourceOf("prompt_template.SEP"));
        Assert.False(config.Provenance.ContainsKey("prompt_template.SYSTEM"));
    }

    [Fact]
    public void ACycleThroughADiamondIsStillRefused()
    {
        using var dir = new ConfigDir();
        dir.Write("b.json", """{ "base": "d.json" }""");
        dir.Write("c.json", """{ "base": "d.json" }""");
        dir.Write("d.json", """{ "base": "main.json" }""");
        var main = dir.Write("main.json", """{ "base": ["b.json", "c.json"], "tokenizer": "embedded:o200k" }""");
        var (code, _, error) = ConfigDir.Cli("config", main);
        Assert.Equal(1, code);
        Assert.Equal($"error: {main}: base: circular base: main.json -> b.json -> d.json -> main.json\n", error.ReplaceLineEndings("\n"));
    }

    public static TheoryData<string, string, string> BadJson() => new()
    {
        { """{ "tokenizer": "embedded:o200k", "max_length": 8, "max_length": 9 }""", "max_length", "given twice in one object (line 1)" },
        { "{ \"tokenizer\": \"embedded:o200k\",\n  \"dataset\": { \"datasets\": [ 1, { \"x\": 1,\n \"x\": 2 } ] } }", "dataset.datasets[1].x", "given twice in one object (line 3)" },
        { """{ "tokenizer": "embedded:o200k", "base": "\ud800.json" }""", "base",
            "the string holds a lone surrogate \\ud800 at character 0, which UTF-8 cannot encode (line 1)" },
        { "{ \"tokenizer\": \"embedded:o200k\",\n \"dataset\": { \"\\udc00k\": 1 } }", "dataset",
            "a key holds a lone surrogate \\udc00 at character 0, which UTF-8 cannot encode (line 2)" },
    };

    [Theory]
    [MemberData(nameof(BadJson))]
    public void JsonAConfigCannotHoldIsOneLineNamingFileKeyAndLine(string text, string key, string message)
    {
        using var dir = new ConfigDir();
        var file = dir.Write("bad.json", text);
        var main = dir.Write("main.json", """{ "base": "bad.json" }""");
        var (code, _, error) = ConfigDir.Cli("config", main);
        Assert.Equal(1, code);
        Assert.Equal($"error: {file}: {key}: {message}\n", error.ReplaceLineEndings("\n"));
    }

    [Theory]
    [InlineData("dataset={\"x\": 1, \"x\": 2}", "dataset.x", "given twice in one object")]
    [InlineData("dataset=[1, {\"x\": 1, \"x\": 2}]", "dataset[1].x", "given twice in one object")]
    [InlineData("dataset.data_path=\"a\\ud800\"", "dataset.data_path", "the string holds a lone surrogate \\ud800 at character 1, which UTF-8 cannot encode")]
    [InlineData("prompt_template={\"\\udfff\": 1}", "prompt_template", "a key holds a lone surrogate \\udfff at character 0, which UTF-8 cannot encode")]
    public void SetValuesAConfigCannotHoldAreOneLine(string assignment, string key, string message)
    {
        using var dir = new ConfigDir();
        var main = dir.Write("main.json", """{ "tokenizer": "embedded:o200k" }""");
        var (code, _, error) = ConfigDir.Cli("config", main, "--set", assignment);
        Assert.Equal(1, code);
        Assert.Equal($"error: --set: {key}: {message}\n", error.ReplaceLineEndings("\n"));
    }

    [Fact]
    public void ManyKeysComposeInTimeLinearInTheirNumber()
    {
        using var dir = new ConfigDir();
        // Each replaced key used to scan every key recorded so far: 100,000 keys set twice took over 60 s.
        var keys = string.Join(", ", Enumerable.Range(0, 100_000).Select(i => $"\"k{i}\": {i}"));
        dir.Write("many.json", $"{{ {keys} }}");
        var main = dir.Write("main.json", $"{{ \"base\": \"many.json\", \"tokenizer\": \"embedded:o200k\", {keys} }}");
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var (code, _, error) = ConfigDir.Cli("config", main);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"took {clock.Elapsed}");
        Assert.Equal(1, code);
        var lines = error.ReplaceLineEndings("\n").TrimEnd('\n').Split('\n');
        Assert.Equal(100_000, lines.Length);
        Assert.Equal($"error: {main}: k0: unknown key", lines[0]);
    }

    [Fact]
    public void ASetPathDeeperThanAConfigFileIsOneLine()
    {
        using var dir = new ConfigDir();
        var main = dir.Write("main.json", """{ "tokenizer": "embedded:o200k" }""");
        var path = string.Join('.', Enumerable.Repeat("tokenizer_kwargs", 70));
        var (code, _, error) = ConfigDir.Cli("config", main, "--set", $"{path}=1");
        Assert.Equal(1, code);
        Assert.Equal($"error: --set: {path[..80]}...: the key path and value nest more than 64 levels\n", error.ReplaceLineEndings("\n"));
    }

    [Fact]
    public void SetTextThatIsNotJsonIsStillAString()
    {
        using var dir = new ConfigDir();
        var main = dir.Write("main.json", """{ "tokenizer": "embedded:o200k" }""");
        var (code, stdout, error) = ConfigDir.Cli("config", main, "--set", "prompt_template={not json");
        Assert.Equal(1, code);
        Assert.Contains("prompt template '{not json' is neither a built-in", error);
        Assert.Equal("", stdout);
    }
}
