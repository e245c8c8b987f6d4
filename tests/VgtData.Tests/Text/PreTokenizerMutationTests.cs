using System.Text.Json;
using System.Text.RegularExpressions;
using VgtData.Text;

namespace VgtData.Tests.Text;

/// <summary>
/// Text behaviour that the mutation run of src/VgtData/Text found unguarded: the added-token cut and the code-point
/// stand-ins of the pre-tokenizer, the default tokenizer's special ids, template keys and caption cuts with no closing.
/// </summary>
public sealed class PreTokenizerMutationTests
{
    // Letters, numbers, other symbols and spaces each form their own runs.
    private static CodePointSplitPreTokenizer Split(params string[] added) =>
        new(new Regex(@"\p{L}+|\p{N}+|[^\s\p{L}\p{N}]+|\s+", RegexOptions.CultureInvariant), added);

    [Fact]
    public void AddedTokensMatchLongestFirstAndOnceEach()
    {
        Assert.Equal([(0, 4), (4, 1)], Split("<a", "<ab>").PreTokenize("<ab>x"));
        Assert.Equal([(0, 2), (2, 1), (3, 1), (4, 1)], Split("<a", "<ab>").PreTokenize("<ab x"));
        // After "aa" is cut, the scan goes on after it: "a" is not matched again inside "aa".
        Assert.Equal([(0, 2), (2, 1)], Split("aa", "a").PreTokenize("aaa"));
        // An empty added token is ignored.
        Assert.Equal([(0, 1), (1, 3)], Split("", "<a>").PreTokenize("x<a>"));
    }

    [Fact]
    public void SupplementaryCharactersAreOneCodePointOfTheirClass()
    {
        // 𝒜 (U+1D49C) and 𝐀 (U+1D400) are uppercase, 𝐚 (U+1D41A) lowercase, 𝟏 (U+1D7CF) a digit: each pair is one
        // letter or number, also at the very start of a gap.
        Assert.Equal([(0, 3)], Split().PreTokenize("𝒜b"));
        Assert.Equal([(0, 6)], Split().PreTokenize("x𝐀𝐚y"));
        Assert.Equal([(0, 2), (2, 2)], Split().PreTokenize("𝐚𝟏"));
        Assert.Equal([(0, 2), (2, 3), (5, 1)], Split("<a>").PreTokenize("𝐀<a>b"));
        // A lone surrogate (high at the end, low after a letter) stays one unit of the "other" class.
        Assert.Equal([(0, 1), (1, 1)], Split().PreTokenize("a\uD835"));
        Assert.Equal([(0, 1), (1, 1)], Split().PreTokenize("x\uDC00"));
    }

    [Fact]
    public void TheSpanOverloadSplitsTheSameWay()
    {
        Assert.Equal([(0, 2), (2, 1), (3, 1)], Split().PreTokenize("ab 1".AsSpan()));
        Assert.Equal([(0, 3), (3, 2)], Split("<a>").PreTokenize("<a>𝐚".AsSpan()));
        Assert.Empty(Split().PreTokenize(ReadOnlySpan<char>.Empty));
        Assert.Empty(Split().PreTokenize(""));
    }
}

public sealed class DefaultTokenizerMutationTests
{
    [Fact]
    public void TemplateTokensGetIdsAfterTheEncodingAndItsOwnSpecialsKeepTheirs()
    {
        Assert.Throws<ArgumentNullException>(() => DefaultTokenizer.O200k(null!));
        // <|endoftext|> is o200k's own special token (199999): it is not numbered again; <img> is the first new id.
        var eot = DefaultTokenizer.O200k(new PromptTemplate("eot", "<|endoftext|>{input}", "{input}", "c", "<img>"));
        Assert.Equal(200020, eot.VocabSize);
        Assert.True(eot.TryGetTokenId("<|endoftext|>", out var id));
        Assert.Equal(199999, id);
        Assert.True(eot.TryGetTokenId("<img>", out id));
        Assert.Equal(200019, id);

        var tok = DefaultTokenizer.O200k(PromptTemplate.Get("internvl3"));
        Assert.True(tok.TryGetTokenId("<|im_start|>", out id));
        Assert.Equal(200019, id);
        Assert.True(tok.TryGetTokenId("<|im_end|>", out id));
        Assert.Equal(200020, id);
        // A plain vocabulary entry is found through the encoder; a string of several tokens is not an entry.
        var hello = tok.Encode("hello");
        Assert.Single(hello);
        Assert.True(tok.TryGetTokenId("hello", out id));
        Assert.Equal(hello[0], id);
        Assert.False(tok.TryGetTokenId("qzxv hello qzxv", out id));
        Assert.Equal(-1, id);
    }
}

public sealed class TemplateMutationTests
{
    /// <summary>Each UTF-16 unit is one id: its code.</summary>
    private sealed class CharTokenizer : ITextTokenizer
    {
        public int[] Encode(string text) => text.Select(c => (int)c).ToArray();
        public int VocabSize => 65536;
        public bool TryGetTokenId(string token, out int id) => (id = token.Length == 1 ? token[0] : -1) >= 0;
        public string Name => "chars";
    }

    [Fact]
    public void BuiltInNamesAndRequiredKeys()
    {
        Assert.Equal("qwen25vl", PromptTemplate.Get("qwen25vl").Name);
        Assert.Equal("internvl3", PromptTemplate.Get("internvl3").ToString());
        foreach (var key in new[] { "INSTRUCTION", "IMG_START_TOKEN" })
        {
            var json = new Dictionary<string, string> { ["INSTRUCTION"] = "{input}", ["GENERATION"] = "{input}", ["CFG"] = "c", ["IMG_START_TOKEN"] = "<i>" };
            json.Remove(key);
            using var doc = JsonDocument.Parse(JsonSerializer.Serialize(json));
            Assert.Equal($"t.json: prompt template key '{key}' is missing",
                Assert.Throws<VgtDataException>(() => PromptTemplate.FromJson(doc.RootElement, "t.json")).Message);
        }
        // A null caption is refused even for the CFG prompt, which does not use it.
        Assert.Throws<ArgumentNullException>(() => PromptTemplate.Get("qwen25vl").Build(null!, cfg: true));
    }

    [Fact]
    public void ACaptionCutWithNoClosingKeepsTheHeadOnly()
    {
        // INSTRUCTION and GENERATION end with the caption and no image token follows: the cut keeps max_length ids.
        var bare = new PromptTemplate("bare", "{input}", "{input}", "C", "", imgStartTokenForGeneration: false);
        var c = new CaptionTokenizer(new CharTokenizer(), bare, 3, TruncateMode.Caption);
        Assert.Equal([97L, 98, 99], c.Tokenize("abcdef", false));
        Assert.Equal([97L, 98], c.Tokenize("ab", false));
    }
}
