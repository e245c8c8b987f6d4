using VgtData.Images;
using VgtData.Preparation;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace VgtData.Tests.Images;

/// <summary>The values of <c>resize_on: device</c>'s resize (on the CPU device) against the Pillow-exact resampler, on
/// generated photos: downscales of either side alone, both, and an upscale; and the packed-image wrappers around it.</summary>
public sealed class DeviceResizeValueTests(ITestOutputHelper output)
{
    private static RgbImage Photo(int width, int height, ulong seed)
    {
        using var image = SyntheticDataset.Render(width, height, seed);
        var rgb = new RgbImage(width, height);
        image.CopyPixelDataTo(rgb.Pixels);
        return rgb;
    }

    private static byte[] Pillow(RgbImage image, int width, int height)
    {
        var expected = new byte[width * height * 3];
        PillowResampler.Resample(image.Pixels, image.Width, image.Height, image.Width * 3, expected, width, height);
        return expected;
    }

    [Theory]
    [InlineData(96, 64, 96, 32)]    // the height alone
    [InlineData(96, 64, 40, 64)]    // the width alone
    [InlineData(96, 64, 45, 30)]    // both, by a factor that is not whole
    [InlineData(30, 20, 48, 48)]    // an upscale
    public void TheResizeIsPillowsBicubicWithinTheMeasuredDistance(int width, int height, int outWidth, int outHeight)
    {
        using var image = Photo(width, height, (ulong)(width + outWidth));
        using var chw = DeviceResize.Resize(image, outHeight, outWidth);
        Assert.Equal(new long[] { 3, outHeight, outWidth }, chw.shape);
        Assert.Equal(ScalarType.Byte, chw.dtype);
        using var hwc = chw.permute(1, 2, 0).contiguous();
        var actual = hwc.data<byte>().ToArray();
        var expected = Pillow(image, outWidth, outHeight);
        int max = 0;
        long sum = 0;
        for (int i = 0; i < actual.Length; i++)
        {
            int d = Math.Abs(actual[i] - expected[i]);
            max = Math.Max(max, d);
            sum += d;
        }
        double mean = (double)sum / actual.Length;
        output.WriteLine($"{width}x{height} -> {outWidth}x{outHeight}: max {max}, mean {mean:0.0000}");
        Assert.True(max <= 3, $"max |diff| {max} levels");
        Assert.True(mean <= 0.3, $"mean |diff| {mean:0.0000} levels");
    }

    [Fact]
    public void ResizeToImageIsTheResizePackedAsHwc()
    {
        using var image = Photo(50, 30, 7);
        using var chw = DeviceResize.Resize(image, 20, 20);
        using var hwc = chw.permute(1, 2, 0).contiguous();
        using var packed = DeviceResize.ResizeToImage(image, 20);
        Assert.Equal((20, 20), (packed.Width, packed.Height));
        Assert.Equal(hwc.data<byte>().ToArray(), packed.Pixels.ToArray());
        Assert.Contains(packed.Pixels.ToArray(), v => v != 0);
    }
}
