using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SkiaSharp;

namespace VgtData.Images;

/// <summary>
/// Decodes 8-bit (and lower) PNGs with Skia (libpng), about 1.5–1.8× faster than ImageSharp; JPEGs with
/// <see cref="LibjpegTurboDecoder"/> (libjpeg-turbo through libvips: Pillow's exact pixels), or with ImageSharp where libvips is
/// not available; every other file with <see cref="ImageSharpDecoder"/>: 16-bit PNGs (Pillow's clipping and high-byte
/// rules live there) and formats Skia is not used for here (GIF, BMP, WebP, TIFF, …). With <see cref="DecodeJpeg"/>,
/// RGB/grey JPEGs go through Skia's own libjpeg-turbo instead (kept for measurement: about 0.8× ImageSharp's speed on a
/// 1024² JPEG, benchmarks/DecodeBench); CMYK JPEGs never do (Pillow's naive CMYK→RGB differs from Skia's). Pixels are decoded unpremultiplied with no colour-space conversion
/// (Pillow applies neither ICC profiles nor gAMA), then alpha is dropped as Pillow's <c>convert('RGB')</c> does.
/// Stateless, so one instance may be shared by every worker.
/// </summary>
internal sealed class SkiaDecoder : IImageDecoder
{
    private readonly ImageSharpDecoder _fallback;
    private readonly LibjpegTurboDecoder _jpeg = new();

    public SkiaDecoder(ImageSharpDecoder? fallback = null, bool decodeJpeg = false)
    {
        _fallback = fallback ?? new ImageSharpDecoder();
        DecodeJpeg = decodeJpeg;
    }

    /// <summary>Whether RGB and grey JPEGs are decoded by Skia rather than handed to ImageSharp.</summary>
    public bool DecodeJpeg { get; }

    public string Name => "skia";

    private static ReadOnlySpan<byte> PngSignature => [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];

    private enum Kind { Png, Jpeg, Turbo, Other }

    private Kind Sniff(ReadOnlySpan<byte> data)
    {
        if (data.StartsWith(PngSignature)) return Kind.Png;
        if (JpegHeader.IsJpeg(data))
        {
            if (DecodeJpeg) return Kind.Jpeg;
            if (LibjpegTurboDecoder.IsAvailable) return Kind.Turbo;
        }
        return Kind.Other;
    }

    public (int Width, int Height) ReadSize(ReadOnlyMemory<byte> data, string path)
    {
        switch (Sniff(data.Span))
        {
            case Kind.Png:
                var h = ReadIhdr(data.Span, path);
                return (h.Width, h.Height);
            case Kind.Jpeg:
                return WithCodec(data, path, codec => (codec.Info.Width, codec.Info.Height));
            case Kind.Turbo:
                return _jpeg.ReadSize(data, path);
            default:
                return _fallback.ReadSize(data, path);
        }
    }

    public Image<Rgb24> Decode(ReadOnlyMemory<byte> data, string path, ImageLimits limits) => Decode(data, path, limits, int.MaxValue);

    public (int Width, int Height) ReadDraftSize(ReadOnlyMemory<byte> data, string path, int requestWidth, int requestHeight) =>
        Sniff(data.Span) == Kind.Turbo ? _jpeg.ReadDraftSize(data, path, requestWidth, requestHeight) : ReadSize(data, path);

    public Image<Rgb24> DecodeDraft(ReadOnlyMemory<byte> data, string path, ImageLimits limits, int requestWidth, int requestHeight, int rowsNeeded) =>
        Sniff(data.Span) == Kind.Turbo
            ? _jpeg.DecodeDraft(data, path, limits, requestWidth, requestHeight, rowsNeeded)
            : Decode(data, path, limits, rowsNeeded);

    public Image<Rgb24> Decode(ReadOnlyMemory<byte> data, string path, ImageLimits limits, int rowsNeeded)
    {
        var span = data.Span;
        if (span.Length == 0) throw new SampleException(SampleFailureReason.Undecodable, path, "file is empty");
        var kind = Sniff(span);
        if (kind == Kind.Turbo) return _jpeg.Decode(data, path, limits, rowsNeeded);
        if (kind == Kind.Other) return _fallback.Decode(data, path, limits);
        if (kind == Kind.Png)
        {
            var ihdr = ReadIhdr(span, path);
            if (ihdr.BitDepth == 16) return _fallback.Decode(data, path, limits);
            // The header alone decides the limits: a bomb is refused before Skia allocates anything.
            limits.Check(ihdr.Width, ihdr.Height, path);
            if (ContainerCheck.FindTruncation(span) is { } truncation) throw new SampleException(SampleFailureReason.Truncated, path, truncation);
            if (PngCrc.FindDamagedChunk(span) is { } damage) throw new SampleException(SampleFailureReason.Undecodable, path, damage);
        }
        else if (JpegComponents(span) == 4)
        {
            return _fallback.Decode(data, path, limits);
        }
        return WithCodec(data, path, codec => DecodeWith(codec, data, path, limits));
    }

    private Image<Rgb24> DecodeWith(SKCodec codec, ReadOnlyMemory<byte> data, string path, ImageLimits limits)
    {
        int width = codec.Info.Width, height = codec.Info.Height;
        limits.Check(width, height, path);
        var truncation = ContainerCheck.FindTruncation(data.Span);
        if (truncation != null) throw new SampleException(SampleFailureReason.Truncated, path, truncation);

        // No colour space on the target: Skia then leaves the encoded values as they are.
        var info = new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        long bytes = (long)info.RowBytes * height;
        if (bytes > Array.MaxLength)
            throw new SampleException(SampleFailureReason.TooManyPixels, path, $"{width}x{height} is too large to decode in one buffer");
        var buffer = ArrayPool<byte>.Shared.Rent((int)bytes);
        try
        {
            SKCodecResult result;
            unsafe
            {
                fixed (byte* p = buffer) result = codec.GetPixels(info, (IntPtr)p);
            }
            // A PNG whose image data is short or does not inflate gets the reason and detail the ImageSharp route gives
            // (Pillow's verdicts), whichever of the two Skia reports.
            if (result != SKCodecResult.Success && data.Span.StartsWith(PngSignature) && PngImageDataCheck.FindShortImageData(data, path) is { } shortData)
                throw new SampleException(SampleFailureReason.Truncated, path, shortData);
            if (result == SKCodecResult.IncompleteInput)
                throw new SampleException(SampleFailureReason.Truncated, path, "Skia: the image data ends early (IncompleteInput)");
            if (result != SKCodecResult.Success)
                throw new SampleException(SampleFailureReason.Undecodable, path, $"Skia could not decode the pixels ({result})");
            return ToRgb24(buffer, width, height, info.RowBytes);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private Image<Rgb24> ToRgb24(byte[] rgba, int width, int height, int rowBytes)
    {
        var configuration = _fallback.Configuration;
        var image = new Image<Rgb24>(configuration, width, height);
        try
        {
            image.ProcessPixelRows(rows =>
            {
                var ops = PixelOperations<Rgba32>.Instance;
                for (int y = 0; y < height; y++)
                {
                    var src = MemoryMarshal.Cast<byte, Rgba32>(rgba.AsSpan(y * rowBytes, width * 4));
                    ops.ToRgb24(configuration, src, rows.GetRowSpan(y));
                }
            });
            return image;
        }
        catch
        {
            image.Dispose();
            throw;
        }
    }

    /// <summary>Runs <paramref name="use"/> on a codec that reads <paramref name="data"/> in place (pinned, not copied).</summary>
    internal static T WithCodec<T>(ReadOnlyMemory<byte> data, string path, Func<SKCodec, T> use)
    {
        if (data.Length == 0) throw new SampleException(SampleFailureReason.Undecodable, path, "file is empty");
        using var pin = data.Pin();
        SKCodec? codec;
        unsafe
        {
            using var skData = SKData.Create((IntPtr)pin.Pointer, data.Length);
            codec = SKCodec.Create(skData);
        }
        if (codec is null)
            throw new SampleException(SampleFailureReason.Undecodable, path, "Skia cannot read this file's header");
        using (codec) return use(codec);
    }

    private readonly record struct Ihdr(int Width, int Height, byte BitDepth, byte ColorType);

    private static Ihdr ReadIhdr(ReadOnlySpan<byte> data, string path)
    {
        // Signature (8), then the first chunk must be IHDR: length 13, type, width, height, bit depth, colour type, …
        if (data.Length < 33 || !data.Slice(12, 4).SequenceEqual("IHDR"u8))
            throw new SampleException(SampleFailureReason.Undecodable, path, "PNG does not start with an IHDR chunk");
        // Pillow (and ImageSharp) refuse a header whose checksum is wrong before looking at the size.
        if (PngCrc.Compute(data.Slice(12, 17)) != BinaryPrimitives.ReadUInt32BigEndian(data[29..]))
            throw new SampleException(SampleFailureReason.Undecodable, path, "PNG header (IHDR) checksum does not match");
        uint w = BinaryPrimitives.ReadUInt32BigEndian(data[16..]);
        uint h = BinaryPrimitives.ReadUInt32BigEndian(data[20..]);
        if (w == 0 || h == 0 || w > int.MaxValue || h > int.MaxValue)
            throw new SampleException(SampleFailureReason.Undecodable, path, $"PNG header declares an invalid size {w}x{h}");
        return new Ihdr((int)w, (int)h, data[24], data[25]);
    }

    /// <summary>Number of colour components in the JPEG's frame header, or 0 when its header cannot be read (the decoder
    /// that is then chosen refuses the file with the reason).</summary>
    internal static int JpegComponents(ReadOnlySpan<byte> data)
    {
        try
        {
            return JpegHeader.Read(data, "").Components;
        }
        catch (SampleException)
        {
            return 0;
        }
    }
}
