using System.Buffers.Binary;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Png;
using VgtData.Images;
using VgtData.Tests.Fixtures;

namespace VgtData.Tests.Images;

/// <summary>Nothing damaged is served whatever the crop, and a header cannot make a decoder allocate more than the limit.</summary>
public sealed class DamagedInputTests
{
    private static readonly ImageLimits Limits = ImageLimits.Default with { MinImageSize = 0 };

    private static byte[] Png(int width, int height, PngColorType colour = PngColorType.Rgb)
    {
        using var image = TestImages.Noise(width, height, 5);
        using var ms = new MemoryStream();
        image.SaveAsPng(ms, new PngEncoder { ColorType = colour, BitDepth = PngBitDepth.Bit8, CompressionLevel = PngCompressionLevel.NoCompression });
        return ms.ToArray();
    }

    /// <summary>Offset of the first chunk of <paramref name="type"/>, and its length.</summary>
    private static (int Pos, int Length) Find(byte[] png, string type)
    {
        int pos = 8;
        while (pos + 12 <= png.Length)
        {
            int length = (int)BinaryPrimitives.ReadUInt32BigEndian(png.AsSpan(pos));
            if (System.Text.Encoding.ASCII.GetString(png, pos + 4, 4) == type) return (pos, length);
            pos += 12 + length;
        }
        throw new InvalidOperationException($"no {type} chunk");
    }

    [Fact]
    public void ImageDataFlippedBelowTheCropIsRefused()
    {
        // Uncompressed (stored) image data: the last bytes of IDAT are the last rows' pixels, which a top crop never inflates.
        var png = Png(64, 200);
        var (pos, length) = Find(png, "IDAT");
        png[pos + 8 + length - 20] ^= 0x5A;
        var d = ImageDecoder.Shared;
        var e = Assert.Throws<SampleException>(() => d.Decode(png, "flipped.png", Limits, rowsNeeded: 64).Dispose());
        Assert.Equal(SampleFailureReason.Undecodable, e.Reason);
        Assert.Contains("'IDAT'", e.Detail);
        Assert.Contains("CRC", e.Detail);
    }

    [Fact]
    public void AnyChunkWithABadCrcIsRefused()
    {
        var png = Png(64, 64);
        var (pos, length) = Find(png, "IEND");
        png[pos + 8 + length] ^= 1;   // IEND's stored CRC
        var e = Assert.Throws<SampleException>(() => ImageDecoder.Shared.Decode(png, "iend.png", Limits).Dispose());
        Assert.Equal(SampleFailureReason.Undecodable, e.Reason);
        Assert.Contains("'IEND'", e.Detail);
    }

    [Fact]
    public void IntactFilesStillDecode()
    {
        var png = Png(64, 64, PngColorType.RgbWithAlpha);
        using var image = ImageDecoder.Shared.Decode(png, "ok.png", Limits);
        Assert.Equal((64, 64), (image.Width, image.Height));
    }

    public static IEnumerable<object[]> Headers() => new[] { "png", "gif", "jpeg" }.Select(f => new object[] { f });

    /// <summary>A GIF whose screen and frame declare <paramref name="side"/>² pixels with almost no data.</summary>
    private static byte[] GifWithHeader(int side)
    {
        var b = new List<byte>("GIF89a"u8.ToArray());
        b.AddRange([(byte)side, (byte)(side >> 8), (byte)side, (byte)(side >> 8), 0, 0, 0]);
        b.AddRange([(byte)',', 0, 0, 0, 0, (byte)side, (byte)(side >> 8), (byte)side, (byte)(side >> 8), 0, 2, 2, 0x4C, 0x01, 0, (byte)';']);
        return b.ToArray();
    }

    /// <summary>A JPEG of <paramref name="side"/>² whose frame header is real and whose scan data is a few bytes.</summary>
    private static byte[] JpegWithHeader(int side)
    {
        using var image = TestImages.Noise(16, 16, 1);
        using var ms = new MemoryStream();
        image.SaveAsJpeg(ms);
        var jpeg = ms.ToArray();
        for (int pos = 2; pos + 9 < jpeg.Length;)
        {
            if (jpeg[pos + 1] is 0xC0 or 0xC1 or 0xC2)
            {
                BinaryPrimitives.WriteUInt16BigEndian(jpeg.AsSpan(pos + 5), (ushort)side);
                BinaryPrimitives.WriteUInt16BigEndian(jpeg.AsSpan(pos + 7), (ushort)side);
                return jpeg;
            }
            pos += 2 + BinaryPrimitives.ReadUInt16BigEndian(jpeg.AsSpan(pos + 2));
        }
        throw new InvalidOperationException("no frame header");
    }

    [Theory]
    [MemberData(nameof(Headers))]
    public void TinyFileClaimingAHugeImageIsRefusedBeforeAllocating(string format)
    {
        // 9000² is under Pillow's bomb limit (179 M pixels) but needs ~309 MiB at 4 bytes a pixel, over the 256 MiB default.
        var bytes = format switch { "png" => TestImages.PngWithHeader(9000, 9000), "gif" => GifWithHeader(9000), _ => JpegWithHeader(9000) };
        Assert.True(bytes.Length < 4096);
        var d = ImageDecoder.Shared;
        Assert.Equal((9000, 9000), d.ReadSize(bytes, "huge." + format));
        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<SampleException>(() => d.Decode(bytes, "huge." + format, ImageLimits.Default).Dispose());
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(SampleFailureReason.TooManyPixels, e.Reason);
        Assert.Contains("MiB", e.Detail);
        Assert.True(allocated < 4 << 20, $"{format}: allocated {allocated} bytes before refusing");
        // The limit is configurable: raised, the same header gets past it (a PNG or GIF then fails on its missing data;
        // libjpeg-turbo, like Pillow, fills a JPEG's missing rows).
        try
        {
            d.Decode(bytes, "huge." + format, ImageLimits.Default with { MaxDecodeBytes = 1L << 30 }).Dispose();
        }
        catch (SampleException raised)
        {
            Assert.NotEqual(SampleFailureReason.TooManyPixels, raised.Reason);
        }
    }
}
