using System.Runtime.InteropServices;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.PixelFormats;
using VgtData.Images;
using VgtData.Tests.Fixtures;
using Xunit.Abstractions;

namespace VgtData.Tests.Images;

/// <summary>Bad inputs and lossless formats, for every decoder; Skia must give ImageSharp's pixels bit for bit on lossless files.</summary>
public class DecoderTests(ITestOutputHelper output)
{
    /// <summary>The configurable decoders, plus Skia with its JPEG path switched on ("skia+jpeg").</summary>
    public static IEnumerable<object[]> AllDecoders() => ImageDecoders.Names.Append(SkiaJpeg).Select(n => new object[] { n });

    private const string SkiaJpeg = "skia+jpeg";

    private static IImageDecoder Create(string name) => name == SkiaJpeg ? new SkiaDecoder(decodeJpeg: true) : ImageDecoders.Create(name);

    private static SampleFailureReason FailureOf(string decoder, byte[] bytes, string path = "x.png", ImageLimits? limits = null)
    {
        var e = Assert.Throws<SampleException>(() => Create(decoder).Decode(bytes, path, limits ?? ImageLimits.Default).Dispose());
        Assert.Contains(path, e.ToString());
        return e.Reason;
    }

    // ---- images -------------------------------------------------------------------------------------------------

    /// <summary>A deterministic pattern with gradients and noise, so every channel takes many values.</summary>
    private static void Fill<T>(Image<T> image, Func<int, int, int, T> pixel) where T : unmanaged, IPixel<T>
    {
        image.ProcessPixelRows(rows =>
        {
            for (int y = 0; y < rows.Height; y++)
            {
                var row = rows.GetRowSpan(y);
                for (int x = 0; x < row.Length; x++)
                    row[x] = pixel(x, y, (int)((uint)(x * 73856093 ^ y * 19349663) % 65536));
            }
        });
    }

    private static byte[] Encode<T>(Image<T> image, PngEncoder encoder) where T : unmanaged, IPixel<T>
    {
        using var ms = new MemoryStream();
        image.SaveAsPng(ms, encoder);
        return ms.ToArray();
    }

    private static byte[] RgbPng(int w, int h, PngInterlaceMode interlace = PngInterlaceMode.None)
    {
        using var img = new Image<Rgb24>(w, h);
        Fill(img, (x, y, n) => new Rgb24((byte)(x * 255 / w), (byte)(y * 255 / h), (byte)n));
        return Encode(img, new PngEncoder { ColorType = PngColorType.Rgb, BitDepth = PngBitDepth.Bit8, InterlaceMethod = interlace });
    }

    private static byte[] Jpeg(int w, int h, JpegColorType color = JpegColorType.YCbCrRatio420)
    {
        using var img = new Image<Rgb24>(w, h);
        Fill(img, (x, y, n) => new Rgb24((byte)(x * 255 / w), (byte)(y * 255 / h), (byte)((x + y) * 255 / (w + h))));
        using var ms = new MemoryStream();
        img.SaveAsJpeg(ms, new JpegEncoder { Quality = 90, ColorType = color });
        return ms.ToArray();
    }

    public static IEnumerable<object[]> LosslessPngs()
    {
        yield return ["rgb8"];
        yield return ["rgb8-interlaced"];
        yield return ["gray8"];
        yield return ["gray4"];
        yield return ["gray1"];
        yield return ["gray-alpha8"];
        yield return ["palette"];
        yield return ["rgba8"];
        yield return ["gray16"];
        yield return ["rgb16"];
        yield return ["rgba16"];
        yield return ["gray-alpha16"];
    }

    private static byte[] MakePng(string kind)
    {
        const int w = 203, h = 157;
        switch (kind)
        {
            case "rgb8": return RgbPng(w, h);
            case "rgb8-interlaced": return RgbPng(w, h, PngInterlaceMode.Adam7);
            case "gray8":
            case "gray4":
            case "gray1":
            {
                using var img = new Image<L8>(w, h);
                Fill(img, (x, y, n) => new L8((byte)(x + n % 40)));
                var depth = kind switch { "gray8" => PngBitDepth.Bit8, "gray4" => PngBitDepth.Bit4, _ => PngBitDepth.Bit1 };
                return Encode(img, new PngEncoder { ColorType = PngColorType.Grayscale, BitDepth = depth });
            }
            case "gray-alpha8":
            {
                using var img = new Image<La16>(w, h);
                Fill(img, (x, y, n) => new La16((byte)(y + n % 30), (byte)(x % 7 == 0 ? 0 : n)));
                return Encode(img, new PngEncoder { ColorType = PngColorType.GrayscaleWithAlpha, BitDepth = PngBitDepth.Bit8 });
            }
            case "palette":
            {
                using var img = new Image<Rgba32>(w, h);
                Fill(img, (x, y, n) => new Rgba32((byte)(x / 20 * 25), (byte)(y / 20 * 30), 90, (byte)(x < 20 ? 0 : 255)));
                return Encode(img, new PngEncoder { ColorType = PngColorType.Palette, BitDepth = PngBitDepth.Bit8 });
            }
            case "rgba8":
            {
                // Fully transparent pixels keep their colour: convert('RGB') drops alpha without compositing.
                using var img = new Image<Rgba32>(w, h);
                Fill(img, (x, y, n) => new Rgba32((byte)x, (byte)y, (byte)n, (byte)(x % 5 == 0 ? 0 : n >> 8)));
                return Encode(img, new PngEncoder { ColorType = PngColorType.RgbWithAlpha, BitDepth = PngBitDepth.Bit8 });
            }
            case "gray16":
            {
                // Values above 255 are clipped by Pillow's mode "I" → "RGB".
                using var img = new Image<L16>(w, h);
                Fill(img, (x, y, n) => new L16((ushort)(x < 100 ? x : n)));
                return Encode(img, new PngEncoder { ColorType = PngColorType.Grayscale, BitDepth = PngBitDepth.Bit16 });
            }
            case "rgb16":
            {
                using var img = new Image<Rgb48>(w, h);
                Fill(img, (x, y, n) => new Rgb48((ushort)(x * 300), (ushort)n, (ushort)(y * 400 + 255)));
                return Encode(img, new PngEncoder { ColorType = PngColorType.Rgb, BitDepth = PngBitDepth.Bit16 });
            }
            case "rgba16":
            {
                using var img = new Image<Rgba64>(w, h);
                Fill(img, (x, y, n) => new Rgba64((ushort)(x * 300), (ushort)n, (ushort)(y * 400 + 255), (ushort)(x % 3 == 0 ? 0 : n)));
                return Encode(img, new PngEncoder { ColorType = PngColorType.RgbWithAlpha, BitDepth = PngBitDepth.Bit16 });
            }
            case "gray-alpha16":
            {
                using var img = new Image<Rgba64>(w, h);
                Fill(img, (x, y, n) => new Rgba64((ushort)n, (ushort)n, (ushort)n, (ushort)(y * 400)));
                return Encode(img, new PngEncoder { ColorType = PngColorType.GrayscaleWithAlpha, BitDepth = PngBitDepth.Bit16 });
            }
            default: throw new ArgumentException(kind);
        }
    }

    private static byte[] Pixels(Image<Rgb24> image)
    {
        var bytes = new byte[image.Width * image.Height * 3];
        image.CopyPixelDataTo(MemoryMarshal.Cast<byte, Rgb24>(bytes.AsSpan()));
        return bytes;
    }

    // ---- lossless parity ----------------------------------------------------------------------------------------

    [Theory]
    [MemberData(nameof(LosslessPngs))]
    public void SkiaAndFastMatchImageSharpExactlyOnPng(string kind)
    {
        var png = MakePng(kind);
        output.WriteLine($"{kind}: bit depth {png[24]}, colour type {png[25]}, {png.Length} bytes");
        using var expected = new ImageSharpDecoder().Decode(png, kind + ".png", ImageLimits.Default);
        foreach (IImageDecoder decoder in new IImageDecoder[] { new SkiaDecoder(), new FastDecoder() })
        {
            using var actual = decoder.Decode(png, kind + ".png", ImageLimits.Default);
            Assert.Equal((expected.Width, expected.Height), (actual.Width, actual.Height));
            Assert.Equal(Pixels(expected), Pixels(actual));
        }
    }

    [Theory]
    [InlineData(JpegColorType.YCbCrRatio420)]
    [InlineData(JpegColorType.YCbCrRatio444)]
    [InlineData(JpegColorType.Luminance)]
    public void SkiaJpegIsCloseToImageSharp(JpegColorType color)
    {
        var jpeg = Jpeg(320, 240, color);
        Assert.Equal(color == JpegColorType.Luminance ? 1 : 3, SkiaDecoder.JpegComponents(jpeg));
        using var a = new ImageSharpDecoder().Decode(jpeg, "x.jpg", ImageLimits.Default);
        using var b = new SkiaDecoder(decodeJpeg: true).Decode(jpeg, "x.jpg", ImageLimits.Default);
        var (max, mean) = PixelDifference.Of(Pixels(a), Pixels(b));
        output.WriteLine($"{color}: skia vs imagesharp mean |diff| {mean:0.000}/255, max {max}/255");
        // Two different JPEG decoders (IDCT and chroma upsampling differ slightly), so only close, not equal.
        Assert.True(mean <= 1.0, $"mean {mean}");
        Assert.True(max <= 16, $"max {max}");
    }

    [Fact]
    public void JpegComponentsFindsCmykFrame()
    {
        // SOI, then SOF0: length 17, precision 8, height 100, width 100, 4 components.
        byte[] header = [0xFF, 0xD8, 0xFF, 0xC0, 0x00, 0x14, 0x08, 0x00, 0x64, 0x00, 0x64, 0x04, 1, 0x11, 0, 2, 0x11, 0, 3, 0x11, 0, 4, 0x11, 0];
        Assert.Equal(4, SkiaDecoder.JpegComponents(header));
        Assert.Equal(0, SkiaDecoder.JpegComponents([0xFF, 0xD8, 0xFF, 0xDA, 0, 2]));
    }

    [Fact]
    public void SkiaIsThreadSafe()
    {
        var png = RgbPng(300, 200);
        var jpeg = Jpeg(300, 200);
        var decoder = new SkiaDecoder(decodeJpeg: true);
        byte[] Decode(byte[] b) { using var i = decoder.Decode(b, "x", ImageLimits.Default); return Pixels(i); }
        var refPng = Decode(png);
        var refJpeg = Decode(jpeg);
        Parallel.For(0, 32, new ParallelOptions { MaxDegreeOfParallelism = 4 }, i =>
        {
            Assert.Equal(i % 2 == 0 ? refPng : refJpeg, Decode(i % 2 == 0 ? png : jpeg));
        });
    }

    // ---- bad inputs, every decoder ------------------------------------------------------------------------------

    [Theory]
    [MemberData(nameof(AllDecoders))]
    public void TruncatedPngIsTruncated(string decoder) =>
        Assert.Equal(SampleFailureReason.Truncated, FailureOf(decoder, RgbPng(300, 200)[..^3000], "cut.png"));

    [Theory]
    [MemberData(nameof(AllDecoders))]
    public void TruncatedJpegIsTruncated(string decoder)
    {
        var jpeg = Jpeg(300, 200);
        Assert.Equal(SampleFailureReason.Truncated, FailureOf(decoder, jpeg[..(jpeg.Length * 2 / 3)], "cut.jpg"));
    }

    [Theory]
    [MemberData(nameof(AllDecoders))]
    public void GarbageIsUndecodable(string decoder)
    {
        var garbage = new byte[5000];
        new Random(7).NextBytes(garbage);
        Assert.Equal(SampleFailureReason.Undecodable, FailureOf(decoder, garbage, "noise.png"));
    }

    [Theory]
    [MemberData(nameof(AllDecoders))]
    public void EmptyFileIsUndecodable(string decoder) =>
        Assert.Equal(SampleFailureReason.Undecodable, FailureOf(decoder, [], "empty.png"));

    [Theory]
    [MemberData(nameof(AllDecoders))]
    public void HugeHeaderIsRefusedBeforeDecoding(string decoder)
    {
        // A valid IHDR claiming 20000×20000 over the image data of a 90×90 image: decoding would need 1.6 GB and then
        // fail, so TooManyPixels proves the refusal came from the header alone.
        var png = RgbPng(90, 90);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(png.AsSpan(16), 20000);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(png.AsSpan(20), 20000);
        var badCrc = png.ToArray();
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(png.AsSpan(29), PngCrc.Compute(png.AsSpan(12, 17)));
        Assert.Equal(SampleFailureReason.TooManyPixels, FailureOf(decoder, png, "bomb.png"));
        Assert.Equal((20000, 20000), Create(decoder).ReadSize(png, "bomb.png"));
        // With the old checksum left in place the header is broken, which Pillow refuses first.
        Assert.Equal(SampleFailureReason.Undecodable, FailureOf(decoder, badCrc, "bomb-badcrc.png"));
    }

    [Theory]
    [MemberData(nameof(AllDecoders))]
    public void SmallImageIsTooSmall(string decoder)
    {
        Assert.Equal(SampleFailureReason.TooSmall, FailureOf(decoder, RgbPng(60, 60), "small.png"));
        Assert.Equal(SampleFailureReason.TooSmall, FailureOf(decoder, Jpeg(60, 200), "small.jpg"));
    }

    [Theory]
    [MemberData(nameof(AllDecoders))]
    public void ElevenToOneIsBadAspect(string decoder)
    {
        Assert.Equal(SampleFailureReason.BadAspect, FailureOf(decoder, RgbPng(1100, 100), "wide.png"));
        Assert.Equal(SampleFailureReason.BadAspect, FailureOf(decoder, Jpeg(100, 1100), "tall.jpg"));
    }

    [Theory]
    [MemberData(nameof(AllDecoders))]
    public void JpegNamedPngDecodes(string decoder)
    {
        var d = Create(decoder);
        var jpeg = Jpeg(240, 180);
        Assert.Equal((240, 180), d.ReadSize(jpeg, "photo.png"));
        using var image = d.Decode(jpeg, "photo.png", ImageLimits.Default);
        Assert.Equal((240, 180), (image.Width, image.Height));
    }

    [Theory]
    [MemberData(nameof(AllDecoders))]
    public void OtherFormatsDecode(string decoder)
    {
        // Skia is used for PNG and JPEG only; the rest goes through ImageSharp with the same result.
        using var img = new Image<Rgb24>(120, 100);
        Fill(img, (x, y, n) => new Rgb24((byte)x, (byte)y, (byte)n));
        using var ms = new MemoryStream();
        img.SaveAsBmp(ms);
        using var decoded = Create(decoder).Decode(ms.ToArray(), "x.bmp", ImageLimits.Default);
        Assert.Equal(Pixels(img), Pixels(decoded));
    }

    [Theory]
    [MemberData(nameof(AllDecoders))]
    public void CutCompressedStreamIsRefused(string decoder)
    {
        // Chunks intact (so the container check passes) but the IDAT holds only half of the zlib stream:
        // the decoder itself runs out of data.
        var png = RgbPng(300, 200);
        int idat = png.AsSpan().IndexOf("IDAT"u8) - 4;
        int length = System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(idat));
        int half = length / 2;
        var cut = new List<byte>(png[..idat]);
        var chunk = new byte[12 + half];
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(chunk, half);
        png.AsSpan(idat + 4, 4 + half).CopyTo(chunk.AsSpan(4));
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(chunk.AsSpan(8 + half), PngCrc.Compute(chunk.AsSpan(4, 4 + half)));
        cut.AddRange(chunk);
        cut.AddRange(png[^12..]); // IEND
        var bytes = cut.ToArray();
        Assert.Null(ContainerCheck.FindTruncation(bytes));
        var e = Record.Exception(() => Create(decoder).Decode(bytes, "cut-idat.png", ImageLimits.Default).Dispose());
        output.WriteLine($"{decoder}: {e?.Message ?? "decoded without error"}");
        // Pillow refuses such a file; ImageSharp alone would fill the missing rows with zeros, so its decoder checks
        // that the image data inflates to every row first.
        var se = Assert.IsType<SampleException>(e);
        Assert.True(se.Reason is SampleFailureReason.Truncated or SampleFailureReason.Undecodable, se.Reason.ToString());
        Assert.Equal("cut-idat.png", se.Path);
    }

    [Theory]
    [InlineData(100, 10, 8, 2, false, 10 * (1 + 300))]
    [InlineData(100, 10, 1, 0, false, 10 * (1 + 13))]
    [InlineData(100, 10, 16, 6, false, 10 * (1 + 800))]
    [InlineData(8, 8, 8, 2, true, 1 * 4 + 1 * 4 + 1 * 7 + 2 * 7 + 2 * 13 + 4 * 13 + 4 * 25)]
    public void ExpectedImageDataSizeFollowsThePngLayout(int w, int h, int depth, int colorType, bool interlaced, long bytes) =>
        Assert.Equal(bytes, PngImageDataCheck.ExpectedBytes(w, h, depth, colorType, interlaced));

    [Fact]
    public void UnknownDecoderNameIsRefused() =>
        Assert.Throws<VgtDataException>(() => ImageDecoders.Create("pillow"));
}
