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
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => PillowResampler.Resample(image, region, new byte[12], 2, 2));
        Assert.Equal("region", e.ParamName);
        Assert.StartsWith($"crop {region} is not inside the 4x3 image", e.Message);
    }

    [Fact]
    public void ACropRegionAtTheEdgesIsResampled()
    {
        using var image = new Image<Rgb24>(4, 3, new Rgb24(10, 20, 30));
        var dst = new byte[2 * 2 * 3];
        PillowResampler.Resample(image, new CropBox(1, 1, 4, 3), dst, 2, 2);
        Assert.All(dst.Chunk(3), p => Assert.Equal(new byte[] { 10, 20, 30 }, p));
        PillowResampler.Resample(image, new CropBox(0, 0, 4, 3), new byte[12], 2, 2);
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
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => SquareResize.Apply(image, new CropBox(0, 0, 5, 3), 2, 2));
        Assert.Equal("region", e.ParamName);
        using var ok = SquareResize.Apply(image, new CropBox(0, 0, 3, 3), 2, 2);
        Assert.Equal((2, 2), (ok.Width, ok.Height));
    }
}
