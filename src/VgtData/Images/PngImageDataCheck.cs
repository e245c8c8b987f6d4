using System.Buffers;
using System.Buffers.Binary;
using System.IO.Compression;

namespace VgtData.Images;

/// <summary>
/// Whether a PNG's compressed image data inflates to every row its header promises. Some decoders fill rows past the
/// end of the data with zeros; Pillow refuses such a file, and so do we (used for PNGs decoded by ImageSharp).
/// </summary>
internal static class PngImageDataCheck
{
    private static readonly (int X0, int Y0, int DX, int DY)[] Adam7 =
        [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)];

    /// <summary>Bytes the image data must inflate to: rows of (1 filter byte + packed pixels), per Adam7 pass if interlaced.</summary>
    public static long ExpectedBytes(int width, int height, int bitDepth, int colorType, bool interlaced)
    {
        int channels = colorType switch { 0 => 1, 2 => 3, 3 => 1, 4 => 2, 6 => 4, _ => 0 };
        long Rows(long w, long h) => w <= 0 || h <= 0 ? 0 : h * (1 + (w * channels * bitDepth + 7) / 8);
        if (!interlaced) return Rows(width, height);
        long total = 0;
        foreach (var (x0, y0, dx, dy) in Adam7)
            total += Rows((width - x0 + dx - 1) / dx, (height - y0 + dy - 1) / dy);
        return total;
    }

    /// <summary>Null when the data is complete, else what is missing. Throws <see cref="SampleException"/>
    /// (Undecodable) when the data does not inflate at all.</summary>
    public static string? FindShortImageData(ReadOnlyMemory<byte> png, string path)
    {
        var span = png.Span;
        if (span.Length < 33) return "PNG ends inside its header";
        int width = (int)BinaryPrimitives.ReadUInt32BigEndian(span[16..]);
        int height = (int)BinaryPrimitives.ReadUInt32BigEndian(span[20..]);
        long expected = ExpectedBytes(width, height, span[24], span[25], span[28] == 1);
        var scratch = ArrayPool<byte>.Shared.Rent(256 << 10);
        try
        {
            using var zlib = new ZLibStream(new PngIdatStream(png, path), CompressionMode.Decompress);
            long total = 0;
            int n;
            while (total < expected && (n = zlib.Read(scratch, 0, (int)Math.Min(scratch.Length, expected - total))) > 0) total += n;
            return total < expected ? $"PNG image data holds {total} of the {expected} bytes its header promises" : null;
        }
        catch (Exception e) when (e is InvalidDataException or IOException)
        {
            throw new SampleException(SampleFailureReason.Undecodable, path, $"PNG image data is corrupt: {e.Message}");
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(scratch);
        }
    }
}
