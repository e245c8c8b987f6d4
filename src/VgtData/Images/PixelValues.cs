using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using TorchSharp;
using static TorchSharp.torch;

namespace VgtData.Images;

/// <summary>
/// uint8 → float in [-1, 1] exactly as the anchor computes it in float32: <c>x / 255 * 2 - 1</c>. A 256-entry table
/// gives the same bits on every path (CPU, or the device after a uint8 transfer), so the two can be compared for equality.
/// </summary>
internal static class PixelValues
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
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void ToChw(ReadOnlySpan<byte> hwc, Span<float> chw, int height, int width)
    {
        int plane = height * width;
        if (hwc.Length < plane * 3 || chw.Length < plane * 3) throw new ArgumentException("buffer too small");
        int done = Ssse3.IsSupported && Avx2.IsSupported ? ToChwVector(hwc, chw, plane) : 0;
        var table = Table;
        var r = chw[..plane];
        var g = chw.Slice(plane, plane);
        var b = chw.Slice(2 * plane, plane);
        for (int i = done, j = done * 3; i < plane; i++, j += 3)
        {
            r[i] = table[hwc[j]];
            g[i] = table[hwc[j + 1]];
            b[i] = table[hwc[j + 2]];
        }
    }

    /// <summary>HWC uint8 → CHW uint8 (the layout the device transfer uses).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void ToChw(ReadOnlySpan<byte> hwc, Span<byte> chw, int height, int width)
    {
        int plane = height * width;
        if (hwc.Length < plane * 3 || chw.Length < plane * 3) throw new ArgumentException("buffer too small");
        int done = Ssse3.IsSupported ? ToChwVector(hwc, chw, plane) : 0;
        var r = chw[..plane];
        var g = chw.Slice(plane, plane);
        var b = chw.Slice(2 * plane, plane);
        for (int i = done, j = done * 3; i < plane; i++, j += 3)
        {
            r[i] = hwc[j];
            g[i] = hwc[j + 1];
            b[i] = hwc[j + 2];
        }
    }

    // Byte shuffles that pull R, G and B out of 48 interleaved bytes (16 pixels) held in three 16-byte vectors;
    // an index with the high bit set yields zero, so OR-ing the three shuffles assembles each channel.
    private static readonly Vector128<byte>[] Shuffles = BuildShuffles();

    private static Vector128<byte>[] BuildShuffles()
    {
        var masks = new Vector128<byte>[9];
        for (int channel = 0; channel < 3; channel++)
            for (int part = 0; part < 3; part++)
            {
                var m = new byte[16];
                for (int k = 0; k < 16; k++)
                {
                    int j = 3 * k + channel - 16 * part;
                    m[k] = j is >= 0 and < 16 ? (byte)j : (byte)0x80;
                }
                masks[channel * 3 + part] = Vector128.Create(m);
            }
        return masks;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<byte> Channel(Vector128<byte> a0, Vector128<byte> a1, Vector128<byte> a2, int channel) =>
        Ssse3.Shuffle(a0, Shuffles[channel * 3]) | Ssse3.Shuffle(a1, Shuffles[channel * 3 + 1]) | Ssse3.Shuffle(a2, Shuffles[channel * 3 + 2]);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int ToChwVector(ReadOnlySpan<byte> hwc, Span<byte> chw, int plane)
    {
        int i = 0;
        ref byte src = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(hwc);
        ref byte dst = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(chw);
        for (; i + 16 <= plane; i += 16)
        {
            var a0 = Vector128.LoadUnsafe(ref src, (nuint)(3 * i));
            var a1 = Vector128.LoadUnsafe(ref src, (nuint)(3 * i + 16));
            var a2 = Vector128.LoadUnsafe(ref src, (nuint)(3 * i + 32));
            for (int c = 0; c < 3; c++) Channel(a0, a1, a2, c).StoreUnsafe(ref dst, (nuint)(c * plane + i));
        }
        return i;
    }

    // The same IEEE operations as the table (x / 255f * 2f - 1f, no fused multiply-add), eight lanes at a time.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int ToChwVector(ReadOnlySpan<byte> hwc, Span<float> chw, int plane)
    {
        int i = 0;
        ref byte src = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(hwc);
        ref float dst = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(chw);
        var v255 = Vector256.Create(255f);
        var two = Vector256.Create(2f);
        var one = Vector256.Create(1f);
        for (; i + 16 <= plane; i += 16)
        {
            var a0 = Vector128.LoadUnsafe(ref src, (nuint)(3 * i));
            var a1 = Vector128.LoadUnsafe(ref src, (nuint)(3 * i + 16));
            var a2 = Vector128.LoadUnsafe(ref src, (nuint)(3 * i + 32));
            for (int c = 0; c < 3; c++)
            {
                var bytes = Channel(a0, a1, a2, c);
                var lo = Avx2.ConvertToVector256Int32(bytes);
                var hi = Avx2.ConvertToVector256Int32(Sse2.ShiftRightLogical128BitLane(bytes, 8));
                var flo = Avx.Subtract(Avx.Multiply(Avx.Divide(Avx.ConvertToVector256Single(lo), v255), two), one);
                var fhi = Avx.Subtract(Avx.Multiply(Avx.Divide(Avx.ConvertToVector256Single(hi), v255), two), one);
                flo.StoreUnsafe(ref dst, (nuint)(c * plane + i));
                fhi.StoreUnsafe(ref dst, (nuint)(c * plane + i + 8));
            }
        }
        return i;
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
