using System.Buffers.Binary;
using SixLabors.ImageSharp.PixelFormats;

namespace VgtData.Images;

/// <summary>
/// PNG: every file that is not interlaced and has at most 8 bits a sample (RGB, RGBA, grey, grey + alpha, palette) through
/// <see cref="PngRowDecoder"/>, which inflates once and stops unfiltering after the rows a crop needs; interlaced and
/// 16-bit files, and palette files without a usable PLTE, through ImageSharp, with Pillow's 16-bit rules. Ancillary
/// chunks are not interpreted (Pillow applies neither ICC profiles nor gAMA; tRNS does not change RGB).
/// </summary>
internal sealed class PngRoute : IImageRoute
{
    /// <summary>The eight bytes every PNG starts with.</summary>
    public static ReadOnlySpan<byte> Signature => [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];

    public static bool IsPng(ReadOnlySpan<byte> data) => data.StartsWith(Signature);

    public string Format => "PNG";

    public bool Matches(ReadOnlySpan<byte> data) => IsPng(data);

    public (int Width, int Height) ReadSize(ReadOnlyMemory<byte> data, string path)
    {
        var h = ReadIhdr(data.Span, path);
        return (h.Width, h.Height);
    }

    public ImageDamage? FindDamage(ReadOnlyMemory<byte> data, string path)
    {
        var span = data.Span;
        if (ContainerCheck.Png(span) is { } truncation) return new(SampleFailureReason.Truncated, truncation);
        if (PngCrc.FindDamagedChunk(span) is { } damage) return new(SampleFailureReason.Undecodable, damage);
        // ImageSharp fills rows past the end of short image data with zeros; Pillow refuses the file. The row decoder
        // finds this itself.
        var h = ReadIhdr(span, path);
        if (!RowDecodable(span, h, out _) && PngImageDataCheck.FindShortImageData(data, path) is { } shortData)
            return new(SampleFailureReason.Truncated, shortData);
        return null;
    }

    public RgbImage Decode(ReadOnlyMemory<byte> data, string path, int rowsNeeded)
    {
        var h = ReadIhdr(data.Span, path);
        if (RowDecodable(data.Span, h, out var palette))
            return PngRowDecoder.Decode(data, h.Width, h.Height, h.ColorType, rowsNeeded, path, h.BitDepth, palette);
        if (h.BitDepth != 16) return ImageSharpRoute.Load(data, path);
        // Pillow opens a 16-bit grey PNG as mode "I"; convert('RGB') then clips every value above 255 to 255.
        if (h.ColorType == 0)
            return ImageSharpRoute.Load<L16>(data, path, p => { byte v = (byte)Math.Min(p.PackedValue, (ushort)255); return new Rgb24(v, v, v); });
        // Other 16-bit PNGs (RGB, RGBA, LA) go through "…;16B" raw modes, which keep the high byte of each sample.
        return ImageSharpRoute.Load<Rgba64>(data, path, p => new Rgb24((byte)(p.R >> 8), (byte)(p.G >> 8), (byte)(p.B >> 8)));
    }

    /// <summary>Whether <see cref="PngRowDecoder"/> takes the file; for a palette file, with its 256-entry table.</summary>
    private static bool RowDecodable(ReadOnlySpan<byte> png, Ihdr h, out byte[]? palette)
    {
        palette = null;
        if (!PngRowDecoder.Supports(h.BitDepth, h.ColorType, h.Interlace)) return false;
        return h.ColorType != 3 || (palette = PaletteTable(png)) != null;
    }

    /// <summary>Pillow's palette for a P image: the grey ramp (i, i, i), the last PLTE before the image data over its first
    /// entries; null when there is none, or it is empty, longer than 256 entries or not whole entries (ImageSharp decides).</summary>
    private static byte[]? PaletteTable(ReadOnlySpan<byte> png)
    {
        int plte = -1, length = 0;
        for (int pos = 8; pos + 8 <= png.Length;)
        {
            long size = BinaryPrimitives.ReadUInt32BigEndian(png[pos..]);
            var type = png.Slice(pos + 4, 4);
            if (type.SequenceEqual("IDAT"u8) || pos + 12 + size > png.Length) break;
            if (type.SequenceEqual("PLTE"u8)) (plte, length) = (pos + 8, (int)size);
            pos += 12 + (int)size;
        }
        if (plte < 0 || length == 0 || length > 768 || length % 3 != 0) return null;
        var table = new byte[768];
        for (int i = 0; i < 768; i++) table[i] = (byte)(i / 3);
        png.Slice(plte, length).CopyTo(table);
        return table;
    }

    private readonly record struct Ihdr(int Width, int Height, byte BitDepth, byte ColorType, byte Interlace);

    private static Ihdr ReadIhdr(ReadOnlySpan<byte> data, string path)
    {
        // Signature (8), then the first chunk must be IHDR: length 13, type, width, height, bit depth, colour type, …
        if (data.Length < 33 || !data.Slice(12, 4).SequenceEqual("IHDR"u8))
            throw new SampleException(SampleFailureReason.Undecodable, path, "PNG does not start with an IHDR chunk");
        // Pillow refuses a header whose checksum is wrong before looking at the size.
        if (PngCrc.Compute(data.Slice(12, 17)) != BinaryPrimitives.ReadUInt32BigEndian(data[29..]))
            throw new SampleException(SampleFailureReason.Undecodable, path, "PNG header (IHDR) checksum does not match");
        uint w = BinaryPrimitives.ReadUInt32BigEndian(data[16..]);
        uint h = BinaryPrimitives.ReadUInt32BigEndian(data[20..]);
        if (w == 0 || h == 0 || w > int.MaxValue || h > int.MaxValue)
            throw new SampleException(SampleFailureReason.Undecodable, path, $"PNG header declares an invalid size {w}x{h}");
        return new Ihdr((int)w, (int)h, data[24], data[25], data[28]);
    }
}
