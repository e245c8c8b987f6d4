using TorchSharp;
using static TorchSharp.torch;

namespace VgtData.Images;

/// <summary>
/// uint8 → float in [-1, 1] exactly as the anchor computes it in float32: <c>x / 255 * 2 - 1</c>. A 256-entry table
/// gives the same bits on every path (CPU, or the device after a uint8 transfer), so the two can be compared for equality.
/// </summary>
public static class PixelValues
{
    public static float[] Table { get; } = Enumerable.Range(0, 256).Select(v => (float)v / 255f * 2f - 1f).ToArray();

    /// <summary>bfloat16 values of <see cref="Table"/> (round to nearest even), as raw 16-bit patterns.</summary>
    public static ushort[] BFloat16Table { get; } = Table.Select(ToBFloat16Bits).ToArray();

    public static ushort ToBFloat16Bits(float f)
    {
        uint bits = BitConverter.SingleToUInt32Bits(f);
        uint rounding = 0x7FFF + ((bits >> 16) & 1);
        return (ushort)((bits + rounding) >> 16);
    }

    /// <summary>HWC uint8 → CHW float32 into <paramref name="chw"/> (length 3·H·W).</summary>
    public static void ToChw(ReadOnlySpan<byte> hwc, Span<float> chw, int height, int width)
    {
        int plane = height * width;
        if (hwc.Length < plane * 3 || chw.Length < plane * 3) throw new ArgumentException("buffer too small");
        var table = Table;
        var r = chw[..plane];
        var g = chw.Slice(plane, plane);
        var b = chw.Slice(2 * plane, plane);
        for (int i = 0, j = 0; i < plane; i++, j += 3)
        {
            r[i] = table[hwc[j]];
            g[i] = table[hwc[j + 1]];
            b[i] = table[hwc[j + 2]];
        }
    }

    /// <summary>HWC uint8 → CHW uint8 (the layout the device transfer uses).</summary>
    public static void ToChw(ReadOnlySpan<byte> hwc, Span<byte> chw, int height, int width)
    {
        int plane = height * width;
        var r = chw[..plane];
        var g = chw.Slice(plane, plane);
        var b = chw.Slice(2 * plane, plane);
        for (int i = 0, j = 0; i < plane; i++, j += 3)
        {
            r[i] = hwc[j];
            g[i] = hwc[j + 1];
            b[i] = hwc[j + 2];
        }
    }

    /// <summary>A float32 [3, H, W] tensor of one image.</summary>
    public static Tensor ToTensor(RgbImage image)
    {
        var data = new float[3 * image.Width * image.Height];
        ToChw(image.Pixels, data, image.Height, image.Width);
        return torch.tensor(data, new long[] { 3, image.Height, image.Width });
    }

    /// <summary>Normalises a uint8 tensor (any shape, any device) with the same table: equal to the CPU path bit for bit.</summary>
    public static Tensor Normalize(Tensor uint8, ScalarType dtype)
    {
        using var scope = torch.NewDisposeScope();
        var table = torch.tensor(Table, device: uint8.device);
        if (dtype != ScalarType.Float32) table = table.to(dtype);
        var result = table[uint8.to(ScalarType.Int64)];
        return result.MoveToOuterDisposeScope();
    }
}
