using System.Buffers.Binary;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace VgtData.Images;

/// <summary>
/// The default decoder: 8-bit RGB/RGBA non-interlaced PNGs (nearly every generated-image dataset) go through
/// <see cref="PngRowDecoder"/> (zlib-ng, only the rows the crop needs); JPEGs through <see cref="LibjpegTurboDecoder"/>
/// (libjpeg-turbo, Pillow's pixels, only the rows the crop needs); everything else through <see cref="SkiaDecoder"/>,
/// which hands what Skia would convert differently from Pillow on to ImageSharp.
/// </summary>
internal sealed class FastDecoder : IImageDecoder
{
    private readonly SkiaDecoder _skia;

    public FastDecoder(SkiaDecoder? skia = null) => _skia = skia ?? new SkiaDecoder();

    public string Name => "fast";

    public (int Width, int Height) ReadSize(ReadOnlyMemory<byte> data, string path) => _skia.ReadSize(data, path);

    public Image<Rgb24> Decode(ReadOnlyMemory<byte> data, string path, ImageLimits limits) => Decode(data, path, limits, int.MaxValue);

    public (int Width, int Height) ReadDraftSize(ReadOnlyMemory<byte> data, string path, int requestWidth, int requestHeight) =>
        _skia.ReadDraftSize(data, path, requestWidth, requestHeight);

    public Image<Rgb24> DecodeDraft(ReadOnlyMemory<byte> data, string path, ImageLimits limits, int requestWidth, int requestHeight, int rowsNeeded) =>
        JpegHeader.IsJpeg(data.Span)
            ? _skia.DecodeDraft(data, path, limits, requestWidth, requestHeight, rowsNeeded)
            : Decode(data, path, limits, rowsNeeded);

    public Image<Rgb24> Decode(ReadOnlyMemory<byte> data, string path, ImageLimits limits, int rowsNeeded)
    {
        var span = data.Span;
        if (JpegHeader.IsJpeg(span)) return _skia.Decode(data, path, limits, rowsNeeded);
        if (span.Length < 33 || !span.StartsWith(PngSignature)) return _skia.Decode(data, path, limits);
        var (width, height) = _skia.ReadSize(data, path);   // validates the IHDR (checksum, size)
        byte bitDepth = span[24], colorType = span[25], interlace = span[28];
        if (!PngRowDecoder.Supports(bitDepth, colorType, interlace)) return _skia.Decode(data, path, limits);
        limits.Check(width, height, path);
        var truncation = ContainerCheck.FindTruncation(span);
        if (truncation != null) throw new SampleException(SampleFailureReason.Truncated, path, truncation);
        if (PngCrc.FindDamagedChunk(span) is { } damage) throw new SampleException(SampleFailureReason.Undecodable, path, damage);
        return PngRowDecoder.Decode(data, width, height, colorType, rowsNeeded, ImageSharpDecoder.SingleThreaded, path);
    }

    private static ReadOnlySpan<byte> PngSignature => [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];
}
