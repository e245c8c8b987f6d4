using VgtData.Text;

namespace VgtData.Tests.Text;

public class CaptionTokenizerTests
{
    private static readonly long[] Prefix = [151644, 872, 198, 31115, 458, 2168, 25];   // <|im_start|>user\nGenerate an image:
    private static readonly long[] Closing = [151645, 198, 151644, 77091, 198];         // <|im_end|>\n<|im_start|>assistant\n
    private const string LongCaption = "a very long caption about a red fox jumping over a lazy brown dog in a sunny meadow at noon";

    [SkippableFact]
    public void NoMaxLengthKeepsEverything()
    {
        var c = new CaptionTokenizer(TestTokenizers.Get("internvl3-style"), PromptTemplate.Get("internvl3"), null);
        var ids = c.Tokenize("bond", false);
        Assert.Equal([.. Prefix, 10815, .. Closing], ids);
        Assert.Equal(ids.Length, c.CountTokens("bond", false));
    }

    [SkippableFact]
    public void IdsModeKeepsTheFirstMaxLengthIds()
    {
        var tok = TestTokenizers.Get("internvl3-style");
        var template = PromptTemplate.Get("internvl3");
        var full = new CaptionTokenizer(tok, template, null).Tokenize(LongCaption, false);
        var c = new CaptionTokenizer(tok, template, 12);
        Assert.True(c.CountTokens(LongCaption, false) > 12);
        Assert.Equal(full[..12], c.Tokenize(LongCaption, false));
        Assert.Equal(full, new CaptionTokenizer(tok, template, full.Length).Tokenize(LongCaption, false));
        Assert.Equal(5, new CaptionTokenizer(tok, template, 5).Tokenize(LongCaption, true).Length);
    }

    [SkippableFact]
    public void CaptionModeKeepsTheClosingIds()
    {
        var tok = TestTokenizers.Get("internvl3-style");
        var template = PromptTemplate.Get("internvl3");
        var full = new CaptionTokenizer(tok, template, null).Tokenize(LongCaption, false);
        var c = new CaptionTokenizer(tok, template, 16, TruncateMode.Caption);
        var ids = c.Tokenize(LongCaption, false);
        Assert.Equal(16, ids.Length);
        Assert.Equal(full[..11], ids[..11]);
        Assert.Equal(Closing, ids[11..]);
        Assert.Equal(Prefix, ids[..Prefix.Length]);
        // Prompts that fit are untouched, so caption mode equals ids mode on them.
        Assert.Equal([.. Prefix, 10815, .. Closing], c.Tokenize("bond", false));
        Assert.Equal(full.Length, c.CountTokens(LongCaption, false));
    }

    [SkippableFact]
    public void CaptionModeKeepsTheImageStartToo()
    {
        var c = new CaptionTokenizer(TestTokenizers.Get("qwen3"), PromptTemplate.Get("qwen25vl"), 20, TruncateMode.Caption);
        var ids = c.Tokenize(LongCaption, false);
        Assert.Equal(20, ids.Length);
        Assert.Equal([.. Closing, 20092, 29], ids[^7..]);
    }

    [SkippableFact]
    public void CaptionModeRefusesAMaxLengthShorterThanTheTemplate()
    {
        var tok = TestTokenizers.Get("internvl3-style");
        var e = Assert.Throws<VgtDataException>(() => new CaptionTokenizer(tok, PromptTemplate.Get("internvl3"), 10, TruncateMode.Caption));
        Assert.Contains("max_length 10", e.Message);
        Assert.Throws<VgtDataException>(() => new CaptionTokenizer(tok, PromptTemplate.Get("internvl3"), 0));
    }
}
