using System.Buffers.Binary;
using SixLabors.ImageSharp.PixelFormats;

namespace VgtData.Images;

/// <summary>
/// PNG: 8-bit RGB and RGBA, not interlaced (nearly every generated-image dataset), through <see cref="PngRowDecoder"/>,
/// which stops after the rows a crop needs; every other PNG (palette, grey, grey + alpha, 1/2/4-bit, interlaced,
/// 16-bit) through ImageSharp, with Pillow's 16-bit rules. Ancillary chunks are not interpreted (Pillow applies neither
/// ICC profiles nor gAMA).
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
        if (!PngRowDecoder.Supports(h.BitDepth, h.ColorType, h.Interlace) && PngImageDataCheck.FindShortImageData(data, path) is { } shortData)
            return new(SampleFailureReason.Truncated, shortData);
        return null;
    }

    public RgbImage Decode(ReadOnlyMemory<byte> data, string path, int rowsNeeded)
    {
        var h = ReadIhdr(data.Span, path);
        if (PngRowDecoder.Supports(h.BitDepth, h.ColorType, h.Interlace))
            return PngRowDecoder.Decode(data, h.Width, h.Height, h.ColorType, rowsNeeded, path);
        if (h.BitDepth != 16) return ImageSharpRoute.Load(data, path);
        // Pillow opens a 16-bit grey PNG as mode "I"; convert('RGB') then clips every value above 255 to 255.
        if (h.ColorType == 0)
            return ImageSharpRoute.Load<L16>(data, path, p => { byte v = (byte)Math.Min(p.PackedValue, (ushort)255); return new Rgb24(v, v, v); });
        // Other 16-bit PNGs (RGB, RGBA, LA) go through "…;16B" raw modes, which keep the high byte of each sample.
        return ImageSharpRoute.Load<Rgba64>(data, path, p => new Rgb24((byte)(p.R >> 8), (byte)(p.G >> 8), (byte)(p.B >> 8)));
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
