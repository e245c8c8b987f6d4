using System.Buffers;
using System.Buffers.Binary;

namespace VgtData.Images;

/// <summary>
/// ICO: the icon Pillow 9.4 opens, the largest (width × height, then colour depth; among equals the later one), as
/// <c>convert('RGB')</c> gives it: an embedded PNG through <see cref="PngRoute"/>, a bitmap's colour (XOR) part through
/// ImageSharp's BMP decoder (the AND mask only makes alpha, which RGB drops).
/// </summary>
internal sealed class IcoRoute : IImageRoute
{
    private static readonly PngRoute Png = new();

    public string Format => "ICO";

    public bool Matches(ReadOnlySpan<byte> data) =>
        data.Length >= 6 && data[..4].SequenceEqual((ReadOnlySpan<byte>)[0, 0, 1, 0]) && BinaryPrimitives.ReadUInt16LittleEndian(data[4..]) > 0;

    private readonly record struct Entry(int Width, int Height, int Offset, int Size, bool IsPng);

    private static Entry Pick(ReadOnlySpan<byte> data, string path)
    {
        int count = BinaryPrimitives.ReadUInt16LittleEndian(data[4..]);
        if (data.Length < 6 + 16 * count)
            throw new SampleException(SampleFailureReason.Truncated, path, $"ICO directory of {count} entries ends at byte {data.Length}");
        int best = -1;
        long bestSquare = -1, bestDepth = -1;
        for (int i = 0; i < count; i++)
        {
            var e = data.Slice(6 + 16 * i, 16);
            int w = e[0] == 0 ? 256 : e[0], h = e[1] == 0 ? 256 : e[1];
            int bpp = BinaryPrimitives.ReadUInt16LittleEndian(e[6..]);
            long depth = bpp != 0 ? bpp : e[2] != 0 ? (long)Math.Ceiling(Math.Log2(e[2])) : 256;
            // Pillow sorts by depth, then (stably) by area, and takes the last: the largest area, then the deepest, then the later entry.
            if ((long)w * h > bestSquare || ((long)w * h == bestSquare && depth >= bestDepth))
                (best, bestSquare, bestDepth) = (i, (long)w * h, depth);
        }
        var entry = data.Slice(6 + 16 * best, 16);
        uint size = BinaryPrimitives.ReadUInt32LittleEndian(entry[8..]), offset = BinaryPrimitives.ReadUInt32LittleEndian(entry[12..]);
        if ((long)offset + size > data.Length)
            throw new SampleException(SampleFailureReason.Truncated, path, $"ICO image {best} needs {(long)offset + size} bytes, the file ends at {data.Length}");
        bool isPng = PngRoute.IsPng(data.Slice((int)offset, (int)size));
        if (!isPng && size < 16)
            throw new SampleException(SampleFailureReason.Undecodable, path, $"ICO image {best} is {size} bytes, too short for a bitmap header");
        int width = entry[0] == 0 ? 256 : entry[0], height = entry[1] == 0 ? 256 : entry[1];
        return new Entry(width, height, (int)offset, (int)size, isPng);
    }

    public (int Width, int Height) ReadSize(ReadOnlyMemory<byte> data, string path)
    {
        var e = Pick(data.Span, path);
        if (e.IsPng) return Png.ReadSize(data.Slice(e.Offset, e.Size), path);
        var dib = data.Span.Slice(e.Offset, e.Size);
        return (BinaryPrimitives.ReadInt32LittleEndian(dib[4..]), Math.Abs(BinaryPrimitives.ReadInt32LittleEndian(dib[8..])) / 2);
    }

    public ImageDamage? FindDamage(ReadOnlyMemory<byte> data, string path)
    {
        var e = Pick(data.Span, path);
        if (e.IsPng) return Png.FindDamage(data.Slice(e.Offset, e.Size), path);
        using var bmp = Bitmap(data.Span.Slice(e.Offset, e.Size));
        return ContainerCheck.Bmp(bmp.Memory.Span) is { } truncation ? new(SampleFailureReason.Truncated, "ICO bitmap: " + truncation) : null;
    }

    public RgbImage Decode(ReadOnlyMemory<byte> data, string path, int rowsNeeded)
    {
        var e = Pick(data.Span, path);
        if (e.IsPng) return Png.Decode(data.Slice(e.Offset, e.Size), path, rowsNeeded);
        using var bmp = Bitmap(data.Span.Slice(e.Offset, e.Size));
        return ImageSharpRoute.Load(bmp.Memory, path);
    }

    /// <summary>The icon's bitmap as a BMP file: a file header in front, the height halved (an icon's DIB counts the AND
    /// mask's rows too), the mask left after the pixels, where a BMP reader does not look.</summary>
    private static IMemoryOwner<byte> Bitmap(ReadOnlySpan<byte> dib)
    {
        var owner = MemoryPool<byte>.Shared.Rent(14 + dib.Length);
        var bmp = owner.Memory.Span[..(14 + dib.Length)];
        dib.CopyTo(bmp[14..]);
        int header = BinaryPrimitives.ReadInt32LittleEndian(dib);
        int height = BinaryPrimitives.ReadInt32LittleEndian(dib[8..]);
        BinaryPrimitives.WriteInt32LittleEndian(bmp[(14 + 8)..], height / 2);
        int bits = BinaryPrimitives.ReadUInt16LittleEndian(dib[14..]);
        int colours = dib.Length >= 36 ? BinaryPrimitives.ReadInt32LittleEndian(dib[32..]) : 0;
        int palette = bits <= 8 ? (colours != 0 ? colours : 1 << bits) * 4 : 0;
        "BM"u8.CopyTo(bmp);
        BinaryPrimitives.WriteInt32LittleEndian(bmp[2..], bmp.Length);
        BinaryPrimitives.WriteInt32LittleEndian(bmp[6..], 0);
        BinaryPrimitives.WriteInt32LittleEndian(bmp[10..], 14 + header + palette);
        return new Sliced(owner, bmp.Length);
    }

    /// <summary>A rented block seen through its first <c>length</c> bytes.</summary>
    private sealed class Sliced(IMemoryOwner<byte> owner, int length) : IMemoryOwner<byte>
    {
        public Memory<byte> Memory => owner.Memory[..length];
        public void Dispose() => owner.Dispose();
    }
}
