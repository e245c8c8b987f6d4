using VgtData.Images;

namespace VgtData.Tests.Images;

/// <summary>bfloat16 rounding to nearest even at its ties, and the layout conversions' buffer checks at their bounds.</summary>
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
}
