using System.IO.Compression;
using System.Text.Json;
using VgtData.Sources;
using VgtData.Tests.Config;
using VgtData.Tests.Preparation;

namespace VgtData.Tests.Sources;

/// <summary>Which tar member an image path means: the part its folder names (VGT unpacks each part into a folder named
/// after it), or the one member holding that name; a name several members hold is refused naming them, never guessed.</summary>
public sealed class TarPartResolutionTests : IDisposable
{
    private readonly TempTree _t = new();
    private readonly byte[] _first = TestImages.Png(20, 10, shade: 10);
    private readonly byte[] _second = TestImages.Png(20, 10, shade: 200);
    private readonly byte[] _only = TestImages.Png(12, 12, shade: 90);

    public void Dispose() => _t.Dispose();

    /// <summary>Two parts with flat names, both holding 00000.png (different pixels), and 00001.png only in the second.</summary>
    private (string First, string Second) TwoParts()
    {
        var first = _t.Raw("data_000001.tar");
        var second = _t.Raw("data_000002.tar");
        File.WriteAllBytes(first, new TarBuilder().File("00000.png", _first).File("same/x.png", _first).Build());
        File.WriteAllBytes(second, new TarBuilder().File("00000.png", _second).File("00001.png", _only).File("same/x.png", _second).Build());
        return (first, second);
    }

    /// <summary>raw/NAME: a gzip-compressed tar holding a.png.</summary>
    private string GzipPart(string name)
    {
        var part = _t.Raw(name);
        using var file = File.Create(part);
        using var gz = new GZipStream(file, CompressionLevel.Fastest);
        gz.Write(new TarBuilder().File("a.png", _first).Build());
        return part;
    }

    private static byte[] Read(TarImageSource source, string path)
    {
        using var bytes = source.Read(path);
        return bytes.Span.ToArray();
    }

    [Fact]
    public void TheFolderNamingAPartReadsThatPartOnly()
    {
        var (first, second) = TwoParts();
        using var source = TarImageSource.FromGlob(_t.Root, "raw/data_*.tar");
        Assert.Equal(_first, Read(source, "images/data_000001/00000.png"));
        Assert.Equal(_second, Read(source, "images/data_000002/00000.png"));
        Assert.Equal(_second, Read(source, "data_000002/same/x.png"));
        Assert.Equal($"{second}:00000.png", source.Describe("data_000002/00000.png"));
        // A flat name held once is that member, wherever its folder says nothing about parts.
        Assert.Equal(_only, Read(source, "images/00001.png"));
        // The named part lacks it: missing, not the other part's member.
        var missing = Assert.Throws<SampleException>(() => source.Read("data_000001/00001.png"));
        Assert.Equal(SampleFailureReason.MissingFile, missing.Reason);
        Assert.Equal($"sample ({Path.Combine(_t.Root, "raw/data_*.tar")}:data_000001/00001.png): missing file: no member 00001.png in {first}", missing.Message);
        Assert.False(source.Exists("data_000001/00001.png"));
    }

    [Theory]
    [InlineData("00000.png", "00000.png")]
    [InlineData("images/00000.png", "00000.png")]
    [InlineData("same/x.png", "same/x.png")]
    public void ANameHeldByTwoPartsIsRefusedNamingBoth(string path, string member)
    {
        var (first, second) = TwoParts();
        using var source = TarImageSource.FromGlob(_t.Root, "raw/data_*.tar");
        var e = Assert.Throws<SampleException>(() => source.Read(path));
        Assert.Equal(SampleFailureReason.AmbiguousMember, e.Reason);
        Assert.Equal($"sample ({Path.Combine(_t.Root, "raw/data_*.tar")}:{path}): ambiguous tar member: 2 members could be meant: " +
            $"{first}:{member}, {second}:{member}; name the part as the image's folder (FOLDER/PART/name for FOLDER/PART.tar)", e.Message);
        Assert.False(source.Exists(path));
        // The cached index resolves the same way.
        using var again = TarImageSource.FromGlob(_t.Root, "raw/data_*.tar");
        Assert.True(again.Index.FromCache);
        Assert.Equal(e.Message, Assert.Throws<SampleException>(() => again.Read(path)).Message);
    }

    [Fact]
    public void ValidateReportsTheAmbiguousEntryAndLoadsTheNamedOnes()
    {
        var (first, second) = TwoParts();
        File.WriteAllText(Path.Combine(_t.Root, "data.json"), JsonSerializer.Serialize(new[]
        {
            new { image = "data_000001/00000.png", caption = "the first part's" },
            new { image = "data_000002/00000.png", caption = "the second part's" },
            new { image = "00000.png", caption = "which one?" },
        }));
        var config = Path.Combine(_t.Root, "config.json");
        File.WriteAllText(config, $$"""
            { "tokenizer": "embedded:o200k", "image_size": 16,
              "dataset": { "type": "CaptionDataset", "data_path": "data.json", "min_image_size": 0,
                           "image_source": { "type": "tar", "parts": "raw/data_*.tar" } } }
            """);
        var (code, stdout, _) = ConfigDir.Cli("validate", config);
        Assert.Equal(1, code);
        Assert.Contains("checked 3 entries (1 dataset): 1 bad\n", stdout);
        Assert.Contains($"\n  0:2 00000.png: ambiguous tar member: 2 members could be meant: {first}:00000.png, {second}:00000.png; " +
            $"name the part as the image's folder (FOLDER/PART/name for FOLDER/PART.tar) [{Path.Combine(_t.Root, "raw/data_*.tar")}:00000.png]\n", stdout);
    }

    [Theory]
    [InlineData("0.tar.gz", "0")]
    [InlineData("1.tgz", "1")]
    [InlineData("2.tar", "2")]   // gzip data under a .tar name
    public void AGzipPartIsRefusedNamingTheExtractCommand(string name, string folder)
    {
        var part = GzipPart(name);
        var e = Assert.Throws<VgtDataException>(() => new TarImageSource([part]));
        var unpacked = _t.Raw(folder);
        Assert.Equal($"tar part {part} is gzip-compressed and cannot be read in place; unpack it first: " +
            $"vgtdata extract --input {part} --out {unpacked}", e.Message);
        // The command it names does the job.
        var (code, _, _) = ConfigDir.Cli("extract", "--input", part, "--out", unpacked);
        Assert.Equal(0, code);
        Assert.Equal(_first, File.ReadAllBytes(Path.Combine(unpacked, "a.png")));
    }

    [Fact]
    public void ValidateOverGzipPartsStopsWithOneLine()
    {
        var part = GzipPart("0.tar.gz");
        File.WriteAllText(Path.Combine(_t.Root, "data.json"), """[{"image": "0/a.png", "caption": "c"}]""");
        var config = Path.Combine(_t.Root, "config.json");
        File.WriteAllText(config, """
            { "tokenizer": "embedded:o200k", "image_size": 16,
              "dataset": { "type": "CaptionDataset", "data_path": "data.json", "image_source": { "type": "tar", "parts": "raw/*.tar.gz" } } }
            """);
        var (code, stdout, error) = ConfigDir.Cli("validate", config);
        Assert.Equal(1, code);
        Assert.Equal("", stdout);
        Assert.Equal($"vgtdata validate: error: {config}: dataset: tar part {part} is gzip-compressed and cannot be read in place; unpack it first: " +
            $"vgtdata extract --input {part} --out {_t.Raw("0")}\n", error);
    }

    [Fact]
    public void AGzipPartInABucketIsRefusedByItsName()
    {
        var stamp = new TarIndex.PartStamp("s3://vgt/echo/images/0.tar.gz", 4096, 1, 0, 0);
        var e = Assert.Throws<VgtDataException>(() => TarIndex.LoadOrBuild([stamp], _ => throw new InvalidOperationException("no read expected"),
            Path.Combine(_t.Root, "index.bin")));
        Assert.Equal("tar part s3://vgt/echo/images/0.tar.gz is gzip-compressed and cannot be read in place; download and unpack it first: " +
            "vgtdata extract --input 0.tar.gz --out 0", e.Message);
    }
}
