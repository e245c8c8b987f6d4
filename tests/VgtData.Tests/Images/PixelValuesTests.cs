using VgtData.Images;

namespace VgtData.Tests.Images;

public class PixelValuesTests
{
    [Fact]
    public void TableIsTheAnchorsFloat32Arithmetic()
    {
        for (int v = 0; v < 256; v++) Assert.Equal((float)v / 255f * 2f - 1f, PixelValues.Table[v]);
        Assert.Equal(-1f, PixelValues.Table[0]);
        Assert.Equal(1f, PixelValues.Table[255]);
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(5, 3)]
    [InlineData(16, 1)]
    [InlineData(17, 9)]
    [InlineData(448, 448)]
    [InlineData(33, 100)]
    public void VectorisedChwEqualsThePlainLoop(int height, int width)
    {
        var random = new Random(height * 1000 + width);
        var hwc = new byte[height * width * 3];
        random.NextBytes(hwc);
        int plane = height * width;

        var floats = new float[plane * 3];
        var bytes = new byte[plane * 3];
        PixelValues.ToChw(hwc, floats, height, width);
        PixelValues.ToChw(hwc, bytes, height, width);
        for (int p = 0; p < plane; p++)
            for (int c = 0; c < 3; c++)
            {
                byte v = hwc[p * 3 + c];
                Assert.Equal(v, bytes[c * plane + p]);
                Assert.Equal(BitConverter.SingleToInt32Bits((float)v / 255f * 2f - 1f), BitConverter.SingleToInt32Bits(floats[c * plane + p]));
            }
    }
}
