using System.Text;
using System.Text.RegularExpressions;
using VgtData.Tests.Fixtures;
using VgtData.Manifests;

namespace VgtData.Tests.Manifests;

/// <summary>Strings as Python's json.loads makes them, lone surrogates included, and the refusal where Python fails to encode.</summary>
public class LoneSurrogatesTests
{
    // Theory data travels as UTF-8, which cannot hold a lone surrogate: the cases are written escaped (Regex.Unescape).
    [Theory]
    [InlineData("plain", -1)]
    [InlineData("", -1)]
    [InlineData(@"a \ud83d\ude00 pair", -1)]
    [InlineData(@"\ud800", 0)]
    [InlineData(@"ab\udc00", 2)]
    [InlineData(@"\ud83d\ude00\ud83d", 2)]
    [InlineData(@"\ud83d\ud83d\ude00", 0)]
    [InlineData(@"x\ude00\ud83d", 1)]
    public void IndexOf_finds_the_first_unpaired_surrogate(string escaped, int expected) =>
        Assert.Equal(expected, LoneSurrogates.IndexOf(Regex.Unescape(escaped)));

    [Theory]
    [InlineData(@"a \ud800 b", @"a \ud800 b")]
    [InlineData(@"\ud83d\ude00", @"\ud83d\ude00")]
    [InlineData(@"\udc00\ud800", @"\udc00\ud800")]
    [InlineData(@"q\""\\\/\b\f\n\r\t\u00e9é", @"q""\\/\b\f\n\r\t\u00e9é")]
    public void UnescapeJson_keeps_every_escaped_unit_as_python_does(string raw, string escapedExpected) =>
        Assert.Equal(Regex.Unescape(escapedExpected), LoneSurrogates.UnescapeJson(Encoding.UTF8.GetBytes(raw)));

    [Fact]
    public void Describe_names_the_unit_and_where_it_is() =>
        Assert.Equal("lone surrogate \\ud800 at character 3", LoneSurrogates.Describe("abc\ud800", 3));

    [Fact]
    public void The_caption_tokenizer_refuses_what_utf8_cannot_encode_instead_of_using_fffd()
    {
        var e = Assert.Throws<VgtDataException>(() => TestImages.Text.Tokenize("a \ud800 b", cfg: false));
        Assert.Equal("caption holds a lone surrogate \\ud800 at character 2, which UTF-8 cannot encode", e.Message);
        Assert.Throws<VgtDataException>(() => TestImages.Text.CountTokens("\udfff", cfg: false));
        Assert.NotEmpty(TestImages.Text.Tokenize("a \ud83d\ude00 b", cfg: false));
    }
}
