using VgtData.Text;

namespace VgtData.Tests.Text;

public class PythonStringTests
{
    [Theory]
    [InlineData("\u001C\u001D\u001E\u001Fcat\u001F")]
    [InlineData(" \t\n\v\f\rcat\r\n")]
    [InlineData("\u0085\u00A0\u1680cat\u2000\u2005\u200A")]
    [InlineData("\u2028\u2029\u202F\u205F\u3000cat\u3000")]
    public void StripsEveryPythonSpace(string s) => Assert.Equal("cat", PythonString.Strip(s));

    [Theory]
    [InlineData("\u200Bcat\u200B")]   // zero-width space: not isspace()
    [InlineData("\uFEFFcat")]          // BOM: not isspace()
    [InlineData("\u180Ecat")]          // Mongolian vowel separator: not isspace() since Unicode 6.3
    public void KeepsWhatPythonKeeps(string s) => Assert.Equal(s, PythonString.Strip(s));

    [Fact]
    public void InnerSpacesStayAndEmptyStaysEmpty()
    {
        Assert.Equal("a \u001C b", PythonString.Strip("  a \u001C b \u001C "));
        Assert.Equal("", PythonString.Strip(" \u001F\t "));
        Assert.Equal("", PythonString.Strip(""));
    }

    [Fact]
    public void IsSpaceMatchesPythonForTheWholeBmpList()
    {
        // Python: [hex(c) for c in range(0x10000) if chr(c).isspace()]
        int[] python = [0x9, 0xa, 0xb, 0xc, 0xd, 0x1c, 0x1d, 0x1e, 0x1f, 0x20, 0x85, 0xa0, 0x1680,
            0x2000, 0x2001, 0x2002, 0x2003, 0x2004, 0x2005, 0x2006, 0x2007, 0x2008, 0x2009, 0x200a,
            0x2028, 0x2029, 0x202f, 0x205f, 0x3000];
        var ours = Enumerable.Range(0, 0x10000).Where(c => PythonString.IsSpace((char)c)).ToArray();
        Assert.Equal(python, ours);
    }
}
