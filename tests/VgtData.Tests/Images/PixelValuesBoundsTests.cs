using VgtData.Images;
using static TorchSharp.torch;

namespace VgtData.Tests.Images;

/// <summary>bfloat16 rounding to nearest even at its ties, the layout conversions' buffer checks at their bounds, and the
/// tensors made from the table.</summary>
public sealed class PixelValuesBoundsTests
{
    [Theory]
    [InlineData(0x3F800000u, 0x3F80)]   // 1.0
    [InlineData(0xBF800000u, 0xBF80)]   // -1.0
    [InlineData(0x3F808000u, 0x3F80)]   // a tie, the even neighbour below
    [InlineData(0x3F818000u, 0x3F82)]   // a tie, the even neighbour above
    [InlineData(0x3F808001u, 0x3F81)]   // just past the tie
    [InlineData(0x3F807FFFu, 0x3F80)]   // just below it
    [InlineData(0x00000000u, 0x0000)]
    public void BFloat16RoundsToNearestEven(uint single, int expected) =>
        Assert.Equal((ushort)expected, PixelValues.ToBFloat16Bits(BitConverter.UInt32BitsToSingle(single)));

    [Fact]
    public void TheTablesSpanMinusOneToOne()
    {
        Assert.Equal((-1f, 1f), (PixelValues.Table[0], PixelValues.Table[255]));
        Assert.Equal((0xBF80, 0x3F80), (PixelValues.BFloat16Table[0], PixelValues.BFloat16Table[255]));
    }

    [Fact]
    public void BuffersOfExactlyThreePlanesAreEnoughAndOneLessIsNot()
    {
        const int h = 5, w = 7, n = 3 * h * w;
        var hwc = Enumerable.Range(0, n).Select(i => (byte)i).ToArray();
        var floats = new float[n];
        var bytes = new byte[n];
        PixelValues.ToChw(hwc, floats, h, w);
        PixelValues.ToChw(hwc, bytes, h, w);
        Assert.Equal(PixelValues.Table[hwc[3 * 8 + 1]], floats[h * w + 8]);   // green of pixel 8
        Assert.Equal(hwc[3 * 34 + 2], bytes[2 * h * w + 34]);                // blue of the last pixel
        Assert.Equal("buffer too small", Assert.Throws<ArgumentException>(() => PixelValues.ToChw(hwc.AsSpan(1), floats, h, w)).Message);
        Assert.Equal("buffer too small", Assert.Throws<ArgumentException>(() => PixelValues.ToChw(hwc, floats.AsSpan(1), h, w)).Message);
        Assert.Equal("buffer too small", Assert.Throws<ArgumentException>(() => PixelValues.ToChw(hwc.AsSpan(1), bytes, h, w)).Message);
        Assert.Equal("buffer too small", Assert.Throws<ArgumentException>(() => PixelValues.ToChw(hwc, bytes.AsSpan(1), h, w)).Message);
    }
    [Fact]
    public void ToTensorIsTheFloatPlanesOfTheImage()
    {
        using var image = new RgbImage(5, 3);
        for (int i = 0; i < image.Length; i++) image.Pixels[i] = (byte)(i * 17);
        using var tensor = PixelValues.ToTensor(image);
        Assert.Equal(new long[] { 3, 3, 5 }, tensor.shape);
        Assert.Equal(ScalarType.Float32, tensor.dtype);
        var values = tensor.data<float>().ToArray();
        for (int c = 0; c < 3; c++)
            for (int p = 0; p < 15; p++)
                Assert.Equal(PixelValues.Table[image.Pixels[p * 3 + c]], values[c * 15 + p]);
    }

    [Fact]
    public void NormalizeGivesTheTablesBitsInTheAskedType()
    {
        using var levels = arange(256, dtype: ScalarType.Int32).to(ScalarType.Byte).reshape(16, 16);
        using var single = PixelValues.Normalize(levels, ScalarType.Float32);
        Assert.Equal(ScalarType.Float32, single.dtype);
        Assert.Equal(new long[] { 16, 16 }, single.shape);
        Assert.Equal(PixelValues.Table, single.data<float>().ToArray());
        using var half = PixelValues.Normalize(levels, ScalarType.BFloat16);
        Assert.Equal(ScalarType.BFloat16, half.dtype);
        Assert.Equal(new long[] { 16, 16 }, half.shape);
        using var widened = half.to(ScalarType.Float32);   // bfloat16 to float32 is exact
        Assert.Equal(PixelValues.BFloat16Table.Select(b => BitConverter.UInt32BitsToSingle((uint)b << 16)), widened.data<float>().ToArray());
    }
}
