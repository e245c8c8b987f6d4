using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using VgtData.Images;

namespace VgtData.Tests.Images;

/// <summary>The resampler's argument checks (Pillow's own for the box), each with its parameter and message.</summary>
public sealed class PillowResamplerArgumentTests
{
    private static readonly byte[] Source = new byte[4 * 3 * 3];   // 4x3 RGB, packed

    private static void Refused<T>(Action resample, string parameter, string message) where T : ArgumentException
    {
        var e = Assert.Throws<T>(resample);
        Assert.Equal(parameter, e.ParamName);
        Assert.StartsWith(message, e.Message);
    }

    [Fact]
    public void SizesStrideAndBoxAreChecked()
    {
        var dst = new byte[2 * 2 * 3];
        var whole = new ResampleBox(0, 0, 4, 3);
        Refused<ArgumentOutOfRangeException>(() => PillowResampler.Resample(Source, 0, 3, 12, whole, dst, 2, 2), "width", "source size 0x3");
        Refused<ArgumentOutOfRangeException>(() => PillowResampler.Resample(Source, 4, 0, 12, whole, dst, 2, 2), "width", "source size 4x0");
        Refused<ArgumentOutOfRangeException>(() => PillowResampler.Resample(Source, 4, 3, 11, whole, dst, 2, 2), "stride", "stride 11 < 4·3");
        Refused<ArgumentOutOfRangeException>(() => PillowResampler.Resample(Source, 4, 3, 12, whole, dst, 0, 2), "outWidth", "output size 0x2");
        Refused<ArgumentOutOfRangeException>(() => PillowResampler.Resample(Source, 4, 3, 12, whole, dst, 2, 0), "outWidth", "output size 2x0");
        Refused<ArgumentOutOfRangeException>(() => PillowResampler.Resample(Source, 4, 3, 12, new ResampleBox(-0.5f, 0, 4, 3), dst, 2, 2), "box", "box offset can't be negative");
        Refused<ArgumentOutOfRangeException>(() => PillowResampler.Resample(Source, 4, 3, 12, new ResampleBox(0, -1, 4, 3), dst, 2, 2), "box", "box offset can't be negative");
        Refused<ArgumentOutOfRangeException>(() => PillowResampler.Resample(Source, 4, 3, 12, new ResampleBox(0, 0, 4.5f, 3), dst, 2, 2), "box", "box can't exceed original image size");
        Refused<ArgumentOutOfRangeException>(() => PillowResampler.Resample(Source, 4, 3, 12, new ResampleBox(0, 0, 4, 3.5f), dst, 2, 2), "box", "box can't exceed original image size");
        Refused<ArgumentOutOfRangeException>(() => PillowResampler.Resample(Source, 4, 3, 12, new ResampleBox(2, 0, 1, 3), dst, 2, 2), "box", "box can't be empty");
        Refused<ArgumentOutOfRangeException>(() => PillowResampler.Resample(Source, 4, 3, 12, new ResampleBox(0, 2, 4, 1), dst, 2, 2), "box", "box can't be empty");
        // A box of zero width is Pillow's too: not empty by its rule.
        PillowResampler.Resample(Source, 4, 3, 12, new ResampleBox(1, 0, 1, 3), dst, 2, 2);
    }

    [Fact]
    public void BuffersMustHoldTheImages()
    {
        var whole = new ResampleBox(0, 0, 4, 3);
        // A stride of 14 needs 2 × 14 + 12 = 40 bytes: the last row ends at its pixels.
        PillowResampler.Resample(new byte[40], 4, 3, 14, whole, new byte[12], 2, 2);
        Refused<ArgumentException>(() => PillowResampler.Resample(new byte[39], 4, 3, 14, whole, new byte[12], 2, 2), "source",
            "source holds 39 bytes, a 4x3 image with stride 14 needs more");
        Refused<ArgumentException>(() => PillowResampler.Resample(Source, 4, 3, 12, whole, new byte[11], 2, 2), "destination",
            "destination holds 11 bytes, 2x2x3 needed");
    }

    [Theory]
    [InlineData(-1, 0, 2, 2)]
    [InlineData(0, -1, 2, 2)]
    [InlineData(0, 0, 5, 2)]
    [InlineData(0, 0, 2, 4)]
    [InlineData(1, 0, 1, 2)]
    [InlineData(0, 1, 2, 1)]
    public void ACropRegionOutsideTheImageIsRefused(int left, int upper, int right, int lower)
    {
        using var image = new Image<Rgb24>(4, 3);
        var region = new CropBox(left, upper, right, lower);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => PillowResampler.Resample(ImageSharpRoute.Copy(image), region, new byte[12], 2, 2));
        Assert.Equal("region", e.ParamName);
        Assert.StartsWith($"crop {region} is not inside the 4x3 image", e.Message);
    }

    [Fact]
    public void ACropRegionAtTheEdgesIsResampled()
    {
        using var image = new Image<Rgb24>(4, 3, new Rgb24(10, 20, 30));
        var dst = new byte[2 * 2 * 3];
        PillowResampler.Resample(ImageSharpRoute.Copy(image), new CropBox(1, 1, 4, 3), dst, 2, 2);
        Assert.All(dst.Chunk(3), p => Assert.Equal(new byte[] { 10, 20, 30 }, p));
        PillowResampler.Resample(ImageSharpRoute.Copy(image), new CropBox(0, 0, 4, 3), new byte[12], 2, 2);
    }

    [Fact]
    public void CoefficientsNeedSizesAndAreCachedPerAxis()
    {
        Assert.Equal("inSize", Assert.Throws<ArgumentOutOfRangeException>(() => ResampleCoefficients.For(0, 0, 1, 4)).ParamName);
        Assert.Equal("outSize", Assert.Throws<ArgumentOutOfRangeException>(() => ResampleCoefficients.For(4, 0, 4, 0)).ParamName);
        // Other tests fill the shared cache too, so a clear may fall between two calls: one of five pairs suffices.
        Assert.Contains(Enumerable.Range(0, 5), _ => ReferenceEquals(ResampleCoefficients.For(1000, 0, 1000, 448), ResampleCoefficients.For(1000, 0, 1000, 448)));
        var first = ResampleCoefficients.For(1000, 0, 1000, 448);
        Assert.NotSame(first, ResampleCoefficients.For(1000, 0, 999, 448));
        // The cache stays small: after many other sizes the first is made again, equal but new.
        for (int size = 2; size < 200; size++) ResampleCoefficients.For(size, 0, size, 7);
        var again = ResampleCoefficients.For(1000, 0, 1000, 448);
        Assert.NotSame(first, again);
        Assert.Equal(first.Bounds, again.Bounds);
    }

    [Fact]
    public void SquareResizeRefusesACropOutsideTheImage()
    {
        using var image = new Image<Rgb24>(4, 3);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => SquareResize.Apply(ImageSharpRoute.Copy(image), new CropBox(0, 0, 5, 3), 2, 2));
        Assert.Equal("region", e.ParamName);
        using var ok = SquareResize.Apply(ImageSharpRoute.Copy(image), new CropBox(0, 0, 3, 3), 2, 2);
        Assert.Equal((2, 2), (ok.Width, ok.Height));
    }

    /// <summary>Pillow 9.4's <c>im.resize((5, 4), Image.BICUBIC, box=box)</c> of a 5x4 image whose pixel (x, y) is
    /// ((53x + 17y) % 256, (29x + 71y) % 256, (11x + 97y + 40) % 256): a box smaller than the image, resized back to the
    /// image's own size, still needs the pass along its short side (Pillow decides by the box against the output size).</summary>
    [Theory]
    [InlineData(0, 0, 4, 4, new byte[] { 0, 0, 40, 34, 19, 47, 80, 44, 57, 122, 67, 65, 165, 90, 74, 15, 70, 137, 51, 90, 144, 97, 115, 154, 139, 138, 162, 182, 161, 171, 32, 141, 234, 68, 161, 255, 114, 186, 123, 156, 217, 0, 199, 215, 12, 49, 212, 75, 85, 250, 82, 131, 129, 92, 181, 5, 100, 198, 47, 109 })]
    [InlineData(0, 0, 5, 3, new byte[] { 0, 0, 35, 52, 25, 46, 105, 54, 57, 158, 83, 68, 211, 112, 79, 9, 40, 94, 62, 69, 105, 115, 98, 134, 168, 127, 145, 221, 173, 156, 23, 98, 185, 76, 127, 196, 129, 167, 107, 182, 196, 118, 247, 125, 129, 36, 152, 224, 89, 181, 235, 142, 187, 1, 195, 216, 12, 225, 0, 23 })]
    [InlineData(1, 0, 5, 4, new byte[] { 47, 26, 50, 90, 49, 59, 133, 73, 68, 178, 97, 77, 214, 117, 84, 64, 97, 147, 107, 120, 156, 150, 144, 165, 195, 168, 174, 231, 188, 181, 81, 168, 254, 124, 191, 63, 167, 231, 0, 212, 167, 15, 248, 0, 22, 98, 249, 85, 141, 72, 94, 200, 14, 103, 157, 54, 112, 0, 74, 119 })]
    [InlineData(0, 1, 5, 4, new byte[] { 15, 61, 124, 68, 90, 135, 121, 119, 158, 174, 148, 169, 227, 189, 180, 28, 115, 216, 81, 144, 227, 134, 192, 52, 187, 221, 63, 255, 64, 74, 42, 173, 181, 95, 202, 192, 148, 136, 25, 201, 165, 36, 158, 16, 47, 52, 217, 67, 105, 246, 78, 158, 5, 102, 211, 34, 113, 0, 77, 124 })]
    public void ABoxResizedToTheImagesOwnSizeIsPillows(int left, int top, int right, int bottom, byte[] expected)
    {
        var source = new byte[5 * 4 * 3];
        for (int y = 0; y < 4; y++)
            for (int x = 0; x < 5; x++)
            {
                int o = (y * 5 + x) * 3;
                (source[o], source[o + 1], source[o + 2]) = ((byte)((53 * x + 17 * y) % 256), (byte)((29 * x + 71 * y) % 256), (byte)((11 * x + 97 * y + 40) % 256));
            }
        foreach (bool vectorize in new[] { false, true })
        {
            var dst = new byte[5 * 4 * 3];
            PillowResampler.Resample(source, 5, 4, 15, new ResampleBox(left, top, right, bottom), dst, 5, 4, vectorize);
            Assert.Equal(expected, dst);
        }
    }
}
