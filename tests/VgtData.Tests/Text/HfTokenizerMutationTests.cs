using System.Text.Json.Nodes;
using VgtData.Text;

namespace VgtData.Tests.Text;

/// <summary>
/// tokenizer.json reading, branch by branch, on a tiny byte-level BPE written here: every refusal with its exact
/// reason, and every accepted variant with the ids it gives.
/// </summary>
public sealed class HfTokenizerMutationTests : IDisposable
{
    private const string Base = """
        {"pre_tokenizer": {"type": "Sequence", "pretokenizers": [
           {"type": "Split", "pattern": {"Regex": "\\s?\\p{L}+|\\s+"}, "behavior": "Isolated", "invert": false},
           {"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": false, "use_regex": false}]},
         "model": {"type": "BPE", "vocab": {"a": 0, "b": 1, "Ġ": 2, "ab": 3, "Ġab": 4, "c": 5}, "merges": ["a b", ["Ġ", "ab"]]}}
        """;

    private readonly string _dir = Path.Combine(Path.GetTempPath(), $"vgt-tokm-{Guid.NewGuid():N}", "tiny-tok");

    public HfTokenizerMutationTests() => Directory.CreateDirectory(_dir);

    public void Dispose() => Directory.Delete(Path.GetDirectoryName(_dir)!, true);

    private string TokenizerPath => Path.Combine(_dir, "tokenizer.json");

    private HfTokenizer Load(Action<JsonObject>? edit = null, string? config = null)
    {
        var root = JsonNode.Parse(Base)!.AsObject();
        edit?.Invoke(root);
        File.WriteAllText(TokenizerPath, root.ToJsonString());
        if (config is not null) File.WriteAllText(Path.Combine(_dir, "tokenizer_config.json"), config);
        return HfTokenizer.Load(_dir);
    }

    /// <summary>The refusal's message with the tokenizer.json path written as PATH.</summary>
    private string Refusal(Action<JsonObject>? edit = null, string? config = null) =>
        Assert.Throws<VgtDataException>(() => Load(edit, config)).Message.Replace(TokenizerPath, "PATH");

    private static JsonObject Model(JsonObject root) => root["model"]!.AsObject();
    private static JsonArray Steps(JsonObject root) => root["pre_tokenizer"]!["pretokenizers"]!.AsArray();

    [Fact]
    public void TheBaseFileLoadsWithItsNameVocabularyAndIds()
    {
        var t = Load();
        Assert.Equal("tiny-tok", t.Name);
        Assert.Equal("tiny-tok", t.ToString());
        Assert.Equal(6, t.VocabSize);
        Assert.Equal([3, 4, 5], t.Encode("ab abc"));
        Assert.True(t.TryGetTokenId("Ġab", out var id));
        Assert.Equal(4, id);
        Assert.False(t.TryGetTokenId("zz", out _));
        Assert.Empty(t.AddedTokens);
        Assert.Throws<ArgumentNullException>(() => t.Encode(null!));
        Assert.Throws<ArgumentNullException>(() => HfTokenizer.Load(null!));
    }

    [Fact]
    public void ADirectoryGivenWithATrailingSlashKeepsItsName()
    {
        Load();
        Assert.Equal("tiny-tok", HfTokenizer.Load(_dir + Path.DirectorySeparatorChar).Name);
    }

    [Fact]
    public void MissingFileAndMissingDirectorySayWhichIsMissing()
    {
        var e = Assert.Throws<VgtDataException>(() => HfTokenizer.Load(_dir));
        Assert.Equal($"tokenizer file {TokenizerPath} not found (a Hugging Face tokenizer directory holds tokenizer.json)", e.Message);
        var gone = Path.Combine(_dir, "gone");
        var g = Assert.Throws<VgtDataException>(() => HfTokenizer.Load(gone));
        Assert.Equal($"tokenizer directory {gone} not found (expected {Path.Combine(gone, "tokenizer.json")})", g.Message);
    }

    [Fact]
    public void InvalidJsonIsNamed()
    {
        File.WriteAllText(TokenizerPath, "{\"model\": ");
        var e = Assert.Throws<VgtDataException>(() => HfTokenizer.Load(_dir));
        Assert.StartsWith($"{TokenizerPath}: not valid JSON (", e.Message);
        Assert.IsAssignableFrom<System.Text.Json.JsonException>(e.InnerException);
    }

    [Fact]
    public void AMissingModelTypeMeansBpe() =>
        Assert.Equal([3, 4, 5], Load(r => Model(r).Remove("type")).Encode("ab abc"));

    public static TheoryData<string, string> ModelRefusals => new()
    {
        { """{"type": "WordPiece"}""", "PATH: model.type 'WordPiece' is not supported (only byte-level BPE)" },
        { """{"byte_fallback": true}""", "PATH: model.byte_fallback=true is not supported" },
        { """{"ignore_merges": true}""", "PATH: model.ignore_merges=true is not supported" },
        { """{"continuing_subword_prefix": "##"}""", "PATH: model.continuing_subword_prefix is not supported" },
        { """{"end_of_word_suffix": "</w>"}""", "PATH: model.end_of_word_suffix is not supported" },
        { """{"vocab": []}""", "PATH: 'vocab' must be a JSON object" },
        { """{"merges": {}}""", "PATH: 'merges' must be a JSON array" },
        { """{"vocab": {"a": 0, "b": "1"}}""", "PATH: model.vocab entry 'b' must be an integer id" },
        { """{"vocab": {"a": 0.5}}""", "PATH: model.vocab entry 'a' must be an integer id" },
        { """{"merges": ["a b", ["a"]]}""", "PATH: model.merges[1] must be \"a b\" or [\"a\", \"b\"]" },
        { """{"merges": ["a b", "a b", ["a", 1]]}""", "PATH: model.merges[2] must be \"a b\" or [\"a\", \"b\"]" },
        { """{"merges": [["a", "b", "c"]]}""", "PATH: model.merges[0] must be \"a b\" or [\"a\", \"b\"]" },
        { """{"merges": [[1, "b"]]}""", "PATH: model.merges[0] must be \"a b\" or [\"a\", \"b\"]" },
        { """{"merges": [3]}""", "PATH: model.merges[0] must be \"a b\" or [\"a\", \"b\"]" },
    };

    [Theory]
    [MemberData(nameof(ModelRefusals))]
    public void ModelRefusalsNameTheKey(string patch, string expected)
    {
        var p = JsonNode.Parse(patch)!.AsObject();
        Assert.Equal(expected, Refusal(r =>
        {
            foreach (var (k, v) in p.ToList()) Model(r)[k] = v?.DeepClone();
        }));
    }

    [Fact]
    public void AMissingModelIsRefused() => Assert.Equal("PATH: 'model' must be a JSON object", Refusal(r => r.Remove("model")));

    [Fact]
    public void FalseFlagsAndEmptyAffixesAreAccepted()
    {
        var t = Load(r =>
        {
            Model(r)["byte_fallback"] = false;
            Model(r)["ignore_merges"] = false;
            Model(r)["continuing_subword_prefix"] = "";
            Model(r)["end_of_word_suffix"] = null;
        });
        Assert.Equal([3, 4, 5], t.Encode("ab abc"));
    }

    [Fact]
    public void AddedTokensComeFromBothFilesAndRaiseTheVocabSize()
    {
        var t = Load(r => r["added_tokens"] = JsonNode.Parse("""[{"id": 9, "content": "<s>"}]"""),
            config: """{"added_tokens_decoder": {"12": {"content": "<t>"}, "9": {"content": "<s>"}, "x": {"content": "<u>"}, "13": {"content": 5}, "14": 3}}""");
        Assert.Equal(13, t.VocabSize);
        Assert.Equal(2, t.AddedTokens.Count);
        Assert.Equal(9, t.AddedTokens["<s>"]);
        Assert.Equal(12, t.AddedTokens["<t>"]);
        Assert.Equal([3, 12, 9, 4], t.Encode("ab<t><s> ab"));
        Assert.True(t.TryGetTokenId("<t>", out var id));
        Assert.Equal(12, id);
    }

    [Fact]
    public void TokenizerJsonWinsOverTheConfigForTheSameContent()
    {
        var t = Load(r => r["added_tokens"] = JsonNode.Parse("""[{"id": 9, "content": "<s>"}]"""),
            config: """{"added_tokens_decoder": {"11": {"content": "<s>"}}}""");
        Assert.Equal(9, t.AddedTokens["<s>"]);
        Assert.Equal(10, t.VocabSize);
    }

    [Theory]
    [InlineData("[]")]
    [InlineData("""{"added_tokens_decoder": []}""")]
    [InlineData("""{"split_special_tokens": false}""")]
    public void ConfigsWithoutUsableTokensAreIgnored(string config)
    {
        var t = Load(config: config);
        Assert.Empty(t.AddedTokens);
        Assert.Equal(6, t.VocabSize);
    }

    [Fact]
    public void ConfigRefusalsNameTheConfigFile()
    {
        var config = Path.Combine(_dir, "tokenizer_config.json");
        Assert.Equal($"{config}: split_special_tokens=true is not supported", Refusal(config: """{"split_special_tokens": true}"""));
        Assert.StartsWith($"{config}: not valid JSON (", Refusal(config: "{"));
    }

    [Fact]
    public void NullAddedTokensAreNone() => Assert.Empty(Load(r => r["added_tokens"] = null).AddedTokens);

    [Theory]
    [InlineData("""{}""", "PATH: 'added_tokens' must be an array")]
    [InlineData("""[{"id": 1, "content": "x"}, {"id": "2", "content": "y"}]""", "PATH: added_tokens[1] needs an integer 'id' and a string 'content'")]
    [InlineData("""[{"content": "y"}]""", "PATH: added_tokens[0] needs an integer 'id' and a string 'content'")]
    [InlineData("""[{"id": 2}]""", "PATH: added_tokens[0] needs an integer 'id' and a string 'content'")]
    [InlineData("""[{"id": 2, "content": 3}]""", "PATH: added_tokens[0] needs an integer 'id' and a string 'content'")]
    [InlineData("""[7]""", "PATH: added_tokens[0] needs an integer 'id' and a string 'content'")]
    public void AddedTokenRefusals(string added, string expected) =>
        Assert.Equal(expected, Refusal(r => r["added_tokens"] = JsonNode.Parse(added)));

    [Fact]
    public void NormalizerVariants()
    {
        Assert.Equal([3], Load(r => r["normalizer"] = null).Encode("ab"));
        Assert.Equal([3], Load(r => r["normalizer"] = JsonNode.Parse("""{"type": "Sequence", "normalizers": []}""")).Encode("ab"));
        // NFC turns a + U+0301 into the one character á (bytes C3 A1, byte-level "Ã¡"); without it they stay apart.
        void Accented(JsonObject r)
        {
            foreach (var (k, v) in new[] { ("Ã", 6), ("¡", 7), ("Ì", 8), ("ģ", 9) }) Model(r)["vocab"]![k] = v;
        }
        var nfc = Load(r => { Accented(r); r["normalizer"] = JsonNode.Parse("""{"type": "NFC"}"""); });
        Assert.Equal([6, 7, 1], nfc.Encode("\u00E1b"));
        Assert.Equal([6, 7, 1], nfc.Encode("a\u0301b"));
        var none = Load(Accented);
        Assert.Equal([6, 7, 1], none.Encode("\u00E1b"));
        Assert.NotEqual([6, 7, 1], none.Encode("a\u0301b"));
        Assert.Equal("PATH: normalizer 'NFD' is not supported (only NFC or none)", Refusal(r => r["normalizer"] = JsonNode.Parse("""{"type": "NFD"}""")));
        Assert.Equal("PATH: normalizer 'Sequence' is not supported (only NFC or none)",
            Refusal(r => r["normalizer"] = JsonNode.Parse("""{"type": "Sequence", "normalizers": [{"type": "NFC"}]}""")));
        Assert.Equal("PATH: normalizer 'Sequence' is not supported (only NFC or none)",
            Refusal(r => r["normalizer"] = JsonNode.Parse("""{"type": "Sequence"}""")));
        Assert.Equal("PATH: normalizer '' is not supported (only NFC or none)", Refusal(r => r["normalizer"] = JsonNode.Parse("{}")));
    }

    public static TheoryData<string, string> PreTokenizerRefusals => new()
    {
        { "null", "PATH: a pre_tokenizer is required (Split regex + ByteLevel)" },
        { "[]", "PATH: a pre_tokenizer is required (Split regex + ByteLevel)" },
        { """{"type": "Sequence", "pretokenizers": [{"type": "Split", "pattern": {"String": " "}}, {"type": "ByteLevel", "use_regex": false}]}""",
          "PATH: pre_tokenizer Split needs a {\"Regex\": ...} pattern" },
        { """{"type": "Sequence", "pretokenizers": [{"type": "Split", "pattern": {"Regex": 3}}, {"type": "ByteLevel", "use_regex": false}]}""",
          "PATH: pre_tokenizer Split needs a {\"Regex\": ...} pattern" },
        { """{"type": "Sequence", "pretokenizers": [{"type": "Split"}, {"type": "ByteLevel", "use_regex": false}]}""",
          "PATH: pre_tokenizer Split needs a {\"Regex\": ...} pattern" },
        { """{"type": "Sequence", "pretokenizers": [{"type": "Split", "pattern": {"Regex": "a"}, "behavior": "Removed"}, {"type": "ByteLevel", "use_regex": false}]}""",
          "PATH: pre_tokenizer Split behavior 'Removed' is not supported (only Isolated)" },
        { """{"type": "Sequence", "pretokenizers": [{"type": "Split", "pattern": {"Regex": "a"}, "invert": true}, {"type": "ByteLevel", "use_regex": false}]}""",
          "PATH: pre_tokenizer Split invert=true is not supported" },
        { """{"type": "ByteLevel", "add_prefix_space": true}""", "PATH: ByteLevel add_prefix_space=true is not supported" },
        { """{"type": "Sequence", "pretokenizers": [{"type": "Split", "pattern": {"Regex": "a"}}, {"type": "ByteLevel"}]}""",
          "PATH: Split followed by ByteLevel(use_regex=true) is not supported" },
        { """{"type": "Sequence", "pretokenizers": [{"type": "Split", "pattern": {"Regex": "a"}}, {"type": "ByteLevel", "use_regex": true}]}""",
          "PATH: Split followed by ByteLevel(use_regex=true) is not supported" },
        { """{"type": "Sequence", "pretokenizers": [{"type": "ByteLevel", "use_regex": false}, {"type": "ByteLevel", "use_regex": false}]}""",
          "PATH: pre_tokenizer step 'ByteLevel' is not supported (expected Split regex + ByteLevel)" },
        { """{"type": "Sequence", "pretokenizers": [{"type": "Split", "pattern": {"Regex": "a"}}, {"type": "Split", "pattern": {"Regex": "a"}}, {"type": "ByteLevel", "use_regex": false}]}""",
          "PATH: pre_tokenizer step 'Split' is not supported (expected Split regex + ByteLevel)" },
        { """{"type": "Sequence", "pretokenizers": [{"type": "Split", "pattern": {"Regex": "a"}}, 5]}""",
          "PATH: pre_tokenizer step '' is not supported (expected Split regex + ByteLevel)" },
        { """{"type": "Sequence", "pretokenizers": [{"type": "Split", "pattern": {"Regex": "a"}}, {"type": 5}]}""",
          "PATH: pre_tokenizer step '' is not supported (expected Split regex + ByteLevel)" },
        { """{"type": "Sequence", "pretokenizers": [{"type": "Split", "pattern": {"Regex": "a"}}]}""",
          "PATH: only byte-level BPE is supported (no ByteLevel pre_tokenizer found)" },
        { """{"type": "Sequence", "pretokenizers": []}""", "PATH: only byte-level BPE is supported (no ByteLevel pre_tokenizer found)" },
        { """{"type": "Sequence", "pretokenizers": [{"type": "ByteLevel", "use_regex": false}]}""", "PATH: pre_tokenizer has no split regex" },
        { """{"type": "Sequence"}""", "PATH: pre_tokenizer step 'Sequence' is not supported (expected Split regex + ByteLevel)" },
    };

    [Theory]
    [MemberData(nameof(PreTokenizerRefusals))]
    public void PreTokenizerRefusalsSayWhatIsUnsupported(string preTokenizer, string expected) =>
        Assert.Equal(expected, Refusal(r => r["pre_tokenizer"] = JsonNode.Parse(preTokenizer)));

    [Fact]
    public void ABareByteLevelSplitsLikeGpt2()
    {
        // GPT-2's regex keeps " ab" together and splits the contraction "'s" off; the Base split has no contraction rule.
        var gpt2 = Load(r => r["pre_tokenizer"] = JsonNode.Parse("""{"type": "ByteLevel", "add_prefix_space": false}"""));
        Assert.Equal([3, 4], gpt2.Encode("ab ab"));
        var explicitTrue = Load(r => r["pre_tokenizer"] = JsonNode.Parse("""{"type": "ByteLevel", "use_regex": true}"""));
        Assert.Equal([2, 4], explicitTrue.Encode("  ab"));
        // GPT-2's "\s+(?!\S)" leaves the last space of a run to the word: "  ab" is " " + " ab"; the Base split gives "  " + "ab".
        Assert.Equal([2, 4], gpt2.Encode("  ab"));
        Assert.Equal([2, 2, 3], Load().Encode("  ab"));
    }

    [Fact]
    public void SplitWithIsolatedBehaviourAndInvertFalseIsAccepted()
    {
        var t = Load(r => Steps(r)[0] = JsonNode.Parse("""{"type": "Split", "pattern": {"Regex": "\\s?\\p{L}+|\\s+"}, "behavior": "Isolated", "invert": false}"""));
        Assert.Equal([3, 4, 5], t.Encode("ab abc"));
    }
}
