using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using TorchSharp;
using VgtData.Images;
using static TorchSharp.torch;

namespace VgtData.Tests.Images;

/// <summary>The two halves of <c>resize_on: device</c> at their edges: the crop copy's bounds and pixels, the resize's
/// accepted input, and the crop boxes and offsets of crop2square.</summary>
public sealed class DeviceResizeArgumentTests
{
    private static Image<Rgb24> Numbered(int width, int height)
    {
        var image = new Image<Rgb24>(width, height);
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++) image[x, y] = new Rgb24((byte)x, (byte)y, (byte)(x + 10 * y));
        return image;
    }

    [Fact]
    public void TheCropIsTheBoxesPixelsPackedAsHwc()
    {
        using var image = Numbered(7, 5);
        using var crop = DeviceResize.Crop(ImageSharpRoute.Copy(image), new CropBox(2, 1, 7, 5));   // touching the right and lower edges
        Assert.Equal((5, 4, 60), (crop.Width, crop.Height, crop.Length));
        for (int y = 0; y < 4; y++)
            for (int x = 0; x < 5; x++)
                Assert.Equal(new[] { (byte)(x + 2), (byte)(y + 1), (byte)(x + 2 + 10 * (y + 1)) }, crop.Pixels.Slice((y * 5 + x) * 3, 3).ToArray());
        using var whole = DeviceResize.Crop(ImageSharpRoute.Copy(image), new CropBox(0, 0, 7, 5));
        using var pixel = DeviceResize.Crop(ImageSharpRoute.Copy(image), new CropBox(6, 4, 7, 5));   // one pixel: the smallest crop
        Assert.Equal(new byte[] { 6, 4, 46 }, pixel.Pixels.ToArray());
        Assert.Equal(105, whole.Pixels.Length);
        crop.Dispose();
        Assert.Throws<ObjectDisposedException>(() => crop.Pixels.Length);
    }

    [Theory]
    [InlineData(-1, 0, 3, 3)]
    [InlineData(0, -1, 3, 3)]
    [InlineData(0, 0, 8, 3)]
    [InlineData(0, 0, 3, 6)]
    [InlineData(2, 0, 2, 3)]   // empty
    [InlineData(0, 2, 3, 2)]
    public void ACropOutsideTheImageOrEmptyIsRefused(int left, int upper, int right, int lower)
    {
        using var image = Numbered(7, 5);
        var box = new CropBox(left, upper, right, lower);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => DeviceResize.Crop(ImageSharpRoute.Copy(image), box));
        Assert.Equal("box", e.ParamName);
        Assert.StartsWith($"crop {box} is not inside the 7x5 image", e.Message);
    }

    [Fact]
    public void ResizeTakesOnlyAUint8HwcImage()
    {
        foreach (var bad in new[] { zeros(4, 4, 3, dtype: ScalarType.Float32), zeros(4, 4, 4, dtype: ScalarType.Byte), zeros(4, 12, dtype: ScalarType.Byte) })
        {
            var e = Assert.Throws<ArgumentException>(() => DeviceResize.Resize(bad, 2, 2));
            Assert.Equal("hwc", e.ParamName);
            Assert.StartsWith($"expected a uint8 [H, W, 3] tensor, got {bad.dtype} [{string.Join(", ", bad.shape)}]", e.Message);
        }
    }

    [Fact]
    public void AnImageOfTheAskedSizeIsOnlyTransposed()
    {
        var hwc = arange(2 * 3 * 3, dtype: ScalarType.Int32).reshape(2, 3, 3).to(ScalarType.Byte);
        using var chw = DeviceResize.Resize(hwc, 2, 3);
        Assert.Equal(new long[] { 3, 2, 3 }, chw.shape);
        Assert.Equal(hwc.permute(2, 0, 1).contiguous().data<byte>().ToArray(), chw.data<byte>().ToArray());
        using var other = DeviceResize.Resize(hwc, 3, 2);   // the transposed size is a real resize
        Assert.Equal(new long[] { 3, 3, 2 }, other.shape);
        Assert.Equal(ScalarType.Byte, other.dtype);
    }

    [Theory]
    [InlineData(10, 10, 0, 0, 0, 10, 10)]
    [InlineData(16, 10, 0, 0, 0, 10, 10)]
    [InlineData(16, 10, 6, 6, 0, 16, 10)]
    [InlineData(10, 16, 6, 0, 6, 10, 16)]
    [InlineData(10, 16, 3, 0, 3, 10, 13)]
    public void Crop2SquareBoxesTakeEveryOffsetOfTheLongSide(int width, int height, int offset, int left, int upper, int right, int lower)
    {
        Assert.Equal(new CropBox(left, upper, right, lower), CropBox.Square(width, height, offset));
        Assert.Equal(Math.Abs(width - height) + 1, CropBox.SquareOffsets(width, height));
    }

    [Theory]
    [InlineData(16, 10, -1)]
    [InlineData(16, 10, 7)]
    [InlineData(10, 16, 7)]
    public void AnOffsetOutsideTheLongSideIsRefused(int width, int height, int offset)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => CropBox.Square(width, height, offset));
        Assert.Equal("offset", e.ParamName);
        Assert.StartsWith($"offset {offset} outside [0, 6]", e.Message);
    }

    [Fact]
    public void ASquareImageIgnoresTheOffset() => Assert.Equal(new CropBox(0, 0, 9, 9), CropBox.Square(9, 9, 123));
}
