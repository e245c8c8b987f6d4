using VgtData.Text;

namespace VgtData.Tests.Text;

public class HfTokenizerTests
{
    [SkippableFact]
    public void AddedTokensAreMatchedBeforeBpe()
    {
        var qwen3 = TestTokenizers.Get("qwen3");
        Assert.Equal([151644, 872, 198], qwen3.Encode("<|im_start|>user\n"));
        Assert.Equal([20092, 29], qwen3.Encode("<img>"));          // not an added token in Qwen3
        Assert.False(qwen3.AddedTokens.ContainsKey("<img>"));

        var internvl = TestTokenizers.Get("internvl3-style");
        Assert.Equal([151665], internvl.Encode("<img>"));           // special in InternVL3
        Assert.Equal([198, 151665, 151645], internvl.Encode("\n<img><|im_end|>"));
        Assert.True(internvl.TryGetTokenId("<|im_end|>", out var end));
        Assert.Equal(151645, end);
        Assert.True(internvl.TryGetTokenId("<|endoftext|>", out var eot));
        Assert.Equal(151643, eot);
        Assert.False(internvl.TryGetTokenId("<no such token>", out _));
        Assert.Equal(151674, internvl.VocabSize);
        Assert.Equal("internvl3-style", internvl.Name);
    }

    // Ids from the Rust HF tokenizers (npm @anush008/tokenizers 0.6.0): a supplementary character is one code point
    // to its regex, so 𠀀 and 𝒜 are letters and 's after them is still a contraction.
    [SkippableTheory]
    [InlineData("qwen3", "\U00020000abc \U0001D49Clpha", new[] { 172, 63219, 222, 13683, 81250, 240, 250, 75, 3967 })]
    [InlineData("qwen3", "\u00DF \U00020000<img>", new[] { 7997, 220, 172, 63219, 222, 20092, 29 })]
    [InlineData("internvl3-style", "\u672C\U0001F469\u200D\U0001F467\U00020000's", new[] { 21894, 145233, 378, 235, 145665, 172, 63219, 222, 594 })]
    [InlineData("internvl3-style", "<img>\t<img>\r\n.\U0001D7D9'a\r\U00020000", new[] { 151665, 197, 151665, 319, 13, 56252, 253, 247, 25184, 201, 172, 63219, 222 })]
    public void SupplementaryCharactersSplitLikeRust(string tokenizer, string text, int[] expected) =>
        Assert.Equal(expected, TestTokenizers.Get(tokenizer).Encode(text));

    [SkippableFact]
    public void NormalizesToNfcBeforeBpe()
    {
        var t = TestTokenizers.Get("qwen3");
        Assert.Equal(t.Encode("caf\u00E9"), t.Encode("cafe\u0301"));
    }

    [Fact]
    public void MissingTokenizerJsonNamesThePath()
    {
        var dir = Path.Combine(Path.GetTempPath(), $"vgt-tok-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        try
        {
            var e = Assert.Throws<VgtDataException>(() => HfTokenizer.Load(dir));
            Assert.Contains(Path.Combine(dir, "tokenizer.json"), e.Message);
        }
        finally { Directory.Delete(dir, true); }
        var gone = Path.Combine(Path.GetTempPath(), "vgt-no-such-dir");
        Assert.Contains(gone, Assert.Throws<VgtDataException>(() => HfTokenizer.Load(gone)).Message);
    }

    [Fact]
    public void ATinyHandWrittenTokenizerLoads()
    {
        // Byte-level vocabulary: 'Ġ' is the space byte. Merges in both accepted spellings.
        var dir = Path.Combine(Path.GetTempPath(), $"vgt-tok-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        try
        {
            File.WriteAllText(Path.Combine(dir, "tokenizer.json"), """
                {"normalizer": {"type": "NFC"},
                 "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
                   {"type": "Split", "pattern": {"Regex": "\\s?\\p{L}+|\\s+"}, "behavior": "Isolated", "invert": false},
                   {"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": false, "use_regex": false}]},
                 "added_tokens": [{"id": 9, "content": "<s>", "special": true}],
                 "model": {"type": "BPE", "vocab": {"a": 0, "b": 1, "Ġ": 2, "ab": 3, "Ġab": 4, "c": 5},
                           "merges": ["a b", ["Ġ", "ab"]]}}
                """);
            var t = HfTokenizer.Load(dir);
            Assert.Equal([3, 9, 4, 5], t.Encode("ab<s> abc"));
            Assert.Equal(10, t.VocabSize);

            File.WriteAllText(Path.Combine(dir, "tokenizer.json"), """
                {"pre_tokenizer": {"type": "Whitespace"}, "model": {"type": "BPE", "vocab": {}, "merges": []}}
                """);
            var e = Assert.Throws<VgtDataException>(() => HfTokenizer.Load(dir));
            Assert.Contains("Whitespace", e.Message);
        }
        finally { Directory.Delete(dir, true); }
    }
}
