using VgtData.Preparation;

namespace VgtData.Tests.Preparation;

/// <summary>The member-path rule on its own: every refusal with its reason, every accepted form with its normalized path.</summary>
public sealed class MemberPathTests
{
    [Theory]
    [InlineData("../x.png", RefusalReasons.ParentTraversal)]
    [InlineData("a/../b.png", RefusalReasons.ParentTraversal)]
    [InlineData("a/b/..", RefusalReasons.ParentTraversal)]
    [InlineData("./../x", RefusalReasons.ParentTraversal)]
    [InlineData("a\\..\\b.png", RefusalReasons.ParentTraversal)]
    [InlineData("a/..\\..\\b.png", RefusalReasons.ParentTraversal)]
    [InlineData("/etc/passwd", RefusalReasons.AbsolutePath)]
    [InlineData("//server/x", RefusalReasons.AbsolutePath)]
    [InlineData("\\windows\\x.png", RefusalReasons.AbsolutePath)]
    [InlineData("C:x.png", RefusalReasons.AbsolutePath)]
    [InlineData("c:\\x.png", RefusalReasons.AbsolutePath)]
    [InlineData("z:/x.png", RefusalReasons.AbsolutePath)]
    [InlineData("a\0b.png", RefusalReasons.NulInName)]
    [InlineData("\0", RefusalReasons.NulInName)]
    [InlineData("ok/x.png\0../../etc", RefusalReasons.NulInName)]
    public void Refused_WithReason(string name, string reason)
    {
        Assert.Null(MemberPath.Relative(name, out var refusal));
        Assert.Equal(reason, refusal);
    }

    [Theory]
    [InlineData("a/b.png", "a/b.png")]
    [InlineData("./a/b.png", "a/b.png")]
    [InlineData("a//b.png", "a/b.png")]
    [InlineData("a/./b.png", "a/b.png")]
    [InlineData("a\\b.png", "a/b.png")]
    [InlineData("a/b/", "a/b")]
    [InlineData(".", "")]
    [InlineData("./", "")]
    [InlineData("", "")]
    [InlineData("...png", "...png")]
    [InlineData("a/..b/c..", "a/..b/c..")]
    [InlineData("1:x.png", "1:x.png")]
    [InlineData("%FF.png", "%FF.png")]
    public void Accepted_Normalized(string name, string expected)
    {
        Assert.Equal(expected, MemberPath.Relative(name, out var refusal));
        Assert.Null(refusal);
    }

    [Fact]
    public void ComponentOf255Bytes_Accepted_256Refused_CountedInUtf8Bytes()
    {
        var ok = new string('n', 251) + ".png";
        Assert.Equal("d/" + ok, MemberPath.Relative("d/" + ok, out _));
        Assert.Null(MemberPath.Relative("d/" + new string('n', 252) + ".png", out var refusal));
        Assert.Equal(RefusalReasons.NameTooLong, refusal);
        // 127 two-byte characters are 254 bytes (fits), 128 are 256 bytes (does not), though both are short in chars.
        Assert.NotNull(MemberPath.Relative(new string('é', 127), out _));
        Assert.Null(MemberPath.Relative(new string('é', 128), out refusal));
        Assert.Equal(RefusalReasons.NameTooLong, refusal);
    }

    [Fact]
    public void PathOver3840Bytes_Refused()
    {
        var component = new string('c', 200);
        var okPath = string.Join('/', Enumerable.Repeat(component, 19)); // 19 * 201 - 1 = 3818 bytes
        Assert.Equal(okPath, MemberPath.Relative(okPath, out _));
        Assert.Null(MemberPath.Relative(okPath + "/" + new string('d', 30), out var refusal)); // 3849 bytes
        Assert.Equal(RefusalReasons.PathTooLong, refusal);
    }
}
