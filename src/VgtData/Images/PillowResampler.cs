using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace VgtData.Images;

/// <summary>
/// Pillow 9.4's 8-bit BICUBIC resize (<c>Image.resize(size)</c> on an RGB image), bit for bit: the same weights
/// (<see cref="ResampleCoefficients"/>), the same 22-bit fixed-point sums and clipping, horizontal pass first, each pass
/// rounding to 8 bits. Pixels are interleaved RGB bytes (HWC). There is a scalar path, which is the reference, and an
/// AVX2 path that gives the same bytes (integer sums do not depend on their order).
/// </summary>
internal static class PillowResampler
{
    private const int Bias = 1 << (ResampleCoefficients.PrecisionBits - 1);

    /// <summary>Whether <see cref="Resample(ReadOnlySpan{byte}, int, int, int, Span{byte}, int, int, bool)"/> with
    /// <c>vectorize: true</c> takes the AVX2 passes (otherwise it falls back to the scalar ones).</summary>
    public static bool IsVectorized => Avx2.IsSupported;

    /// <summary>
    /// Resizes the whole <paramref name="width"/> × <paramref name="height"/> RGB image in <paramref name="source"/>
    /// (rows <paramref name="stride"/> bytes apart) to <paramref name="outWidth"/> × <paramref name="outHeight"/> into
    /// <paramref name="destination"/> (rows packed, outWidth·3 bytes). Same as Pillow's <c>im.resize((w, h))</c>.
    /// </summary>
    public static void Resample(ReadOnlySpan<byte> source, int width, int height, int stride,
        Span<byte> destination, int outWidth, int outHeight, bool vectorize = true) =>
        Resample(source, width, height, stride, new ResampleBox(0, 0, width, height), destination, outWidth, outHeight, vectorize);

    /// <summary>As Pillow's <c>im.resize((w, h), box=box)</c>: the region <paramref name="box"/> (fractional,
    /// single precision like Pillow's) of the source is scaled to the output; taps near the box's edges may read
    /// source pixels outside it, but never outside the image.</summary>
    public static void Resample(ReadOnlySpan<byte> source, int width, int height, int stride, ResampleBox box,
        Span<byte> destination, int outWidth, int outHeight, bool vectorize = true)
    {
        CheckArguments(width, height, stride, box, outWidth, outHeight);
        if (source.Length < (long)(height - 1) * stride + width * 3)
            throw new ArgumentException($"source holds {source.Length} bytes, a {width}x{height} image with stride {stride} needs more", nameof(source));
        CheckDestination(destination, outWidth, outHeight);
        var rows = new SpanRows(source, stride);
        Run(ref rows, width, height, box, destination, outWidth, outHeight, vectorize);
    }

    /// <summary>
    /// The anchor's <c>image.crop(region).resize((w, h))</c>: the pixels of <paramref name="region"/> are the input
    /// (read in place, not copied) and are resized as a whole to <paramref name="outWidth"/> × <paramref name="outHeight"/>
    /// into <paramref name="destination"/>.
    /// </summary>
    public static void Resample(RgbImage image, CropBox region, Span<byte> destination, int outWidth, int outHeight, bool vectorize = true)
    {
        if (region.Left < 0 || region.Upper < 0 || region.Right > image.Width || region.Lower > image.Height || region.Width < 1 || region.Height < 1)
            throw new ArgumentOutOfRangeException(nameof(region), $"crop {region} is not inside the {image.Width}x{image.Height} image");
        var box = new ResampleBox(0, 0, region.Width, region.Height);
        int stride = image.Width * 3;
        CheckArguments(region.Width, region.Height, stride, box, outWidth, outHeight);
        CheckDestination(destination, outWidth, outHeight);
        var rows = new SpanRows(image.Pixels[(region.Upper * stride + region.Left * 3)..], stride);
        Run(ref rows, region.Width, region.Height, box, destination, outWidth, outHeight, vectorize);
    }

    private static void CheckArguments(int width, int height, int stride, ResampleBox box, int outWidth, int outHeight)
    {
        if (width < 1 || height < 1) throw new ArgumentOutOfRangeException(nameof(width), $"source size {width}x{height}");
        if (stride < width * 3) throw new ArgumentOutOfRangeException(nameof(stride), $"stride {stride} < {width}·3");
        if (outWidth < 1 || outHeight < 1) throw new ArgumentOutOfRangeException(nameof(outWidth), $"output size {outWidth}x{outHeight}");
        // Pillow's checks in Image.resize.
        if (box.Left < 0 || box.Top < 0) throw new ArgumentOutOfRangeException(nameof(box), "box offset can't be negative");
        if (box.Right > width || box.Bottom > height) throw new ArgumentOutOfRangeException(nameof(box), "box can't exceed original image size");
        if (box.Right - box.Left < 0 || box.Bottom - box.Top < 0) throw new ArgumentOutOfRangeException(nameof(box), "box can't be empty");
    }

    private static void CheckDestination(Span<byte> destination, int outWidth, int outHeight)
    {
        if (destination.Length < (long)outWidth * outHeight * 3)
            throw new ArgumentException($"destination holds {destination.Length} bytes, {outWidth}x{outHeight}x3 needed", nameof(destination));
    }

    /// <summary>Pillow's <c>ImagingResampleInner</c>.</summary>
    private static void Run<TRows>(ref TRows rows, int width, int height, ResampleBox box, Span<byte> destination,
        int outWidth, int outHeight, bool vectorize) where TRows : IRowSource, allows ref struct
    {
        // Pillow compares the box's right / bottom to the OUTPUT size here; reproduced as is.
        bool needHorizontal = outWidth != width || box.Left != 0 || box.Right != outWidth;
        bool needVertical = outHeight != height || box.Top != 0 || box.Bottom != outHeight;
        int outStride = outWidth * 3;
        var dst = destination[..(outStride * outHeight)];

        var horizontal = ResampleCoefficients.For(width, box.Left, box.Right, outWidth);
        var vertical = ResampleCoefficients.For(height, box.Top, box.Bottom, outHeight);
        int yFirst = vertical.First(0);
        int yLast = vertical.First(outHeight - 1) + vertical.Count(outHeight - 1);

        if (needHorizontal && needVertical)
        {
            int tempHeight = Math.Max(yLast - yFirst, 0);
            var temp = ArrayPool<byte>.Shared.Rent(Math.Max(tempHeight * outStride, 1));
            try
            {
                Horizontal(ref rows, yFirst, tempHeight, horizontal, temp, outWidth, vectorize);
                if (vectorize && Avx2.IsSupported)
                    VerticalAvx2(temp.AsSpan(0, tempHeight * outStride), outStride, vertical, -yFirst, dst, outHeight);
                else
                {
                    var tempRows = new SpanRows(temp.AsSpan(0, tempHeight * outStride), outStride);
                    Vertical(ref tempRows, outWidth, vertical, -yFirst, dst, outHeight, vectorize);
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(temp);
            }
        }
        else if (needHorizontal)
        {
            // Vertical not needed: the rows are the input's own (yFirst = 0, height rows).
            Horizontal(ref rows, 0, outHeight, horizontal, dst, outWidth, vectorize);
        }
        else if (needVertical)
        {
            Vertical(ref rows, outWidth, vertical, 0, dst, outHeight, vectorize);
        }
        else
        {
            for (int y = 0; y < outHeight; y++) rows.Row(y)[..outStride].CopyTo(dst.Slice(y * outStride, outStride));
        }
    }

    // ---- horizontal pass ----

    /// <summary>Output row r (r &lt; <paramref name="rowCount"/>) is input row <paramref name="firstRow"/> + r resampled
    /// along x with <paramref name="c"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Horizontal<TRows>(ref TRows rows, int firstRow, int rowCount, ResampleCoefficients c,
        Span<byte> output, int outWidth, bool vectorize) where TRows : IRowSource, allows ref struct
    {
        int outStride = outWidth * 3;
        bool avx = vectorize && Avx2.IsSupported;
        int r = 0;
        // Two rows at a time share each load of the coefficients, which are larger than L1 for a 1024-wide row.
        if (avx)
            for (; r + 1 < rowCount; r += 2)
                HorizontalTwoRowsAvx2(rows.Row(firstRow + r), rows.Row(firstRow + r + 1), c,
                    output.Slice(r * outStride, outStride), output.Slice((r + 1) * outStride, outStride), outWidth);
        for (; r < rowCount; r++)
        {
            var input = rows.Row(firstRow + r);
            var outRow = output.Slice(r * outStride, outStride);
            if (avx) HorizontalRowAvx2(input, c, outRow, outWidth);
            else HorizontalRowScalar(input, c, outRow, 0, outWidth);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void HorizontalRowScalar(ReadOnlySpan<byte> input, ResampleCoefficients c, Span<byte> outRow, int fromX, int toX)
    {
        for (int xx = fromX; xx < toX; xx++)
        {
            int xmin = c.First(xx), count = c.Count(xx);
            var k = c.Fixed.AsSpan(xx * c.KSize, count);
            var px = input.Slice(xmin * 3, count * 3);
            int s0 = Bias, s1 = Bias, s2 = Bias;
            for (int x = 0; x < k.Length; x++)
            {
                int w = k[x];
                s0 += px[x * 3] * w;
                s1 += px[x * 3 + 1] * w;
                s2 += px[x * 3 + 2] * w;
            }
            outRow[xx * 3] = Clip8(s0);
            outRow[xx * 3 + 1] = Clip8(s1);
            outRow[xx * 3 + 2] = Clip8(s2);
        }
    }

    /// <summary>
    /// One row along x with AVX2. Per output pixel and group of 4 taps: one 16-byte load of 5 pixels, broadcast to both
    /// 128-bit lanes; a byte shuffle makes int16 (R_t, R_t+1, G_t, G_t+1, B_t, B_t+1, 0, 0) in the low lane and the same
    /// for taps t+2, t+3 in the high lane; pmaddwd by the split weights (see <see cref="ResampleCoefficients.HorizontalPairs"/>)
    /// gives per-channel int32 partial sums. Two output pixels share the final reduction. Pixels whose loads would run
    /// past the readable bytes go the scalar way.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void HorizontalRowAvx2(ReadOnlySpan<byte> input, ResampleCoefficients c, Span<byte> outRow, int outWidth)
    {
        var pairs = c.HorizontalPairs;
        int groups = c.Groups;
        int readable = input.Length;
        fixed (byte* src = input)
        fixed (byte* dst = outRow)
        fixed (short* kp = pairs)
        fixed (int* bounds = c.Bounds)
        {
            int xx = 0;
            for (; xx + 2 < outWidth; xx += 2) // the pair's 8-byte store needs a pixel after it
            {
                if (!Safe(bounds, xx, readable) || !Safe(bounds, xx + 1, readable))
                {
                    HorizontalPixelAvx2(input, c, src, dst, kp, bounds, groups, xx, readable, outWidth);
                    HorizontalPixelAvx2(input, c, src, dst, kp, bounds, groups, xx + 1, readable, outWidth);
                    continue;
                }
                StorePair(Sums(src, kp, bounds, groups, xx), Sums(src, kp, bounds, groups, xx + 1), dst + xx * 3);
            }
            for (; xx < outWidth; xx++)
                HorizontalPixelAvx2(input, c, src, dst, kp, bounds, groups, xx, readable, outWidth);
        }
    }

    /// <summary><see cref="HorizontalRowAvx2"/> for two rows at once: the same sums, each coefficient load serving both.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void HorizontalTwoRowsAvx2(ReadOnlySpan<byte> input0, ReadOnlySpan<byte> input1, ResampleCoefficients c,
        Span<byte> outRow0, Span<byte> outRow1, int outWidth)
    {
        var pairs = c.HorizontalPairs;
        int groups = c.Groups;
        int readable = Math.Min(input0.Length, input1.Length);
        fixed (byte* src0 = input0)
        fixed (byte* src1 = input1)
        fixed (byte* dst0 = outRow0)
        fixed (byte* dst1 = outRow1)
        fixed (short* kp = pairs)
        fixed (int* bounds = c.Bounds)
        {
            int xx = 0;
            for (; xx + 2 < outWidth; xx += 2)
            {
                if (!Safe(bounds, xx, readable) || !Safe(bounds, xx + 1, readable))
                {
                    for (int x = xx; x < xx + 2; x++)
                    {
                        HorizontalPixelAvx2(input0, c, src0, dst0, kp, bounds, groups, x, input0.Length, outWidth);
                        HorizontalPixelAvx2(input1, c, src1, dst1, kp, bounds, groups, x, input1.Length, outWidth);
                    }
                    continue;
                }
                var (a0, a1) = SumsOfTwoRows(src0, src1, kp, bounds, groups, xx);
                var (b0, b1) = SumsOfTwoRows(src0, src1, kp, bounds, groups, xx + 1);
                StorePair(a0, b0, dst0 + xx * 3);
                StorePair(a1, b1, dst1 + xx * 3);
            }
            for (; xx < outWidth; xx++)
            {
                HorizontalPixelAvx2(input0, c, src0, dst0, kp, bounds, groups, xx, input0.Length, outWidth);
                HorizontalPixelAvx2(input1, c, src1, dst1, kp, bounds, groups, xx, input1.Length, outWidth);
            }
        }
    }

    /// <summary>Writes output pixels xx and xx + 1 from their split sums <paramref name="a"/> and <paramref name="b"/>:
    /// 8 bytes, the last two spare (the next pixel overwrites them).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void StorePair(Vector256<int> a, Vector256<int> b, byte* dst)
    {
        // (a.low + a.high, b.low + b.high): RGBX of pixel xx, then of xx + 1.
        var s = Avx2.Add(Avx2.Permute2x128(a, b, 0x20), Avx2.Permute2x128(a, b, 0x31));
        s = Avx2.ShiftRightArithmetic(s, ResampleCoefficients.PrecisionBits);
        var w = Avx2.PackSignedSaturate(s, s);                 // lanes: a a | b b (int16)
        var bytes = Avx2.PackUnsignedSaturate(w, w);           // lanes: a a a a | b b b b (bytes)
        var ab = Avx2.PermuteVar8x32(bytes.AsInt32(), Vector256.Create(0, 4, 0, 4, 0, 4, 0, 4)).GetLower(); // aRGBX bRGBX
        // RGBX RGBX → RGB RGB and two spare bytes.
        var rgb = Ssse3.Shuffle(ab.AsByte(), Vector128.Create((byte)0, 1, 2, 4, 5, 6, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7));
        Unsafe.WriteUnaligned(dst, rgb.AsUInt64().ToScalar());
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe bool Safe(int* bounds, int xx, int readable)
    {
        int xmin = bounds[xx * 2], count = bounds[xx * 2 + 1];
        // The last group's 16-byte load starts at pixel xmin + 4·(groups used − 1).
        return count > 0 && (xmin + ((count - 1) & ~3)) * 3 + 16 <= readable;
    }

    /// <summary>Per-channel sums of one output pixel, bias included, split over the two 128-bit lanes (add them).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe Vector256<int> Sums(byte* src, short* kp, int* bounds, int groups, int xx)
    {
        int xmin = bounds[xx * 2], count = bounds[xx * 2 + 1];
        int used = (count + 3) >> 2;
        var shuffle = GroupShuffle();
        var lo = Vector256.Create(Bias, Bias, Bias, Bias, 0, 0, 0, 0);
        var hi = Vector256<int>.Zero;
        short* k = kp + xx * groups * 32;
        byte* p = src + xmin * 3;
        for (int g = 0; g < used; g++, p += 12, k += 32)
        {
            var words = Avx2.Shuffle(Avx2.BroadcastVector128ToVector256(p), shuffle).AsInt16();
            lo = Avx2.Add(lo, Avx2.MultiplyAddAdjacent(words, Avx.LoadVector256(k)));
            hi = Avx2.Add(hi, Avx2.MultiplyAddAdjacent(words, Avx.LoadVector256(k + 16)));
        }
        return Avx2.Add(lo, Avx2.ShiftLeftLogical(hi, 15));
    }

    /// <summary>Four RGB taps (12 bytes, broadcast to both lanes) → int16 (R_t, R_t+1, G_t, G_t+1, B_t, B_t+1, 0, 0) for taps
    /// t, t+1 in the low lane and t+2, t+3 in the high lane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<byte> GroupShuffle()
    {
        const byte Z = 0x80;
        return Vector256.Create(
            (byte)0, Z, 3, Z, 1, Z, 4, Z, 2, Z, 5, Z, Z, Z, Z, Z,
            6, Z, 9, Z, 7, Z, 10, Z, 8, Z, 11, Z, Z, Z, Z, Z);
    }

    /// <summary><see cref="Sums"/> of the same output pixel in two rows, loading each coefficient group once.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe (Vector256<int>, Vector256<int>) SumsOfTwoRows(byte* src0, byte* src1, short* kp, int* bounds, int groups, int xx)
    {
        int xmin = bounds[xx * 2], count = bounds[xx * 2 + 1];
        int used = (count + 3) >> 2;
        var shuffle = GroupShuffle();
        var lo0 = Vector256.Create(Bias, Bias, Bias, Bias, 0, 0, 0, 0);
        var lo1 = lo0;
        var hi0 = Vector256<int>.Zero;
        var hi1 = Vector256<int>.Zero;
        short* k = kp + xx * groups * 32;
        int offset = xmin * 3;
        for (int g = 0; g < used; g++, offset += 12, k += 32)
        {
            var kLow = Avx.LoadVector256(k);
            var kHigh = Avx.LoadVector256(k + 16);
            var words0 = Avx2.Shuffle(Avx2.BroadcastVector128ToVector256(src0 + offset), shuffle).AsInt16();
            var words1 = Avx2.Shuffle(Avx2.BroadcastVector128ToVector256(src1 + offset), shuffle).AsInt16();
            lo0 = Avx2.Add(lo0, Avx2.MultiplyAddAdjacent(words0, kLow));
            hi0 = Avx2.Add(hi0, Avx2.MultiplyAddAdjacent(words0, kHigh));
            lo1 = Avx2.Add(lo1, Avx2.MultiplyAddAdjacent(words1, kLow));
            hi1 = Avx2.Add(hi1, Avx2.MultiplyAddAdjacent(words1, kHigh));
        }
        return (Avx2.Add(lo0, Avx2.ShiftLeftLogical(hi0, 15)), Avx2.Add(lo1, Avx2.ShiftLeftLogical(hi1, 15)));
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void HorizontalPixelAvx2(ReadOnlySpan<byte> input, ResampleCoefficients c, byte* src, byte* dst,
        short* kp, int* bounds, int groups, int xx, int readable, int outWidth)
    {
        if (!Safe(bounds, xx, readable))
        {
            HorizontalRowScalar(input, c, new Span<byte>(dst, outWidth * 3), xx, xx + 1);
            return;
        }
        var sum = Sums(src, kp, bounds, groups, xx);
        var s = Sse2.ShiftRightArithmetic(Sse2.Add(sum.GetLower(), sum.GetUpper()), ResampleCoefficients.PrecisionBits);
        uint rgbx = Sse2.PackUnsignedSaturate(Sse2.PackSignedSaturate(s, s), Vector128<short>.Zero).AsUInt32().ToScalar();
        byte* d = dst + xx * 3;
        d[0] = (byte)rgbx;
        d[1] = (byte)(rgbx >> 8);
        d[2] = (byte)(rgbx >> 16);
    }

    // ---- vertical pass ----

    /// <summary>Output row yy is the input rows from <c>c.First(yy) + rowShift</c> resampled along y with <paramref name="c"/>;
    /// each row is <paramref name="width"/> RGB pixels.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Vertical<TRows>(ref TRows rows, int width, ResampleCoefficients c, int rowShift,
        Span<byte> output, int outHeight, bool vectorize) where TRows : IRowSource, allows ref struct
    {
        int n = width * 3;
        var acc = ArrayPool<int>.Shared.Rent(n);
        try
        {
            var a = acc.AsSpan(0, n);
            bool avx = vectorize && Avx2.IsSupported;
            for (int yy = 0; yy < outHeight; yy++)
            {
                int ymin = c.First(yy) + rowShift;
                var k = c.FixedOf(yy);
                a.Fill(Bias);
                // Integer sums: the order of the taps does not change the result.
                for (int t = 0; t < k.Length; t++)
                {
                    var row = rows.Row(ymin + t)[..n];
                    if (avx) AccumulateAvx2(row, k[t], a);
                    else AccumulateScalar(row, k[t], a, 0);
                }
                var outRow = output.Slice(yy * n, n);
                if (avx) ClipRowAvx2(a, outRow);
                else ClipRowScalar(a, outRow, 0);
            }
        }
        finally
        {
            ArrayPool<int>.Shared.Return(acc);
        }
    }

    /// <summary>
    /// The vertical pass with AVX2 over packed rows (<paramref name="stride"/> = row bytes): 32 bytes of an output row
    /// at a time, all taps summed in registers (widen 8 bytes to int32, multiply by the tap's weight, add).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void VerticalAvx2(ReadOnlySpan<byte> input, int stride, ResampleCoefficients c, int rowShift,
        Span<byte> output, int outHeight)
    {
        int n = stride;
        // Row addresses of the current taps; strong downscales have thousands of taps, kept off the stack.
        Span<nint> rowAddresses = c.KSize <= 256 ? stackalloc nint[c.KSize] : new nint[c.KSize];
        var bias = Vector256.Create(Bias);
        var order = Vector256.Create(0, 4, 1, 5, 2, 6, 3, 7);
        fixed (byte* inp = input)
        fixed (byte* outp = output)
        fixed (int* fixedWeights = c.Fixed)
        fixed (nint* rowAddressesPtr = rowAddresses)
        {
            byte** rowp = (byte**)rowAddressesPtr;
            for (int yy = 0; yy < outHeight; yy++)
            {
                int ymin = c.First(yy) + rowShift, count = c.Count(yy);
                int* k = fixedWeights + yy * c.KSize;
                for (int t = 0; t < count; t++) rowp[t] = inp + (long)(ymin + t) * stride;
                byte* o = outp + (long)yy * n;
                int i = 0;
                for (; i + 32 <= n; i += 32)
                {
                    Vector256<int> a0 = bias, a1 = bias, a2 = bias, a3 = bias;
                    for (int t = 0; t < count; t++)
                    {
                        var w = Vector256.Create(k[t]);
                        byte* r = rowp[t] + i;
                        a0 = Avx2.Add(a0, Avx2.MultiplyLow(Avx2.ConvertToVector256Int32(r), w));
                        a1 = Avx2.Add(a1, Avx2.MultiplyLow(Avx2.ConvertToVector256Int32(r + 8), w));
                        a2 = Avx2.Add(a2, Avx2.MultiplyLow(Avx2.ConvertToVector256Int32(r + 16), w));
                        a3 = Avx2.Add(a3, Avx2.MultiplyLow(Avx2.ConvertToVector256Int32(r + 24), w));
                    }
                    const byte P = ResampleCoefficients.PrecisionBits;
                    var b = Avx2.PackUnsignedSaturate(
                        Avx2.PackSignedSaturate(Avx2.ShiftRightArithmetic(a0, P), Avx2.ShiftRightArithmetic(a1, P)),
                        Avx2.PackSignedSaturate(Avx2.ShiftRightArithmetic(a2, P), Avx2.ShiftRightArithmetic(a3, P)));
                    Avx.Store(o + i, Avx2.PermuteVar8x32(b.AsInt32(), order).AsByte());
                }
                for (; i < n; i++)
                {
                    int acc = Bias;
                    for (int t = 0; t < count; t++) acc += rowp[t][i] * k[t];
                    o[i] = Clip8(acc);
                }
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void AccumulateScalar(ReadOnlySpan<byte> row, int w, Span<int> acc, int from)
    {
        for (int i = from; i < row.Length; i++) acc[i] += row[i] * w;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ClipRowScalar(ReadOnlySpan<int> acc, Span<byte> outRow, int from)
    {
        for (int i = from; i < outRow.Length; i++) outRow[i] = Clip8(acc[i]);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void AccumulateAvx2(ReadOnlySpan<byte> row, int w, Span<int> acc)
    {
        int n = row.Length, i = 0;
        ref byte r = ref MemoryMarshal.GetReference(row);
        ref int a = ref MemoryMarshal.GetReference(acc);
        var wv = Vector256.Create(w);
        for (; i + 32 <= n; i += 32)
        {
            var bytes = Vector256.LoadUnsafe(ref r, (nuint)i);
            var (w0, w1) = Vector256.Widen(bytes);
            var (d0, d1) = Vector256.Widen(w0);
            var (d2, d3) = Vector256.Widen(w1);
            ref int ai = ref Unsafe.Add(ref a, i);
            (Vector256.LoadUnsafe(ref ai) + d0.AsInt32() * wv).StoreUnsafe(ref ai);
            (Vector256.LoadUnsafe(ref ai, 8) + d1.AsInt32() * wv).StoreUnsafe(ref ai, 8);
            (Vector256.LoadUnsafe(ref ai, 16) + d2.AsInt32() * wv).StoreUnsafe(ref ai, 16);
            (Vector256.LoadUnsafe(ref ai, 24) + d3.AsInt32() * wv).StoreUnsafe(ref ai, 24);
        }
        AccumulateScalar(row, w, acc, i);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ClipRowAvx2(ReadOnlySpan<int> acc, Span<byte> outRow)
    {
        int n = outRow.Length, i = 0;
        ref int a = ref MemoryMarshal.GetReference(acc);
        ref byte o = ref MemoryMarshal.GetReference(outRow);
        for (; i + 32 <= n; i += 32)
        {
            ref int ai = ref Unsafe.Add(ref a, i);
            var s0 = Avx2.ShiftRightArithmetic(Vector256.LoadUnsafe(ref ai), ResampleCoefficients.PrecisionBits);
            var s1 = Avx2.ShiftRightArithmetic(Vector256.LoadUnsafe(ref ai, 8), ResampleCoefficients.PrecisionBits);
            var s2 = Avx2.ShiftRightArithmetic(Vector256.LoadUnsafe(ref ai, 16), ResampleCoefficients.PrecisionBits);
            var s3 = Avx2.ShiftRightArithmetic(Vector256.LoadUnsafe(ref ai, 24), ResampleCoefficients.PrecisionBits);
            // Saturating packs clamp to [0, 255] exactly as clip8 does; the permute undoes the packs' lane interleave.
            var b = Avx2.PackUnsignedSaturate(Avx2.PackSignedSaturate(s0, s1), Avx2.PackSignedSaturate(s2, s3));
            Avx2.PermuteVar8x32(b.AsInt32(), Vector256.Create(0, 4, 1, 5, 2, 6, 3, 7)).AsByte().StoreUnsafe(ref o, (nuint)i);
        }
        ClipRowScalar(acc, outRow, i);
    }

    /// <summary>Pillow's clip8 for a sum with <see cref="ResampleCoefficients.PrecisionBits"/> fractional bits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static byte Clip8(int sum)
    {
        if (sum >= 1 << ResampleCoefficients.PrecisionBits << 8) return 255;
        if (sum <= 0) return 0;
        return (byte)(sum >> ResampleCoefficients.PrecisionBits);
    }

    // ---- row sources ----

    /// <summary>Rows of an RGB image: <see cref="Row"/> gives the bytes from the row's first pixel on; at least the
    /// row's own bytes, possibly more (the vector pass may read past the row into them, with weight 0).</summary>
    private interface IRowSource
    {
        ReadOnlySpan<byte> Row(int y);
    }

    private readonly ref struct SpanRows(ReadOnlySpan<byte> all, int stride) : IRowSource
    {
        private readonly ReadOnlySpan<byte> _all = all;
        private readonly int _stride = stride;
        public ReadOnlySpan<byte> Row(int y) => _all[(y * _stride)..];
    }
}

/// <summary>A source region for <see cref="PillowResampler"/> in Pillow's (left, top, right, bottom) order; single
/// precision, as Pillow parses it.</summary>
internal readonly record struct ResampleBox(float Left, float Top, float Right, float Bottom);
