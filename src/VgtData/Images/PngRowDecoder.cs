using System.Buffers;
using System.Buffers.Binary;
using System.IO.Compression;
using System.Numerics;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Advanced;
using SixLabors.ImageSharp.PixelFormats;

namespace VgtData.Images;

/// <summary>
/// The common PNG case — 8-bit RGB or RGBA, not interlaced — decoded row by row with .NET's zlib (zlib-ng), stopping
/// once the rows a crop needs are done: a portrait image's crop2square window rarely reaches its last rows, and those
/// are never inflated. Like Pillow, IDAT checksums are not verified; chunk structure is checked beforehand.
/// Returns null for anything else (the caller decodes it another way).
/// </summary>
internal static class PngRowDecoder
{
    public static bool Supports(byte bitDepth, byte colorType, byte interlace) =>
        bitDepth == 8 && colorType is 2 or 6 && interlace == 0;

    /// <summary>Decodes rows [0, <paramref name="rows"/>) of a supported PNG into an image of that height.</summary>
    public static Image<Rgb24> Decode(ReadOnlyMemory<byte> data, int width, int height, byte colorType, int rows, Configuration configuration, string path)
    {
        int bpp = colorType == 6 ? 4 : 3;
        int rowBytes = checked(width * bpp);
        rows = Math.Clamp(rows, 1, height);
        var image = new Image<Rgb24>(configuration, width, rows);
        int stride = rowBytes + 1;
        // Inflate many rows per call: the native inflater is fastest on large reads.
        int block = Math.Max(1, Math.Min(rows, (256 << 10) / stride));
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
                int got;
                try
                {
                    got = zlib.ReadAtLeast(buffer.AsSpan(0, count * stride), count * stride, throwOnEndOfStream: false);
                }
                catch (InvalidDataException e)
                {
                    throw new SampleException(SampleFailureReason.Undecodable, path, $"PNG image data is corrupt near row {y0}: {e.Message}");
                }
                if (got < count * stride)
                    throw new SampleException(SampleFailureReason.Truncated, path, $"PNG image data ends after {y0 + got / stride} of {height} rows");
                for (int i = 0; i < count; i++)
                {
                    var cur = buffer.AsSpan(i * stride + 1, rowBytes);
                    if (i > 0) prev = buffer.AsSpan((i - 1) * stride + 1, rowBytes);
                    else if (prevBlockRow != null) prev = prevBlockRow.AsSpan(0, rowBytes);
                    Unfilter(buffer[i * stride], cur, prev, bpp, path, y0 + i);
                    var row = System.Runtime.InteropServices.MemoryMarshal.AsBytes(image.DangerousGetPixelRowMemory(y0 + i).Span);
                    if (bpp == 3) cur.CopyTo(row);
                    else DropAlpha(cur, row);
                }
                // The last row of this block is the previous row of the next one.
                prevBlockRow ??= ArrayPool<byte>.Shared.Rent(rowBytes);
                buffer.AsSpan((count - 1) * stride + 1, rowBytes).CopyTo(prevBlockRow);
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

    private static void DropAlpha(ReadOnlySpan<byte> rgba, Span<byte> rgb)
    {
        for (int i = 0, j = 0; j + 2 < rgb.Length; i += 4, j += 3)
        {
            rgb[j] = rgba[i];
            rgb[j + 1] = rgba[i + 1];
            rgb[j + 2] = rgba[i + 2];
        }
    }

    /// <summary>Reverses the PNG filter of one row in place (filter types 0–4, bytes per pixel 3 or 4).</summary>
    internal static void Unfilter(byte filter, Span<byte> cur, ReadOnlySpan<byte> prev, int bpp, string path, int y)
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
                for (; i + Vector<byte>.Count <= n; i += Vector<byte>.Count)
                    (new Vector<byte>(cur[i..]) + new Vector<byte>(prev[i..])).CopyTo(cur[i..]);
                for (; i < n; i++) cur[i] += prev[i];
                return;
            }
            case 3:
                for (int i = 0; i < bpp; i++) cur[i] += (byte)(prev[i] >> 1);
                for (int i = bpp; i < n; i++) cur[i] += (byte)((cur[i - bpp] + prev[i]) >> 1);
                return;
            case 4:
                for (int i = 0; i < bpp; i++) cur[i] += prev[i];
                for (int i = bpp; i < n; i++) cur[i] += Paeth(cur[i - bpp], prev[i], prev[i - bpp]);
                return;
            default:
                throw new SampleException(SampleFailureReason.Undecodable, path, $"PNG row {y} has unknown filter type {filter}");
        }
    }

    private static byte Paeth(byte a, byte b, byte c)
    {
        int p = a + b - c;
        int pa = Math.Abs(p - a), pb = Math.Abs(p - b), pc = Math.Abs(p - c);
        return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
    }
}
