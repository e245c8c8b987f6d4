using VgtData.Config;

namespace VgtData.Tests.Config;

/// <summary>docs/config-reference.md is the schema's own output; every schema key is in it.</summary>
public class ConfigReferenceTests
{
    private static string Committed => Path.Combine(SharedData.RepoRoot, "docs", "config-reference.md");

    [Fact]
    public void TheCommittedReferenceIsUpToDate()
    {
        var expected = ConfigReference.Markdown();
        var actual = File.ReadAllText(Committed).ReplaceLineEndings("\n");
        Assert.True(expected == actual,
            "docs/config-reference.md is out of date with ConfigSchema: regenerate it with `./vgtdata config --reference > docs/config-reference.md`");
    }

    [Fact]
    public void EveryKeyOfTheSchemaIsListed()
    {
        var text = ConfigReference.Markdown();
        void Walk(string prefix, IReadOnlyDictionary<string, ConfigField> fields)
        {
            foreach (var (key, field) in fields)
            {
                Assert.Contains($"| `{prefix}{key}` |", text);
                if (field.Children is { } children && key is not ("dataset" or "tokenizer" or "prompt_template" or "tokenizer_kwargs"))
                    Walk($"{prefix}{key}.", children);
            }
        }
        Walk("", ConfigSchema.Root);
        Walk("dataset.", ConfigSchema.Dataset);
        Walk("prompt_template.", ConfigSchema.PromptTemplate);
        Walk("tokenizer.", ConfigSchema.TokenizerObject);
    }

    [Fact]
    public void TheCliPrintsTheSameReference()
    {
        var (code, output, _) = ConfigDir.Cli("config", "--reference");
        Assert.Equal(0, code);
        Assert.Equal(ConfigReference.Markdown(), output);
    }
}
