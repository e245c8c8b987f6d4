using System.Text;
using System.Text.Json;
using VgtData.Manifests;

namespace VgtData.Tests.Validation;

/// <summary>--write-clean accepts every manifest the loader accepts and writes strict JSON that Python's json.load reads.</summary>
public sealed class WriteCleanSyntaxTests : IDisposable
{
    private readonly TempDataset _tree = new();

    public void Dispose() => _tree.Dispose();

    private const string Good0 = """{"image": "img/a.png", "caption": "one", "extra": [1, 2.50, "\u00e9 \ud800"]}""";
    private const string Bad = """{"image": "img/missing.png", "caption": "gone"}""";
    private const string Good2 = """{"caption": "three", "image": "img/b.png"}""";

    public static TheoryData<string, string> Manifests => new()
    {
        { "bom.json", "\uFEFF[" + Good0 + ", " + Bad + ", " + Good2 + "]" },
        { "trailing.json", "[" + Good0 + ", " + Bad + ", " + Good2 + "]\n\nnot JSON at all {" },
        { "comments.json", "/* head */ [\n  " + Good0 + ", // the missing one:\n  " + Bad + ",\n  " + Good2 + ", /* trailing comma */\n]" },
        { "lines.jsonl", "// JSONL with comments\n" + Good0 + "\n/* gone: */ " + Bad + "\n\n" + Good2 + " // last\n" },
    };

    [Theory]
    [MemberData(nameof(Manifests))]
    public void Writes_the_good_entries_as_strict_json(string name, string text)
    {
        _tree.WriteFile("img/a.png", Images.Png(100, 100));
        _tree.WriteFile("img/b.png", Images.Png(120, 90));
        File.WriteAllText(_tree.PathOf(name), text, new UTF8Encoding(false));
        var outPath = _tree.PathOf("clean/out.json");
        var (code, stdout, stderr) = Cli.Run("validate", _tree.Config(name), "--write-clean", outPath);
        Assert.True(code == 1, stderr + stdout);
        Assert.Contains("wrote 2 of 3 entries", stdout);

        // Strict: no comments, no trailing commas, no BOM; every byte of the kept entries' values as written.
        var bytes = File.ReadAllBytes(outPath);
        Assert.NotEqual(0xEF, bytes[0]);
        using var doc = JsonDocument.Parse(bytes);
        Assert.Equal(2, doc.RootElement.GetArrayLength());
        var written = Encoding.UTF8.GetString(bytes);
        Assert.Contains("""{"image":"img/a.png","caption":"one","extra":[1,2.50,"\u00e9 \ud800"]}""", written);
        Assert.Contains("""{"caption":"three","image":"img/b.png"}""", written);

        // The loader reads it back to the same entries.
        var clean = Manifest.Load(outPath);
        var source = Manifest.Load(_tree.PathOf(name));
        Assert.Equal([source[0], source[2]], [clean[0], clean[1]]);
    }

    [Fact]
    public void A_jsonl_output_is_written_as_jsonl()
    {
        _tree.WriteFile("img/a.png", Images.Png(100, 100));
        _tree.WriteFile("img/b.png", Images.Png(120, 90));
        _tree.WriteText("data.json", "[" + Good0 + ", " + Bad + ", " + Good2 + "]");
        var outPath = _tree.PathOf("clean.jsonl");
        var (code, stdout, stderr) = Cli.Run("validate", _tree.Config(), "--write-clean", outPath);
        Assert.True(code == 1, stderr + stdout);
        var lines = File.ReadAllLines(outPath);
        Assert.Equal(2, lines.Length);
        Assert.All(lines, l => JsonDocument.Parse(l).Dispose());
        Assert.Equal(2, Manifest.Load(outPath).Count);
    }
}
