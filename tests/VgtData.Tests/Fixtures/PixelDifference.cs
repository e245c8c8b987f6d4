namespace VgtData.Tests.Fixtures;

/// <summary>How far apart two same-sized byte images are, in 0..255 levels.</summary>
internal static class PixelDifference
{
    public static (int Max, double Mean) Of(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b)
    {
        Assert.Equal(a.Length, b.Length);
        long sum = 0;
        int max = 0;
        for (int i = 0; i < a.Length; i++)
        {
            int d = Math.Abs(a[i] - b[i]);
            sum += d;
            max = Math.Max(max, d);
        }
        return (max, a.Length == 0 ? 0 : (double)sum / a.Length);
    }
}
