using System.Runtime.InteropServices;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.PixelFormats;
using VgtData.Images;
using VgtData.Tests.Fixtures;
using Xunit.Abstractions;

namespace VgtData.Tests.Images;

/// <summary>Bad inputs, lossless formats and thread safety of the decoder.</summary>
public class DecoderTests(ITestOutputHelper output)
{
    private static readonly ImageDecoder Decoder = ImageDecoder.Shared;

    private static SampleFailureReason FailureOf(byte[] bytes, string path = "x.png", ImageLimits? limits = null)
    {
        var e = Assert.Throws<SampleException>(() => Decoder.Decode(bytes, path, limits ?? ImageLimits.Default).Dispose());
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

    private static byte[] Pixels(RgbImage image) => image.Pixels.ToArray();

    private static byte[] Pixels(Image<Rgb24> image)
    {
        var bytes = new byte[image.Width * image.Height * 3];
        image.CopyPixelDataTo(MemoryMarshal.Cast<byte, Rgb24>(bytes.AsSpan()));
        return bytes;
    }

    // ---- lossless parity ----------------------------------------------------------------------------------------

    /// <summary>SHA-256 of Pillow 9.4's <c>Image.open(f).convert('RGB').tobytes()</c> on each file <see cref="MakePng"/>
    /// writes (Debian's python3-pil, run on the bytes of this revision's encoder).</summary>
    public static TheoryData<string, string> PillowSha256() => new()
    {
        { "rgb8", "5af8927a4ac7e4aec20cc635590559c87a95d8787a79ff5c541d65ac21c0794c" },   // Pillow mode RGB
        { "rgb8-interlaced", "5af8927a4ac7e4aec20cc635590559c87a95d8787a79ff5c541d65ac21c0794c" },   // Pillow mode RGB
        { "gray8", "98d690ea3b254e5b91ec1ffaff31869b455368fcfd9bf9776aec1eb871d54747" },   // Pillow mode L
        { "gray4", "53ff8a5a1af8fae7945f4881bf5d91b14f9c30314496ebd7a1ac95ccf70c26cb" },   // Pillow mode L
        { "gray1", "040e3ce052fd80cbe120c3b9fd10ea10e2b0487a500a8f88fd4f3de0daa05957" },   // Pillow mode 1
        { "gray-alpha8", "3ec7970a73fc85397d0367199a3b7244ec281dc6e6649a47190ff8e18735faeb" },   // Pillow mode LA
        { "palette", "36d97dde4c3cf874bbba256021d382cca4c807f6fff1ea9dae1d494c75d4615f" },   // Pillow mode P
        { "rgba8", "4f809f737df2552c588376afcc1a1037547b8c570ad34bfe679d6203256d4273" },   // Pillow mode RGBA
        { "gray16", "b74c72e9b436425cc95cb639a627af11e3d4b5fb99f853b7448010b4acbc284d" },   // Pillow mode I
        { "rgb16", "d216d4437836bbfb7f5e608d4f473c03c9bf857add2b993c3dc07184379e4a1b" },   // Pillow mode RGB
        { "rgba16", "d216d4437836bbfb7f5e608d4f473c03c9bf857add2b993c3dc07184379e4a1b" },   // Pillow mode RGBA
        { "gray-alpha16", "c2ac08b17f3fd6437e6593d4983a9d2f3d9d03393243d9c5b9e8557ae8d8de51" },   // Pillow mode RGBA
    };

    [Theory]
    [MemberData(nameof(PillowSha256))]
    public void LosslessPngsGivePillowsPixels(string kind, string pillowSha256)
    {
        var png = MakePng(kind);
        output.WriteLine($"{kind}: bit depth {png[24]}, colour type {png[25]}, {png.Length} bytes");
        using var image = Decoder.Decode(png, kind + ".png", ImageLimits.Default);
        Assert.Equal((203, 157), (image.Width, image.Height));
        Assert.Equal(pillowSha256, Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(Pixels(image))).ToLowerInvariant());
    }

    [Fact]
    public void TheDecoderIsThreadSafe()
    {
        var png = RgbPng(300, 200);
        var jpeg = Jpeg(300, 200);
        byte[] Decode(byte[] b) { using var i = Decoder.Decode(b, "x", ImageLimits.Default); return Pixels(i); }
        var refPng = Decode(png);
        var refJpeg = Decode(jpeg);
        Parallel.For(0, 32, new ParallelOptions { MaxDegreeOfParallelism = 4 }, i =>
        {
            Assert.Equal(i % 2 == 0 ? refPng : refJpeg, Decode(i % 2 == 0 ? png : jpeg));
        });
    }

    // ---- bad inputs, every decoder ------------------------------------------------------------------------------

    [Fact]
    public void TruncatedPngIsTruncated() =>
        Assert.Equal(SampleFailureReason.Truncated, FailureOf(RgbPng(300, 200)[..^3000], "cut.png"));

    [Fact]
    public void TruncatedJpegIsTruncated()
    {
        var jpeg = Jpeg(300, 200);
        Assert.Equal(SampleFailureReason.Truncated, FailureOf(jpeg[..(jpeg.Length * 2 / 3)], "cut.jpg"));
    }

    [Fact]
    public void GarbageIsUndecodable()
    {
        var garbage = new byte[5000];
        new Random(7).NextBytes(garbage);
        Assert.Equal(SampleFailureReason.Undecodable, FailureOf(garbage, "noise.png"));
    }

    [Fact]
    public void EmptyFileIsUndecodable() =>
        Assert.Equal(SampleFailureReason.Undecodable, FailureOf([], "empty.png"));

    [Fact]
    public void HugeHeaderIsRefusedBeforeDecoding()
    {
        // A valid IHDR claiming 20000×20000 over the image data of a 90×90 image: decoding would need 1.6 GB and then
        // fail, so TooManyPixels proves the refusal came from the header alone.
        var png = RgbPng(90, 90);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(png.AsSpan(16), 20000);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(png.AsSpan(20), 20000);
        var badCrc = png.ToArray();
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(png.AsSpan(29), PngCrc.Compute(png.AsSpan(12, 17)));
        Assert.Equal(SampleFailureReason.TooManyPixels, FailureOf(png, "bomb.png"));
        Assert.Equal((20000, 20000), Decoder.ReadSize(png, "bomb.png"));
        // With the old checksum left in place the header is broken, which Pillow refuses first.
        Assert.Equal(SampleFailureReason.Undecodable, FailureOf(badCrc, "bomb-badcrc.png"));
    }

    [Fact]
    public void SmallImageIsTooSmall()
    {
        Assert.Equal(SampleFailureReason.TooSmall, FailureOf(RgbPng(60, 60), "small.png"));
        Assert.Equal(SampleFailureReason.TooSmall, FailureOf(Jpeg(60, 200), "small.jpg"));
    }

    [Fact]
    public void ElevenToOneIsBadAspect()
    {
        Assert.Equal(SampleFailureReason.BadAspect, FailureOf(RgbPng(1100, 100), "wide.png"));
        Assert.Equal(SampleFailureReason.BadAspect, FailureOf(Jpeg(100, 1100), "tall.jpg"));
    }

    [Fact]
    public void JpegNamedPngDecodes()
    {
        var d = Decoder;
        var jpeg = Jpeg(240, 180);
        Assert.Equal((240, 180), d.ReadSize(jpeg, "photo.png"));
        using var image = d.Decode(jpeg, "photo.png", ImageLimits.Default);
        Assert.Equal((240, 180), (image.Width, image.Height));
    }

    [Fact]
    public void OtherFormatsDecode()
    {
        using var img = new Image<Rgb24>(120, 100);
        Fill(img, (x, y, n) => new Rgb24((byte)x, (byte)y, (byte)n));
        using var ms = new MemoryStream();
        img.SaveAsBmp(ms);
        using var decoded = Decoder.Decode(ms.ToArray(), "x.bmp", ImageLimits.Default);
        Assert.Equal(Pixels(img), Pixels(decoded));
    }

    [Fact]
    public void CutCompressedStreamIsRefused()
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
        Assert.Null(ContainerCheck.Png(bytes));
        var e = Record.Exception(() => Decoder.Decode(bytes, "cut-idat.png", ImageLimits.Default).Dispose());
        output.WriteLine(e?.Message ?? "decoded without error");
        // Pillow refuses such a file.
        var se = Assert.IsType<SampleException>(e);
        Assert.Equal(SampleFailureReason.Truncated, se.Reason);
        Assert.Equal("cut-idat.png", se.Path);
    }

    [Theory]
    [InlineData(100, 10, 8, 2, false, 10 * (1 + 300))]
    [InlineData(100, 10, 1, 0, false, 10 * (1 + 13))]
    [InlineData(100, 10, 16, 6, false, 10 * (1 + 800))]
    [InlineData(8, 8, 8, 2, true, 1 * 4 + 1 * 4 + 1 * 7 + 2 * 7 + 2 * 13 + 4 * 13 + 4 * 25)]
    public void ExpectedImageDataSizeFollowsThePngLayout(int w, int h, int depth, int colorType, bool interlaced, long bytes) =>
        Assert.Equal(bytes, PngImageDataCheck.ExpectedBytes(w, h, depth, colorType, interlaced));
}
