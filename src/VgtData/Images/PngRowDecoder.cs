using System.Buffers;
using System.Buffers.Binary;
using System.IO.Compression;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace VgtData.Images;

/// <summary>
/// Every PNG that is not interlaced and has at most 8 bits a sample — RGB, RGBA, grey, grey + alpha, palette (1/2/4/8-bit
/// grey and palette) — decoded row by row with .NET's zlib (zlib-ng), unfiltering only the rows a crop needs: a
/// portrait image's crop2square window rarely reaches its last rows. Rows become RGB as Pillow's <c>convert('RGB')</c>
/// makes them: alpha dropped, grey copied to each channel (1/2/4-bit grey scaled to 0..255), palette indices looked up
/// in a table that is the grey ramp wherever PLTE has no entry. The rest of the image
/// data is still inflated and its filter bytes checked, so a file Pillow refuses for damage below the crop is refused
/// here too, whatever rows are asked for (the loader and <c>validate</c> give one verdict). The caller checks chunk
/// structure and CRCs beforehand.
/// Returns null for anything else (the caller decodes it another way).
/// </summary>
internal static class PngRowDecoder
{
    public static bool Supports(byte bitDepth, byte colorType, byte interlace) =>
        interlace == 0 && (bitDepth == 8 ? colorType is 0 or 2 or 3 or 4 or 6 : bitDepth is 1 or 2 or 4 && colorType is 0 or 3);

    /// <summary>Bytes a filter steps back by (one pixel, at least 1) and bytes a row holds.</summary>
    private static (int Bpp, int RowBytes) Layout(int width, byte colorType, byte bitDepth)
    {
        int bits = (colorType switch { 2 => 3, 4 => 2, 6 => 4, _ => 1 }) * bitDepth;
        return (Math.Max(1, bits / 8), checked((int)(((long)width * bits + 7) / 8)));
    }

    /// <summary>Decodes rows [0, <paramref name="rows"/>) of a supported PNG into an image of that height.</summary>
    /// <param name="palette">For colour type 3: 768 bytes, the RGB of each of the 256 indices.</param>
    public static RgbImage Decode(ReadOnlyMemory<byte> data, int width, int height, byte colorType, int rows, string path,
        byte bitDepth = 8, byte[]? palette = null)
    {
        if (Libdeflate.Enabled && DecodeWithLibdeflate(data, width, height, colorType, rows, path, bitDepth, palette) is { } fast) return fast;
        var (bpp, rowBytes) = Layout(width, colorType, bitDepth);
        rows = Math.Clamp(rows, 1, height);
        var image = new RgbImage(width, rows);
        var output = image.Pixels;
        int outStride = width * 3;
        int stride = rowBytes + 1;
        // Inflate many rows per call: the native inflater is fastest on large reads.
        int block = Math.Max(1, Math.Min(height, (256 << 10) / stride));
        var buffer = ArrayPool<byte>.Shared.Rent(stride * block);
        var zeros = ArrayPool<byte>.Shared.Rent(stride);
        byte[]? prevBlockRow = null;
        try
        {
            Array.Clear(zeros, 0, stride);
            using var zlib = new ZLibStream(new PngIdatStream(data, path), CompressionMode.Decompress);
            var prev = zeros.AsSpan(1, rowBytes);
            for (int y0 = 0; y0 < rows; y0 += block)
            {
                int count = Math.Min(block, rows - y0);
                ReadRows(zlib, buffer.AsSpan(0, count * stride), stride, y0, height, path);
                for (int i = 0; i < count; i++)
                {
                    var cur = buffer.AsSpan(i * stride + 1, rowBytes);
                    if (i > 0) prev = buffer.AsSpan((i - 1) * stride + 1, rowBytes);
                    else if (prevBlockRow != null) prev = prevBlockRow.AsSpan(0, rowBytes);
                    Unfilter(buffer[i * stride], cur, prev, bpp, path, y0 + i);
                    ToRgb(cur, output.Slice((y0 + i) * outStride, outStride), colorType, bitDepth, palette);
                }
                // The last row of this block is the previous row of the next one.
                prevBlockRow ??= ArrayPool<byte>.Shared.Rent(rowBytes);
                buffer.AsSpan((count - 1) * stride + 1, rowBytes).CopyTo(prevBlockRow);
            }
            // The rows below the crop: inflated and their filter bytes checked, not unfiltered.
            for (int y0 = rows; y0 < height; y0 += block)
            {
                int count = Math.Min(block, height - y0);
                ReadRows(zlib, buffer.AsSpan(0, count * stride), stride, y0, height, path);
                CheckFilters(buffer.AsSpan(0, count * stride), stride, y0, path);
            }
            return image;
        }
        catch
        {
            image.Dispose();
            throw;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
            ArrayPool<byte>.Shared.Return(zeros);
            if (prevBlockRow != null) ArrayPool<byte>.Shared.Return(prevBlockRow);
        }
    }

    /// <summary>
    /// The whole image data inflated in one libdeflate call (all rows: libdeflate cannot stop early, and is still faster
    /// than zlib-ng stopping at the crop), then the rows the crop needs unfiltered. Null when libdeflate rejects the stream
    /// or it holds more than the header's rows: the zlib-ng path then decides, so the verdict on a damaged stream and the
    /// pixels do not depend on whether libdeflate is installed; the one exception, codes zlib refuses in a stream whose
    /// Adler-32 still matches, is served with its encoder's pixels (docs/images.md).
    /// </summary>
    internal static RgbImage? DecodeWithLibdeflate(ReadOnlyMemory<byte> data, int width, int height, byte colorType, int rows, string path,
        byte bitDepth = 8, byte[]? palette = null)
    {
        var (bpp, rowBytes) = Layout(width, colorType, bitDepth);
        int stride = rowBytes + 1;
        rows = Math.Clamp(rows, 1, height);
        long rawLength = (long)stride * height;
        if (rawLength > Array.MaxLength) return null;
        var span = data.Span;
        // The IDAT payloads, in place when there is one chunk, else gathered into one pooled block.
        byte[]? gathered = null;
        var raw = ArrayPool<byte>.Shared.Rent((int)rawLength);
        try
        {
            var input = IdatPayload(span, ref gathered);
            var result = Libdeflate.Inflate(input, raw.AsSpan(0, (int)rawLength), out int written);
            if (result != Libdeflate.Result.Success) return null;
            if (written < rawLength)
                throw new SampleException(SampleFailureReason.Truncated, path, $"PNG image data ends after {written / stride} of {height} rows");
            CheckFilters(raw.AsSpan(rows * stride, (int)rawLength - rows * stride), stride, rows, path);
            var image = new RgbImage(width, rows);
            try
            {
                var output = image.Pixels;
                int outStride = width * 3;
                var zeros = ArrayPool<byte>.Shared.Rent(rowBytes);
                try
                {
                    Array.Clear(zeros, 0, rowBytes);
                    for (int y = 0; y < rows; y++)
                    {
                        var cur = raw.AsSpan(y * stride + 1, rowBytes);
                        ReadOnlySpan<byte> prev = y == 0 ? zeros.AsSpan(0, rowBytes) : raw.AsSpan((y - 1) * stride + 1, rowBytes);
                        Unfilter(raw[y * stride], cur, prev, bpp, path, y);
                        ToRgb(cur, output.Slice(y * outStride, outStride), colorType, bitDepth, palette);
                    }
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(zeros);
                }
                return image;
            }
            catch
            {
                image.Dispose();
                throw;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(raw);
            if (gathered != null) ArrayPool<byte>.Shared.Return(gathered);
        }
    }

    /// <summary>The concatenated payloads of the consecutive IDAT chunks (a slice of <paramref name="png"/> when there is one).</summary>
    private static ReadOnlySpan<byte> IdatPayload(ReadOnlySpan<byte> png, ref byte[]? gathered)
    {
        int pos = 8, first = -1, total = 0, count = 0;
        while (pos + 12 <= png.Length)
        {
            int length = (int)BinaryPrimitives.ReadUInt32BigEndian(png[pos..]);
            bool isIdat = png.Slice(pos + 4, 4).SequenceEqual("IDAT"u8);
            if (isIdat) { if (first < 0) first = pos; total += length; count++; }
            else if (first >= 0) break;
            pos += 12 + length;
        }
        if (first < 0) return [];
        if (count == 1) return png.Slice(first + 8, total);
        gathered = ArrayPool<byte>.Shared.Rent(total);
        int at = 0;
        for (pos = first; at < total;)
        {
            int length = (int)BinaryPrimitives.ReadUInt32BigEndian(png[pos..]);
            png.Slice(pos + 8, length).CopyTo(gathered.AsSpan(at));
            at += length;
            pos += 12 + length;
        }
        return gathered.AsSpan(0, total);
    }

    /// <summary>Fills <paramref name="target"/> with the next rows (from row <paramref name="y0"/>), refusing a stream that
    /// is corrupt or ends early.</summary>
    private static void ReadRows(ZLibStream zlib, Span<byte> target, int stride, int y0, int height, string path)
    {
        int got;
        try
        {
            got = zlib.ReadAtLeast(target, target.Length, throwOnEndOfStream: false);
        }
        catch (Exception e) when (e is InvalidDataException or IOException)
        {
            throw new SampleException(SampleFailureReason.Undecodable, path, $"PNG image data is corrupt near row {y0}: {e.Message}");
        }
        if (got < target.Length)
            throw new SampleException(SampleFailureReason.Truncated, path, $"PNG image data ends after {y0 + got / stride} of {height} rows");
    }

    /// <summary>Refuses rows below the crop whose filter byte is not 0–4, as Pillow does.</summary>
    private static void CheckFilters(ReadOnlySpan<byte> rows, int stride, int firstRow, string path)
    {
        for (int i = 0; i * stride < rows.Length; i++)
            if (rows[i * stride] > 4)
                throw new SampleException(SampleFailureReason.Undecodable, path, $"PNG row {firstRow + i} has unknown filter type {rows[i * stride]}");
    }

    /// <summary>One unfiltered row as Pillow's <c>convert('RGB')</c> gives it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ToRgb(ReadOnlySpan<byte> row, Span<byte> rgb, byte colorType, byte bitDepth, byte[]? palette)
    {
        switch (colorType)
        {
            case 2:
                row.CopyTo(rgb);
                return;
            case 6:
                for (int i = 0, j = 0; j + 2 < rgb.Length; i += 4, j += 3)
                {
                    rgb[j] = row[i];
                    rgb[j + 1] = row[i + 1];
                    rgb[j + 2] = row[i + 2];
                }
                return;
            case 4:
                for (int i = 0, j = 0; j + 2 < rgb.Length; i += 2, j += 3) rgb[j] = rgb[j + 1] = rgb[j + 2] = row[i];
                return;
        }
        // Grey or palette: one sample a pixel, 8 / bitDepth pixels a byte, the first in the high bits.
        int mask = (1 << bitDepth) - 1, perByte = 8 / bitDepth, scale = 255 / mask;
        for (int x = 0, j = 0; j + 2 < rgb.Length; x++, j += 3)
        {
            int v = bitDepth == 8 ? row[x] : (row[x / perByte] >> (8 - bitDepth * (x % perByte + 1))) & mask;
            if (palette is null)
                rgb[j] = rgb[j + 1] = rgb[j + 2] = (byte)(v * scale);
            else
            {
                rgb[j] = palette[3 * v];
                rgb[j + 1] = palette[3 * v + 1];
                rgb[j + 2] = palette[3 * v + 2];
            }
        }
    }

    /// <summary>Reverses the PNG filter of one row in place (filter types 0–4, bytes per pixel 1 to 4; the vector paths of
    /// Average and Paeth take 3 or 4). The vector paths
    /// give the same bytes as the scalar ones (<paramref name="vectorize"/> false: what CPUs without SSE4.1 run, and tests).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void Unfilter(byte filter, Span<byte> cur, ReadOnlySpan<byte> prev, int bpp, string path, int y, bool vectorize = true)
    {
        int n = cur.Length;
        switch (filter)
        {
            case 0:
                return;
            case 1:
                for (int i = bpp; i < n; i++) cur[i] += cur[i - bpp];
                return;
            case 2:
            {
                int i = 0;
                for (; vectorize && i + Vector<byte>.Count <= n; i += Vector<byte>.Count)
                    (new Vector<byte>(cur[i..]) + new Vector<byte>(prev[i..])).CopyTo(cur[i..]);
                for (; i < n; i++) cur[i] += prev[i];
                return;
            }
            case 3:
                if (vectorize && bpp >= 3 && Sse41.IsSupported)
                {
                    AverageVector(cur, prev, bpp);
                    return;
                }
                for (int i = 0; i < bpp; i++) cur[i] += (byte)(prev[i] >> 1);
                for (int i = bpp; i < n; i++) cur[i] += (byte)((cur[i - bpp] + prev[i]) >> 1);
                return;
            case 4:
                if (vectorize && bpp >= 3 && Sse41.IsSupported)
                {
                    PaethVector(cur, prev, bpp);
                    return;
                }
                for (int i = 0; i < bpp; i++) cur[i] += prev[i];
                for (int i = bpp; i < n; i++) cur[i] += Paeth(cur[i - bpp], prev[i], prev[i - bpp]);
                return;
            default:
                throw new SampleException(SampleFailureReason.Undecodable, path, $"PNG row {y} has unknown filter type {filter}");
        }
    }

    /// <summary>Paeth, one pixel at a time with its channels in 16-bit lanes (the left-to-right dependency is per
    /// pixel, not per byte). Same choices as the scalar predictor: a when pa ≤ pb and pa ≤ pc, else b when pb ≤ pc, else c.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PaethVector(Span<byte> cur, ReadOnlySpan<byte> prev, int bpp)
    {
        int n = cur.Length;
        var a = Vector128<short>.Zero;
        var c = Vector128<short>.Zero;
        ref byte curRef = ref MemoryMarshal.GetReference(cur);
        ref byte prevRef = ref MemoryMarshal.GetReference(prev);
        int i = 0;
        // Loads read 4 bytes; with 3-byte pixels the last pixel is finished by the scalar loop below.
        for (; i + 4 <= n; i += bpp)
        {
            var b = Sse41.ConvertToVector128Int16(Vector128.CreateScalarUnsafe(Unsafe.ReadUnaligned<int>(ref Unsafe.Add(ref prevRef, i))).AsByte());
            var x = Sse41.ConvertToVector128Int16(Vector128.CreateScalarUnsafe(Unsafe.ReadUnaligned<int>(ref Unsafe.Add(ref curRef, i))).AsByte());
            var pa = Ssse3.Abs(b - c).AsInt16();
            var pb = Ssse3.Abs(a - c).AsInt16();
            var pc = Ssse3.Abs(a + b - c - c).AsInt16();
            var useA = ~(Sse2.CompareGreaterThan(pa, pb) | Sse2.CompareGreaterThan(pa, pc));
            var useB = ~Sse2.CompareGreaterThan(pb, pc);
            var predictor = Vector128.ConditionalSelect(useA, a, Vector128.ConditionalSelect(useB, b, c));
            var result = (x + predictor) & Vector128.Create((short)0xFF);
            Unsafe.Add(ref curRef, i) = (byte)result.GetElement(0);
            Unsafe.Add(ref curRef, i + 1) = (byte)result.GetElement(1);
            Unsafe.Add(ref curRef, i + 2) = (byte)result.GetElement(2);
            if (bpp == 4) Unsafe.Add(ref curRef, i + 3) = (byte)result.GetElement(3);
            a = result;
            c = b;
        }
        for (; i < n; i++)
            cur[i] += i < bpp ? prev[i] : Paeth(cur[i - bpp], prev[i], prev[i - bpp]);
    }

    /// <summary>Average (x + ⌊(left + up) / 2⌋), one pixel at a time with its channels in 16-bit lanes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void AverageVector(Span<byte> cur, ReadOnlySpan<byte> prev, int bpp)
    {
        int n = cur.Length;
        var a = Vector128<short>.Zero;
        ref byte curRef = ref MemoryMarshal.GetReference(cur);
        ref byte prevRef = ref MemoryMarshal.GetReference(prev);
        int i = 0;
        for (; i + 4 <= n; i += bpp)
        {
            var b = Sse41.ConvertToVector128Int16(Vector128.CreateScalarUnsafe(Unsafe.ReadUnaligned<int>(ref Unsafe.Add(ref prevRef, i))).AsByte());
            var x = Sse41.ConvertToVector128Int16(Vector128.CreateScalarUnsafe(Unsafe.ReadUnaligned<int>(ref Unsafe.Add(ref curRef, i))).AsByte());
            var result = (x + Sse2.ShiftRightLogical(a + b, 1)) & Vector128.Create((short)0xFF);
            Unsafe.Add(ref curRef, i) = (byte)result.GetElement(0);
            Unsafe.Add(ref curRef, i + 1) = (byte)result.GetElement(1);
            Unsafe.Add(ref curRef, i + 2) = (byte)result.GetElement(2);
            if (bpp == 4) Unsafe.Add(ref curRef, i + 3) = (byte)result.GetElement(3);
            a = result;
        }
        for (; i < n; i++)
            cur[i] += (byte)(((i < bpp ? 0 : cur[i - bpp]) + prev[i]) >> 1);
    }

    /// <summary>The Paeth predictor without branches (photos make them unpredictable, and grey and palette rows, one byte
    /// a pixel, have no vector path): a when pa ≤ pb and pa ≤ pc, else b when pb ≤ pc, else c.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static byte Paeth(byte a, byte b, byte c)
    {
        int pa = Abs(b - c), pb = Abs(a - c), pc = Abs(a + b - c - c);
        int takeC = (pc - pb) >> 31;                   // all ones when pc < pb
        int notA = ((pb - pa) | (pc - pa)) >> 31;      // all ones when pb < pa or pc < pa
        int bOrC = (b & ~takeC) | (c & takeC);
        return (byte)((a & ~notA) | (bOrC & notA));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Abs(int x) => (x ^ (x >> 31)) - (x >> 31);
}
