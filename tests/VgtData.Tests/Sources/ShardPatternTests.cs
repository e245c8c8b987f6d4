using VgtData.Sources;
using VgtData.Tests.Preparation;

namespace VgtData.Tests.Sources;

/// <summary>Shard names as webdataset's braceexpand expands them (padding, steps, lists, several and nested braces),
/// then globs; every named shard must exist.</summary>
public sealed class ShardPatternTests : IDisposable
{
    private readonly TempTree _t = new();

    public void Dispose() => _t.Dispose();

    [Theory]
    [InlineData("train-{0000..0003}.tar", "train-0000.tar|train-0001.tar|train-0002.tar|train-0003.tar")]
    [InlineData("a-{8..11}.tar", "a-8.tar|a-9.tar|a-10.tar|a-11.tar")]
    [InlineData("a-{08..11}.tar", "a-08.tar|a-09.tar|a-10.tar|a-11.tar")]
    [InlineData("a-{0..3}.tar", "a-0.tar|a-1.tar|a-2.tar|a-3.tar")]
    [InlineData("a-{3..0}", "a-3|a-2|a-1|a-0")]
    [InlineData("a-{0..10..4}", "a-0|a-4|a-8")]
    [InlineData("a-{-2..01}", "a--2|a--1|a-00|a-01")]
    [InlineData("a-{x,y}-{1..2}", "a-x-1|a-x-2|a-y-1|a-y-2")]
    [InlineData("{a,b{1..2}}.tar", "a.tar|b1.tar|b2.tar")]
    [InlineData("s-{a..c}", "s-a|s-b|s-c")]
    [InlineData("literal-{a}.tar", "literal-{a}.tar")]
    [InlineData("plain.tar", "plain.tar")]
    [InlineData("part-*.tar", "part-*.tar")]
    public void BracesExpandAsBraceexpandDoes(string pattern, string expected) =>
        Assert.Equal(expected.Split('|'), ShardPattern.Expand(pattern));

    [Theory]
    [InlineData("a-{0..3.tar", "shards 'a-{0..3.tar': unbalanced braces (1 '{' never closed)")]
    [InlineData("a-0..3}.tar", "shards 'a-0..3}.tar': unbalanced braces (the '}' at 6 closes nothing)")]
    [InlineData("a-{0..9999999}.tar", "shards 'a-{0..9999999}.tar' expands to more than 1000000 names")]
    [InlineData("{0..999}-{0..9999}", "shards '{0..999}-{0..9999}' expands to more than 1000000 names")]
    public void BadBracesAreOneLine(string pattern, string message) =>
        Assert.Equal(message, Assert.Throws<VgtDataException>(() => ShardPattern.Expand(pattern)).Message);

    private string Touch(string relative)
    {
        var path = Path.Combine(_t.Root, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, []);
        return path;
    }

    [Fact]
    public void ResolveKeepsBraceOrderAndExpandsGlobsInEach()
    {
        var a10 = Touch("a/s-10.tar");
        var a2 = Touch("a/s-2.tar");
        var b1 = Touch("b/s-1.tar");
        Touch("a/other.txt");
        // Braces keep their order (b before a); a glob lists its matches in natural order.
        Assert.Equal([b1, a2, a10], ShardPattern.Resolve(_t.Root, "{b,a}/s-*.tar"));
        // The same file named twice is read once.
        Assert.Equal([b1], ShardPattern.Resolve(_t.Root, "{b,b}/s-1.tar"));
        Assert.Equal([a2, a10], ShardPattern.Resolve(_t.Root, Path.Combine(_t.Root, "a/s-{2,10}.tar")));
    }

    [Fact]
    public void MissingShardsAreRefusedNamingTheFirst()
    {
        Touch("d/s-0000.tar");
        Touch("d/s-0002.tar");
        var missing = Path.Combine(_t.Root, "d/s-0001.tar");
        Assert.Equal($"shards 'd/s-{{0000..0003}}.tar': shard {missing} does not exist (2 of 4 names missing)",
            Assert.Throws<VgtDataException>(() => ShardPattern.Resolve(_t.Root, "d/s-{0000..0003}.tar")).Message);
        Assert.Equal($"shards 'd/x-{{0000..0002}}.tar': none of its 3 names is a file (first: {Path.Combine(_t.Root, "d/x-0000.tar")})",
            Assert.Throws<VgtDataException>(() => ShardPattern.Resolve(_t.Root, "d/x-{0000..0002}.tar")).Message);
        Assert.Equal($"shards 'd/y-*.tar': no shard matches {Path.Combine(_t.Root, "d/y-*.tar")}",
            Assert.Throws<VgtDataException>(() => ShardPattern.Resolve(_t.Root, "d/y-*.tar")).Message);
        // A glob that matches nothing inside a brace list is a missing shard too.
        Assert.Equal($"shards 'd/{{s,z}}-*.tar': shard {Path.Combine(_t.Root, "d/z-*.tar")} does not exist (1 of 2 names missing)",
            Assert.Throws<VgtDataException>(() => ShardPattern.Resolve(_t.Root, "d/{s,z}-*.tar")).Message);
    }
}
