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
/// The common PNG case — 8-bit RGB or RGBA, not interlaced — decoded row by row with .NET's zlib (zlib-ng), unfiltering
/// only the rows a crop needs: a portrait image's crop2square window rarely reaches its last rows. The rest of the image
/// data is still inflated and its filter bytes checked, so a file Pillow refuses for damage below the crop is refused
/// here too, whatever rows are asked for (the loader and <c>validate</c> give one verdict). The caller checks chunk
/// structure and CRCs beforehand.
/// Returns null for anything else (the caller decodes it another way).
/// </summary>
internal static class PngRowDecoder
{
    public static bool Supports(byte bitDepth, byte colorType, byte interlace) =>
        bitDepth == 8 && colorType is 2 or 6 && interlace == 0;

    /// <summary>Decodes rows [0, <paramref name="rows"/>) of a supported PNG into an image of that height.</summary>
    public static RgbImage Decode(ReadOnlyMemory<byte> data, int width, int height, byte colorType, int rows, string path)
    {
        if (Libdeflate.Enabled && DecodeWithLibdeflate(data, width, height, colorType, rows, path) is { } fast) return fast;
        int bpp = colorType == 6 ? 4 : 3;
        int rowBytes = checked(width * bpp);
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
                    var row = output.Slice((y0 + i) * outStride, outStride);
                    if (bpp == 3) cur.CopyTo(row);
                    else DropAlpha(cur, row);
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
    internal static RgbImage? DecodeWithLibdeflate(ReadOnlyMemory<byte> data, int width, int height, byte colorType, int rows, string path)
    {
        int bpp = colorType == 6 ? 4 : 3;
        int rowBytes = checked(width * bpp);
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
                        var row = output.Slice(y * outStride, outStride);
                        if (bpp == 3) cur.CopyTo(row);
                        else DropAlpha(cur, row);
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

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void DropAlpha(ReadOnlySpan<byte> rgba, Span<byte> rgb)
    {
        for (int i = 0, j = 0; j + 2 < rgb.Length; i += 4, j += 3)
        {
            rgb[j] = rgba[i];
            rgb[j + 1] = rgba[i + 1];
            rgb[j + 2] = rgba[i + 2];
        }
    }

    /// <summary>Reverses the PNG filter of one row in place (filter types 0–4, bytes per pixel 3 or 4). The vector paths
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
                if (vectorize && Sse41.IsSupported)
                {
                    AverageVector(cur, prev, bpp);
                    return;
                }
                for (int i = 0; i < bpp; i++) cur[i] += (byte)(prev[i] >> 1);
                for (int i = bpp; i < n; i++) cur[i] += (byte)((cur[i - bpp] + prev[i]) >> 1);
                return;
            case 4:
                if (vectorize && Sse41.IsSupported)
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

    private static byte Paeth(byte a, byte b, byte c)
    {
        int p = a + b - c;
        int pa = Math.Abs(p - a), pb = Math.Abs(p - b), pc = Math.Abs(p - c);
        return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
    }
}
