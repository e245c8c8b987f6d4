using System.IO.Compression;
using VgtData.Datasets;
using VgtData.Images;
using VgtData.Tests.Fixtures;

namespace VgtData.Tests.Images;

/// <summary>
/// PNG chunk checks against Pillow 9.4's verdicts (Debian's python3-pil, on the same layouts): it reads the CRC of every
/// chunk up to the image data, not of ancillary chunks after it; it refuses a zTXt, iTXt or iCCP chunk that inflates past
/// 1 MiB ("Decompressed Data Too Large") wherever it is, and ignores one that does not inflate; and it refuses damage in
/// the image data below a crop's last row, which the loader and <c>validate</c> now refuse alike.
/// </summary>
public sealed class PngChunkParityTests : IDisposable
{
    private readonly TestImages _dir = new();

    public void Dispose() => _dir.Dispose();

    private static readonly ImageLimits Limits = ImageLimits.Default;

    /// <summary>100 × 90 grey rows, filter 0.</summary>
    private static byte[] Idat() => TestImages.PngChunk("IDAT", TestImages.Zlib(
        Enumerable.Range(0, 90).SelectMany(y => new byte[] { 0 }.Concat(Enumerable.Range(0, 100).Select(x => (byte)(x * 7 ^ y * 13)))).ToArray()));

    private static byte[] Png(params byte[][] chunks) =>
        [.. TestImages.PngHead(100, 90, 0), .. chunks.SelectMany(c => c), .. TestImages.PngChunk("IEND", [])];

    private static byte[] BadCrc(byte[] chunk)
    {
        var copy = (byte[])chunk.Clone();
        copy[^1] ^= 1;
        return copy;
    }

    /// <summary>Keyword, NUL, method 0, then a zlib stream of <paramref name="bytes"/> zeros.</summary>
    private static byte[] Compressed(string type, int bytes, byte[]? stream = null)
    {
        stream ??= TestImages.Zlib(new byte[bytes], CompressionLevel.SmallestSize);
        byte[] head = type == "iTXt" ? [(byte)'k', 0, 1, 0, 0, 0] : [(byte)'k', 0, 0];
        return TestImages.PngChunk(type, [.. head, .. stream]);
    }

    public static TheoryData<string, string> Cases() => new()
    {
        // name, Pillow 9.4's verdict
        { "tEXt-before-data-bad-crc", "UnidentifiedImageError: cannot identify image file" },
        { "gAMA-before-data-bad-crc", "UnidentifiedImageError: cannot identify image file" },
        { "tEXt-after-data-bad-crc", "ok" },
        { "zTXt-bomb", "ValueError: Decompressed Data Too Large" },
        { "zTXt-bomb-after-data", "ValueError: Decompressed Data Too Large" },
        { "iCCP-bomb", "ValueError: Decompressed Data Too Large" },
        { "iTXt-bomb", "ValueError: Decompressed Data Too Large" },
        { "zTXt-512KiB", "ok" },
        { "zTXt-corrupt", "ok" },
        { "iCCP-corrupt", "ok" },
    };

    private static byte[] Case(string name) => name switch
    {
        "tEXt-before-data-bad-crc" => Png(BadCrc(TestImages.PngChunk("tEXt", "a\0b"u8.ToArray())), Idat()),
        "gAMA-before-data-bad-crc" => Png(BadCrc(TestImages.PngChunk("gAMA", [0, 0, 0xB1, 0x8F])), Idat()),
        "tEXt-after-data-bad-crc" => Png(Idat(), BadCrc(TestImages.PngChunk("tEXt", "a\0b"u8.ToArray()))),
        "zTXt-bomb" => Png(Compressed("zTXt", 50 << 20), Idat()),
        "zTXt-bomb-after-data" => Png(Idat(), Compressed("zTXt", 50 << 20)),
        "iCCP-bomb" => Png(Compressed("iCCP", 50 << 20), Idat()),
        "iTXt-bomb" => Png(Compressed("iTXt", 50 << 20), Idat()),
        "zTXt-512KiB" => Png(Compressed("zTXt", 512 << 10), Idat()),
        "zTXt-corrupt" => Png(Compressed("zTXt", 0, "garbage"u8.ToArray()), Idat()),
        "iCCP-corrupt" => Png(Compressed("iCCP", 0, "garbage"u8.ToArray()), Idat()),
        _ => throw new ArgumentException(name),
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void ChunksGetPillowsVerdict(string name, string pillow)
    {
        var png = Case(name);
        if (pillow == "ok")
        {
            using var image = ImageDecoder.Shared.Decode(png, name, Limits);
            Assert.Equal((100, 90), (image.Width, image.Height));
            return;
        }
        var e = Assert.Throws<SampleException>(() => ImageDecoder.Shared.Decode(png, name, Limits).Dispose());
        string type = name[..4];
        int at = name.Contains("after-data") ? 33 + Idat().Length : 33;
        int index = name.Contains("after-data") ? 2 : 1;
        Assert.Equal((SampleFailureReason.Undecodable, pillow.StartsWith("ValueError")
                ? $"PNG chunk {index} ('{type}' at byte {at}) inflates to more than 1 MiB: a decompression bomb"
                : $"PNG chunk {index} ('{type}' at byte {at}) fails its CRC check: the file is damaged"),
            (e.Reason, e.Detail));
    }

    /// <summary>A 700 × 1000 RGB PNG damaged at row 760, below a top crop of 700 rows: an unknown filter type there
    /// (Pillow 9.4: "unrecognized data stream contents when reading image file"), or the deflate stream ending there inside
    /// intact chunks ("image file is truncated").</summary>
    private static byte[] DamagedAtRow760(bool filter)
    {
        const int width = 700, height = 1000, stride = 1 + width * 3;
        var raw = new byte[stride * height];
        for (int y = 0; y < height; y++)
            for (int i = 1; i < stride; i++) raw[y * stride + i] = (byte)(i * 7 ^ y * 13);
        if (filter) raw[760 * stride] = 9;
        // Stored deflate blocks: the stream's bytes follow the rows', so a cut at 76 % ends it near row 760.
        var zlib = TestImages.Zlib(raw, CompressionLevel.NoCompression);
        return TestImages.PngFromZlib(width, height, 2, filter ? zlib : zlib[..(zlib.Length * 76 / 100)]);
    }

    [Theory]
    [InlineData(true, true)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    [InlineData(false, false)]
    public void DamageBelowTheCropIsRefusedWhateverRowsAreAsked(bool filter, bool libdeflate)
    {
        var png = DamagedAtRow760(filter);
        SampleException Refusal(int rows) => Assert.Throws<SampleException>(() =>
            LibdeflateTests.On(libdeflate, () => ImageDecoder.Shared.Decode(png, "row760.png", Limits, rows)).Dispose());
        var whole = Refusal(int.MaxValue);
        var top = Refusal(700);
        if (filter) Assert.Equal((SampleFailureReason.Undecodable, "PNG row 760 has unknown filter type 9"), (whole.Reason, whole.Detail));
        else Assert.Equal((SampleFailureReason.Truncated, "PNG image data ends after 760 of 1000 rows"), (whole.Reason, whole.Detail));
        Assert.Equal((whole.Reason, whole.Detail), (top.Reason, top.Detail));
    }

    [Fact]
    public void TheLoaderAndValidateGiveOneVerdict()
    {
        _dir.WriteBytes("bad.png", DamagedAtRow760(filter: true));
        _dir.WriteManifest("data.json", [new { image = "bad.png", caption = "c" }]);
        using var ds = new CaptionDataset(_dir.Options(imageSize: 64) with { MaxReplacements = 1 });
        var checkedFailure = ds.Check(0, out _);
        Assert.NotNull(checkedFailure);
        Assert.Throws<VgtDataException>(() => ds.GetSample(0));
        var loaded = Assert.Single(ds.Failures.Recorded);
        Assert.Equal((checkedFailure!.Reason, checkedFailure.Detail), (loaded.Reason, loaded.Detail));
        Assert.Equal("PNG row 760 has unknown filter type 9", loaded.Detail);
    }
}
