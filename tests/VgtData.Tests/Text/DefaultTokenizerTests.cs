using VgtData.Text;

namespace VgtData.Tests.Text;

public class DefaultTokenizerTests
{
    [Fact]
    public void O200kRegistersTheTemplateSpecialsAtomically()
    {
        var tok = DefaultTokenizer.O200k(PromptTemplate.Get("qwen25vl"));
        Assert.True(tok.TryGetTokenId("<|im_start|>", out var start));
        Assert.True(tok.TryGetTokenId("<|im_end|>", out var end));
        Assert.True(tok.TryGetTokenId("<img>", out var img));
        Assert.True(start >= 200019 && end >= 200019 && img >= 200019, $"{start} {end} {img} overlap o200k");
        Assert.Equal(3, new[] { start, end, img }.Distinct().Count());
        Assert.Equal(Math.Max(start, Math.Max(end, img)) + 1, tok.VocabSize);

        var ids = tok.Encode("<|im_start|>user\nhi<|im_end|>\n<img>");
        Assert.Equal(start, ids[0]);
        Assert.Contains(end, ids);
        Assert.Equal(img, ids[^1]);
        Assert.Equal(3, ids.Count(i => i == start || i == end || i == img));
        Assert.DoesNotContain(ids, i => i >= tok.VocabSize || i < 0);
    }

    [Fact]
    public void O200kTokenizesAPromptThroughTheTemplate()
    {
        var template = PromptTemplate.Get("internvl3");
        var c = new CaptionTokenizer(DefaultTokenizer.O200k(template), template, 64);
        var ids = c.Tokenize("a red fox", false);
        Assert.True(ids.Length is > 8 and < 20, $"{ids.Length} ids");
        Assert.Equal(ids, c.Tokenize("  a red fox\n", false));
        Assert.NotEqual(ids, c.Tokenize("a red fox", true));
    }
}
