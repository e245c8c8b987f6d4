using System.Buffers;
using System.Buffers.Binary;

namespace VgtData.Images;

/// <summary>
/// The first frame of a GIF exactly as Pillow 9.4's <c>Image.open(f).convert('RGB')</c> gives it: the canvas is the logical
/// screen (grown to hold the frame), filled with the transparent index when the frame has one (index 0 otherwise), the
/// frame's indices written over it unchanged, then every index mapped through the frame's palette (local, else global;
/// entries past the table's end and palette-less files read as grey i,i,i). So a transparent pixel shows its palette
/// colour, not black. Stateless and thread-safe.
/// </summary>
internal sealed class PillowGifDecoder : IImageRoute
{
    public string Format => "GIF";

    public static bool IsGif(ReadOnlySpan<byte> data) => data.StartsWith("GIF87a"u8) || data.StartsWith("GIF89a"u8);

    public bool Matches(ReadOnlySpan<byte> data) => IsGif(data);

    // The blocks are checked as they are parsed and decoded.
    public ImageDamage? FindDamage(ReadOnlyMemory<byte> data, string path) => null;

    public (int Width, int Height) ReadSize(ReadOnlyMemory<byte> data, string path)
    {
        var frame = Parse(data.Span, path);
        return (frame.Width, frame.Height);
    }

    public RgbImage Decode(ReadOnlyMemory<byte> data, string path, int rowsNeeded)
    {
        var span = data.Span;
        var frame = Parse(span, path);

        Span<byte> palette = stackalloc byte[256 * 3];
        for (int i = 0; i < 256; i++) palette[3 * i] = palette[3 * i + 1] = palette[3 * i + 2] = (byte)i;
        if (frame.PaletteLength > 0 && PaletteNeeded(span.Slice(frame.PaletteOffset, frame.PaletteLength)))
            span.Slice(frame.PaletteOffset, frame.PaletteLength).CopyTo(palette);

        int count = checked(frame.Width * frame.Height);
        var indices = ArrayPool<byte>.Shared.Rent(count);
        var image = new RgbImage(frame.Width, frame.Height);
        try
        {
            indices.AsSpan(0, count).Fill(frame.Transparency is { } t ? (byte)t : (byte)0);
            DecodeFrame(span, frame, indices, path);
            var rgb = image.Pixels;
            for (int i = 0, o = 0; i < count; i++, o += 3)
            {
                int p = indices[i] * 3;
                rgb[o] = palette[p];
                rgb[o + 1] = palette[p + 1];
                rgb[o + 2] = palette[p + 2];
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
            ArrayPool<byte>.Shared.Return(indices);
        }
    }

    private readonly record struct Frame(int Width, int Height, int X0, int Y0, int FrameWidth, int FrameHeight, bool Interlaced,
        int PaletteOffset, int PaletteLength, int? Transparency, int CodeSize, int DataOffset);

    // Pillow drops a palette that is just the identity grey ramp (the image is then mode L, which converts the same way).
    private static bool PaletteNeeded(ReadOnlySpan<byte> p)
    {
        for (int i = 0; i + 2 < p.Length; i += 3)
            if (!(i / 3 == p[i] && p[i] == p[i + 1] && p[i] == p[i + 2])) return true;
        return false;
    }

    /// <summary>Reads the screen descriptor and the blocks up to the first image, as Pillow's <c>_open</c> and <c>_seek(0)</c> do.</summary>
    private static Frame Parse(ReadOnlySpan<byte> data, string path)
    {
        if (!IsGif(data)) throw new SampleException(SampleFailureReason.Undecodable, path, "not a GIF file");
        if (data.Length < 13) throw new SampleException(SampleFailureReason.Truncated, path, "GIF screen descriptor is cut short");
        int width = BinaryPrimitives.ReadUInt16LittleEndian(data[6..]);
        int height = BinaryPrimitives.ReadUInt16LittleEndian(data[8..]);
        byte flags = data[10];
        int pos = 13;
        int paletteOffset = 0, paletteLength = 0;
        if ((flags & 0x80) != 0)
        {
            paletteOffset = pos;
            paletteLength = 3 << ((flags & 7) + 1);
            pos += paletteLength;
        }
        int? transparency = null;
        while (true)
        {
            if (pos >= data.Length || data[pos] == (byte)';')
                throw new SampleException(SampleFailureReason.Undecodable, path, "GIF has no image");
            byte b = data[pos++];
            if (b == (byte)'!')
            {
                if (pos >= data.Length) throw Truncated(path);
                byte label = data[pos++];
                bool first = true;
                while (true)
                {
                    if (pos >= data.Length) throw Truncated(path);
                    int size = data[pos++];
                    if (size == 0) break;
                    if (pos + size > data.Length) throw Truncated(path);
                    if (first && label == 0xF9)
                    {
                        if (size < 4) throw new SampleException(SampleFailureReason.Undecodable, path, "GIF graphic control block is too short");
                        transparency = (data[pos] & 1) != 0 ? data[pos + 3] : null;
                    }
                    first = false;
                    pos += size;
                }
            }
            else if (b == (byte)',')
            {
                if (pos + 10 > data.Length) throw Truncated(path);
                int x0 = BinaryPrimitives.ReadUInt16LittleEndian(data[pos..]);
                int y0 = BinaryPrimitives.ReadUInt16LittleEndian(data[(pos + 2)..]);
                int fw = BinaryPrimitives.ReadUInt16LittleEndian(data[(pos + 4)..]);
                int fh = BinaryPrimitives.ReadUInt16LittleEndian(data[(pos + 6)..]);
                byte imageFlags = data[pos + 8];
                pos += 9;
                if ((imageFlags & 0x80) != 0)
                {
                    int length = 3 << ((imageFlags & 7) + 1);
                    if (pos + length > data.Length) throw Truncated(path);
                    paletteOffset = pos;
                    paletteLength = length;
                    // A local table that is the grey ramp replaces the global one with none (Pillow's palette = False).
                    if (!PaletteNeeded(data.Slice(pos, length))) paletteLength = 0;
                    pos += length;
                }
                if (pos >= data.Length) throw Truncated(path);
                int codeSize = data[pos++];
                width = Math.Max(width, x0 + fw);
                height = Math.Max(height, y0 + fh);
                if (width == 0 || height == 0)
                    throw new SampleException(SampleFailureReason.Undecodable, path, $"GIF declares a size of {width}x{height}");
                return new Frame(width, height, x0, y0, fw, fh, (imageFlags & 0x40) != 0, paletteOffset, paletteLength, transparency, codeSize, pos);
            }
            // Pillow skips any other byte between blocks.
        }
    }

    private static SampleException Truncated(string path) => new(SampleFailureReason.Truncated, path, "GIF ends inside a block");

    // Pillow refuses a frame whose data stops (end code, last sub-block, end of file) before every pixel is written.
    private static SampleException ShortData(string path, long written, long total) =>
        new(SampleFailureReason.Truncated, path, $"GIF image data ends after {written} of {total} pixels");

    /// <summary>LZW-decodes the frame's indices into its rectangle of <paramref name="canvas"/>, stopping once it is full.</summary>
    private static void DecodeFrame(ReadOnlySpan<byte> data, Frame f, byte[] canvas, string path)
    {
        long total = (long)f.FrameWidth * f.FrameHeight;
        if (total == 0) return;
        if (f.CodeSize is < 1 or > 11)
            throw new SampleException(SampleFailureReason.Undecodable, path, $"GIF LZW code size {f.CodeSize} is outside 1..11");
        int clear = 1 << f.CodeSize, end = clear + 1;
        Span<short> prefix = stackalloc short[4096];
        Span<byte> suffix = stackalloc byte[4096];
        Span<byte> stack = stackalloc byte[4097];
        int codeBits = f.CodeSize + 1, next = end + 1, previous = -1;
        byte firstOfPrevious = 0;

        int pos = f.DataOffset, blockLeft = 0;
        uint bitBuffer = 0;
        int bitCount = 0;
        long written = 0;
        int x = 0, row = 0, pass = 0;
        int[] passStart = [0, 4, 2, 1], passStep = [8, 8, 4, 2];
        int rowStep = f.Interlaced ? passStep[0] : 1;

        while (true)
        {
            while (bitCount < codeBits)
            {
                if (blockLeft == 0)
                {
                    if (pos >= data.Length) throw ShortData(path, written, total);
                    blockLeft = data[pos++];
                    if (blockLeft == 0) throw ShortData(path, written, total);
                }
                if (pos >= data.Length) throw ShortData(path, written, total);
                bitBuffer |= (uint)data[pos++] << bitCount;
                bitCount += 8;
                blockLeft--;
            }
            int code = (int)(bitBuffer & ((1u << codeBits) - 1));
            bitBuffer >>= codeBits;
            bitCount -= codeBits;

            if (code == clear)
            {
                codeBits = f.CodeSize + 1;
                next = end + 1;
                previous = -1;
                continue;
            }
            if (code == end) throw ShortData(path, written, total);

            int sp = 0, c = code;
            if (previous < 0)
            {
                if (code >= clear)
                    throw new SampleException(SampleFailureReason.Undecodable, path, $"GIF LZW data starts with code {code}");
                stack[sp++] = (byte)code;
            }
            else
            {
                if (code > next)
                    throw new SampleException(SampleFailureReason.Undecodable, path, $"GIF LZW code {code} is past the table ({next})");
                if (code == next)
                {
                    stack[sp++] = firstOfPrevious;
                    c = previous;
                }
                while (c >= clear)
                {
                    stack[sp++] = suffix[c];
                    c = prefix[c];
                }
                stack[sp++] = (byte)c;
                if (next < 4096)
                {
                    prefix[next] = (short)previous;
                    suffix[next] = (byte)c;
                    next++;
                    if (next == 1 << codeBits && codeBits < 12) codeBits++;
                }
            }
            firstOfPrevious = (byte)c;
            previous = code;

            // The stack holds the string backwards.
            while (sp > 0)
            {
                canvas[(f.Y0 + row) * f.Width + f.X0 + x] = stack[--sp];
                if (++written == total) return;
                if (++x == f.FrameWidth)
                {
                    x = 0;
                    row += rowStep;
                    while (f.Interlaced && row >= f.FrameHeight && pass < 3)
                    {
                        pass++;
                        row = passStart[pass];
                        rowStep = passStep[pass];
                    }
                }
            }
        }
    }
}
