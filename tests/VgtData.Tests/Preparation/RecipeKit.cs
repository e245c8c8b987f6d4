using System.Text.Json;
using System.Text.Json.Nodes;
using VgtData.Config;
using VgtData.Datasets;

namespace VgtData.Tests.Preparation;

/// <summary>A VGT checkout's data folder for recipe tests: <c>PARENT/data/NAME</c> as the recipe's download leaves it, and
/// VGT's own "Set config" block imported with <c>vgtdata config import FILE.py --data-root PARENT</c>.</summary>
internal sealed class RecipeTree : IDisposable
{
    public RecipeTree(string dataset)
    {
        Parent = Path.Combine(Path.GetTempPath(), "vgtdata-recipe-" + Guid.NewGuid().ToString("N")[..12]);
        Root = Path.Combine(Parent, "data", dataset);
        Directory.CreateDirectory(Root);
    }

    /// <summary>The VGT checkout (what <c>--data-root</c> names).</summary>
    public string Parent { get; }

    /// <summary><c>data/NAME</c>: what <c>prepare NAME --root</c> names.</summary>
    public string Root { get; }

    public string Write(string relative, byte[] bytes)
    {
        var path = Path.Combine(Root, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    public string Write(string relative, string text) => Write(relative, System.Text.Encoding.UTF8.GetBytes(text));

    /// <summary>Imports <paramref name="setConfig"/> (a recipe doc's block, unchanged) beside VGT's processors.py and
    /// returns the written config's path.</summary>
    public string ImportConfig(string setConfig)
    {
        var configs = Path.Combine(Parent, "configs");
        Directory.CreateDirectory(configs);
        File.Copy(SharedData.Require("vgt-configs/datasets/internvl3_1b_448/processors.py"), Path.Combine(configs, "processors.py"));
        var source = Path.Combine(configs, "dataset.py");
        File.WriteAllText(source, setConfig);
        var output = Path.Combine(configs, "dataset.json");
        var tokenizer = SharedData.Require("tokenizers/internvl3-style");
        var (code, _, error) = PrepareShareGptTests.RunCli("config", "import", source, "--tokenizer-map", $"OpenGVLab/InternVL3-1B={tokenizer}",
            "--data-root", Parent, "-o", output);
        Assert.True(code == 0, error);
        return output;
    }

    /// <summary>Validates every sample of the config (decode, limits, caption): <paramref name="samples"/> checked, the
    /// dataset that long, exactly <paramref name="bad"/> ("INDEX REASON") bad.</summary>
    public static void AssertLoads(string config, int samples, params string[] bad)
    {
        var (code, stdout, error) = PrepareShareGptTests.RunCli("validate", config, "--json", "--workers", "2");
        var json = JsonNode.Parse(stdout.TrimEnd().Split('\n')[^1])!;
        Assert.Equal(bad, json["bad"]!.AsArray().Select(b => $"{b!["index"]} {b["reason"]}"));
        Assert.True(code == (bad.Length == 0 ? 0 : 1), stdout + error);
        Assert.Equal(samples, json["checked"]!.GetValue<int>());
        using var pipeline = PipelineFactory.Build(ConfigLoader.Load(config));
        Assert.Equal(samples, pipeline.Dataset switch
        {
            CaptionDataset c => c.Count,
            ConcatDataset c => c.CumulativeSizes[^1],
            var d => throw new InvalidOperationException(d.GetType().Name),
        });
    }

    /// <summary>The "Set config" python block of VGT's recipe doc <paramref name="doc"/> (docs/datasets/NAME.md), as
    /// the doc has it.</summary>
    public static string DocConfig(string doc)
    {
        var text = File.ReadAllText(SharedData.Require($"vgt-docs/datasets/{doc}"));
        var section = text[text.IndexOf("## Set config", StringComparison.Ordinal)..];
        int start = section.IndexOf("```python\n", StringComparison.Ordinal) + "```python\n".Length;
        return section[start..section.IndexOf("```", start, StringComparison.Ordinal)];
    }

    public JsonArray DataJson(string name = "data.json") => JsonNode.Parse(File.ReadAllText(Path.Combine(Root, name)))!.AsArray();

    /// <summary>Every file below the dataset folder ('/'-separated, sorted), the tool's own hidden state left out.</summary>
    public string[] Files() => Directory.EnumerateFiles(Root, "*", SearchOption.AllDirectories)
        .Select(f => Path.GetRelativePath(Root, f).Replace('\\', '/'))
        .Where(f => !f.StartsWith(".vgtdata", StringComparison.Ordinal)).Order(StringComparer.Ordinal).ToArray();

    public JsonObject Report() => JsonNode.Parse(File.ReadAllText(Path.Combine(Root, "prepare-report.json")))!.AsObject();

    public static string Rows(JsonNode? array) => array!.ToJsonString(new JsonSerializerOptions { WriteIndented = false });

    public void Dispose()
    {
        try { Directory.Delete(Parent, recursive: true); } catch (IOException) { }
    }
}
