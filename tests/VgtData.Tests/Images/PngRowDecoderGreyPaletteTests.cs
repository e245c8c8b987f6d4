using System.Buffers.Binary;
using System.Security.Cryptography;
using VgtData.Images;
using VgtData.Tests.Fixtures;

namespace VgtData.Tests.Images;

/// <summary>Grey, grey + alpha and palette PNGs (1/2/4/8-bit) through the row decoder, both inflaters, every filter
/// (rows of bytes one pixel wide and narrower): Pillow 9.4's <c>convert('RGB')</c> bytes, a palette shorter than the
/// indices used (Pillow's grey ramp past its end), and the crop's rows equal to the top of the whole image.</summary>
public sealed class PngRowDecoderGreyPaletteTests
{
    private const int Width = 37, Height = 23;   // 37: rows end inside a byte at 1, 2 and 4 bits

    /// <summary>SHA-256 of Pillow 9.4's <c>Image.open(f).convert('RGB').tobytes()</c> on <see cref="Png"/>'s file
    /// (Debian's python3-pil, the same rows and PLTE written with Python's zlib).</summary>
    public static TheoryData<byte, byte, string> PillowSha256() => new()
    {
        { 0, 1, "cef73547407c36039abcef1047578bd7d1a08d8cc1ba491d5a155e46c0451131" },   // Pillow mode 1
        { 0, 2, "060fab8210983307537acd0f88e7ea895c4162adc8e34359064cf0b652cd8870" },   // Pillow mode L
        { 0, 4, "2692c044ce8ccfefe257b16acada987d3a4ec1f14eb4d2f2927f523d983939a8" },   // Pillow mode L
        { 0, 8, "9ea0d322284fbc5c793f686a29594b4732303bc2321094ab1e1f7846a0b483f6" },   // Pillow mode L
        { 3, 1, "cd6cf82f9093ccf9f9ff944c253ba8e08a64568d164b9b9a08aedd86767b70e7" },   // Pillow mode P
        { 3, 2, "117fff1b73f69877c73dd399af48202be024e6f373135d276d4e922213c6db62" },   // Pillow mode P
        { 3, 4, "70cace4f314686f3f4729f1525721374088f90ac9a1974d921155beebacf28fa" },   // Pillow mode P
        { 3, 8, "cbcef28719efa52b60a6fe5928727cb09354e53a3e001f389b3b58a72b98a5b5" },   // Pillow mode P
        { 4, 8, "26a48101b1071bacba5fc8de6195011716f9e41107762b239d9161d6f7a26ed0" },   // Pillow mode LA
    };

    /// <summary>Row y: filter y % 5, then bytes (i·31 + y·17 + (i·y) mod 7) mod 256; palette files get a 5-entry PLTE.</summary>
    private static byte[] Png(byte colorType, byte bitDepth)
    {
        int channels = colorType == 4 ? 2 : 1;
        int rowBytes = (Width * channels * bitDepth + 7) / 8;
        var raw = new List<byte>();
        for (int y = 0; y < Height; y++)
        {
            raw.Add((byte)(y % 5));
            for (int i = 0; i < rowBytes; i++) raw.Add((byte)((i * 31 + y * 17 + i * y % 7) & 255));
        }
        var ms = new MemoryStream();
        ms.Write(TestImages.PngHead(Width, Height, colorType, bitDepth));
        if (colorType == 3)
            Chunk(ms, "PLTE", Enumerable.Range(0, 5).SelectMany(i => new[] { (byte)(i * 50), (byte)(255 - i * 40), (byte)(i * 13) }).ToArray());
        Chunk(ms, "IDAT", TestImages.Zlib(raw.ToArray()));
        Chunk(ms, "IEND", []);
        return ms.ToArray();
    }

    private static void Chunk(Stream s, string type, byte[] data)
    {
        var chunk = new byte[12 + data.Length];
        BinaryPrimitives.WriteInt32BigEndian(chunk, data.Length);
        System.Text.Encoding.ASCII.GetBytes(type).CopyTo(chunk, 4);
        data.CopyTo(chunk, 8);
        BinaryPrimitives.WriteUInt32BigEndian(chunk.AsSpan(8 + data.Length), PngCrc.Compute(chunk.AsSpan(4, 4 + data.Length)));
        s.Write(chunk);
    }

    private static readonly ImageLimits Limits = ImageLimits.Default with { MinImageSize = 0 };

    private static byte[] Decode(byte[] png, int rows, bool libdeflate)
    {
        bool was = Libdeflate.Enabled;
        Libdeflate.Enabled = libdeflate;
        try
        {
            using var image = ImageDecoder.Shared.Decode(png, "x.png", Limits, rows);
            Assert.Equal(Width, image.Width);
            return image.Pixels.ToArray();
        }
        finally
        {
            Libdeflate.Enabled = was;
        }
    }

    [Theory]
    [MemberData(nameof(PillowSha256))]
    public void GivesPillowsPixelsWithEitherInflaterAndStopsAtTheCrop(byte colorType, byte bitDepth, string pillowSha256)
    {
        var png = Png(colorType, bitDepth);
        Assert.True(PngRowDecoder.Supports(bitDepth, colorType, 0));
        foreach (bool libdeflate in new[] { true, false })
        {
            var whole = Decode(png, int.MaxValue, libdeflate);
            Assert.Equal(pillowSha256, Convert.ToHexString(SHA256.HashData(whole)).ToLowerInvariant());
            var top = Decode(png, 7, libdeflate);
            Assert.Equal(whole.AsSpan(0, Width * 7 * 3).ToArray(), top.AsSpan(0, Width * 7 * 3).ToArray());
        }
    }

    [Fact]
    public void ShortImageDataIsFoundWhileInflatingNotBeforehand()
    {
        // Half the rows of an 8-bit grey image: the row decoder's verdict, the same from either inflater.
        var full = Png(0, 8);
        int rowBytes = Width + 1;
        var half = TestImages.PngFromZlib(Width, Height, 0, TestImages.Zlib(new byte[rowBytes * 11]));
        Assert.Null(ImageDecoder.Shared.Route(full, "x.png").FindDamage(half, "x.png"));
        foreach (bool libdeflate in new[] { true, false })
        {
            var e = Assert.Throws<SampleException>(() => Decode(half, int.MaxValue, libdeflate));
            Assert.Equal((SampleFailureReason.Truncated, "PNG image data ends after 11 of 23 rows"), (e.Reason, e.Detail));
        }
    }
}
