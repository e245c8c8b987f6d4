using System.Buffers.Binary;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Advanced;
using SixLabors.ImageSharp.PixelFormats;
using VgtData.Images;
using VgtData.Tests.Fixtures;

namespace VgtData.Tests.Images;

/// <summary>16-bit PNGs as Pillow 9.4 converts them to RGB: grey (mode "I") clipped at 255, colour samples reduced to
/// their high byte. The expected values were read from Pillow for these exact files; every decoder hands them to
/// ImageSharp, so each is checked against Pillow, not against the others.</summary>
public sealed class SixteenBitPngTests
{
    private static byte[] Png16(int width, byte colorType, ushort[] samples)
    {
        var raw = new byte[1 + samples.Length * 2];
        for (int i = 0; i < samples.Length; i++) BinaryPrimitives.WriteUInt16BigEndian(raw.AsSpan(1 + 2 * i), samples[i]);
        return TestImages.PngFromZlib(width, 1, colorType, TestImages.Zlib(raw), bitDepth: 16);
    }

    private static readonly ushort[] GreyLevels = [0, 1, 255, 256, 257, 0x1234, 0x80FF, 0xFFFE, 0xFFFF];

    public static TheoryData<string, byte[], byte[]> Cases => new()
    {
        { "grey", Png16(9, 0, GreyLevels), GreyLevels.SelectMany(v => Enumerable.Repeat((byte)Math.Min(v, (ushort)255), 3)).ToArray() },
        { "rgb", Png16(3, 2, [0, 0, 0, 1, 7, 13, 255, 1785, 3315]), [0, 0, 0, 0, 0, 0, 0, 6, 12] },
        { "rgba", Png16(2, 6, [0x80FF, 0x1234, 0xFF00, 0x00FF, 0x0101, 0x1234, 0xFF00, 0x00FF]), [128, 18, 255, 1, 18, 255] },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void TheDecoderGivesPillowsValues(string kind, byte[] png, byte[] pillow)
    {
        using var image = ImageDecoder.Shared.Decode(png, $"{kind}.png", ImageLimits.Default with { MinImageSize = 0 });
        Assert.Equal((pillow.Length / 3, 1), (image.Width, image.Height));
        Assert.True(pillow.SequenceEqual(JpegRoute.Pixels(image)), $"{kind}: {string.Join(",", JpegRoute.Pixels(image))}");
    }

    [Fact]
    public void ImageSharpDecodesSingleThreadedIntoPooledImages()
    {
        var grey8 = TestImages.PngFromZlib(2, 1, 0, TestImages.Zlib([0, 10, 20]));
        foreach (var png in new[] { Png16(9, 0, GreyLevels), Png16(3, 2, new ushort[9]), grey8 })
        {
            using var image = ImageDecoder.Shared.Decode(png, "x.png", ImageLimits.Default with { MinImageSize = 0 });
            Assert.Equal(image.Width * image.Height * 3, image.Pixels.Length);
        }
        Assert.Equal(1, ImageSharpRoute.SingleThreaded.MaxDegreeOfParallelism);
    }
}
