using System.Runtime.CompilerServices;
using System.Buffers;
using NetVips;
using VipsImage = NetVips.Image;

namespace VgtData.Images;

/// <summary>
/// JPEGs decoded by libjpeg-turbo exactly as Pillow 9.4's <c>Image.open(f).convert('RGB')</c>: the same decoder and
/// settings (ISLOW IDCT, fancy upsampling), EXIF orientation and ICC profiles ignored, grey replicated to RGB, CMYK/YCCK
/// through libjpeg's CMYK output (inverted when an Adobe marker is present, as Pillow's "CMYK;I") and then Pillow's
/// <c>(255 − k) − c·(255 − k)/255</c>. Grey and YCbCr files go through the system's TurboJPEG where it is installed
/// (faster); the rest, and every file TurboJPEG reports anything about, through libvips' bundled decoder (mozjpeg, whose
/// decoder is libjpeg-turbo's), sequentially, so a crop that ends above the last row stops decoding there. The pixels
/// land in one pooled block; nothing of per-image size is kept between calls. Stateless and thread-safe.
/// </summary>
internal sealed class LibjpegTurboDecoder : IImageRoute
{
    public string Format => "JPEG";

    /// <summary>Whether the bundled libvips loaded on this machine (without it JPEGs are refused).</summary>
    public static bool IsAvailable => LibVips.IsAvailable;

    /// <summary>Why libvips could not be loaded, or null.</summary>
    public static string? UnavailableReason => LibVips.UnavailableReason;

    public bool Matches(ReadOnlySpan<byte> data) => JpegHeader.IsJpeg(data);

    public (int Width, int Height) ReadSize(ReadOnlyMemory<byte> data, string path)
    {
        var h = JpegHeader.Read(data.Span, path);
        return (h.Width, h.Height);
    }

    public ImageDamage? FindDamage(ReadOnlyMemory<byte> data, string path)
    {
        var header = JpegHeader.Read(data.Span, path);
        if (header.Components is not (1 or 3 or 4))
            return new(SampleFailureReason.Undecodable, $"JPEG with {header.Components} colour components");
        return ContainerCheck.Jpeg(data.Span) is { } truncation ? new(SampleFailureReason.Truncated, truncation) : null;
    }

    public RgbImage Decode(ReadOnlyMemory<byte> data, string path, int rowsNeeded) => DecodeAt(data, path, 1, rowsNeeded);

    /// <summary>Pillow 9.4's <c>JpegImageFile.draft</c>: scale = min(w // request_w, h // request_h), then the largest of
    /// 8, 4, 2, 1 not above it.</summary>
    public static int DraftScale(int width, int height, int requestWidth, int requestHeight)
    {
        if (requestWidth <= 0 || requestHeight <= 0) return 1;
        int scale = Math.Min(width / requestWidth, height / requestHeight);
        return scale >= 8 ? 8 : scale >= 4 ? 4 : scale >= 2 ? 2 : 1;
    }

    /// <summary>libjpeg's scaled size, ⌈side / scale⌉, as Pillow gives it.</summary>
    private static (int Width, int Height) DraftSize(JpegHeader h, int scale) => ((h.Width + scale - 1) / scale, (h.Height + scale - 1) / scale);

    public (int Width, int Height) ReadDraftSize(ReadOnlyMemory<byte> data, string path, int requestWidth, int requestHeight)
    {
        var h = JpegHeader.Read(data.Span, path);
        return DraftSize(h, DraftScale(h.Width, h.Height, requestWidth, requestHeight));
    }

    /// <summary>Pillow's <c>im.draft('RGB', (w, h))</c> then <c>convert('RGB')</c>: libjpeg-turbo's DCT-scaled decode (ISLOW,
    /// fancy upsampling, as Pillow leaves them).</summary>
    public RgbImage DecodeDraft(ReadOnlyMemory<byte> data, string path, int requestWidth, int requestHeight, int rowsNeeded)
    {
        var header = JpegHeader.Read(data.Span, path);
        return DecodeAt(data, path, DraftScale(header.Width, header.Height, requestWidth, requestHeight), rowsNeeded);
    }

    private static RgbImage DecodeAt(ReadOnlyMemory<byte> data, string path, int scale, int rowsNeeded)
    {
        var header = JpegHeader.Read(data.Span, path);
        var (width, height) = DraftSize(header, scale);
        int rows = Math.Clamp(rowsNeeded, 1, height);
        if (UsesTurboJpeg(header, scale))
        {
            var turbo = DecodeTurbo(data, width, height, out bool clean);
            if (clean) return turbo;
            // libjpeg reported something: libvips (the same decoder, with Pillow's tolerance of warnings) decides, on every
            // row, so the verdict does not depend on the rows the crop needs (the loader and validate agree).
            turbo.Dispose();
            rows = height;
        }
        return DecodeVips(data, header, rows, path, scale);
    }

    /// <summary>Grey and YCbCr files go through the system's TurboJPEG where it is installed and decodes at exactly this
    /// scale; CMYK files (Pillow's own CMYK arithmetic) and every file where it is not go through libvips.</summary>
    private static bool UsesTurboJpeg(JpegHeader header, int scale) =>
        header.Components != 4 && TurboJpeg.Enabled && TurboJpeg.DecodesAtScale(header.Width, header.Height, scale);

    /// <summary>The whole image, full size or DCT-scaled, straight into one pooled block (TurboJPEG cannot stop after the
    /// crop's last row; it is still faster than libvips stopping there). <paramref name="clean"/> is false when libjpeg
    /// reported anything, a warning or an error.</summary>
    private static RgbImage DecodeTurbo(ReadOnlyMemory<byte> data, int width, int height, out bool clean)
    {
        var image = new RgbImage(width, height);
        clean = TurboJpeg.Decode(data.Span, image.Pixels, width, height);
        return image;
    }

    private static RgbImage DecodeVips(ReadOnlyMemory<byte> data, JpegHeader header, int rows, string path, int scale)
    {
        if (!LibVips.IsAvailable)
            throw new SampleException(SampleFailureReason.Undecodable, path, $"libvips is not available: {LibVips.UnavailableReason}");
        byte[]? padded = null;
        try
        {
            int paddedWidth = (header.Width + scale - 1) / scale * scale, paddedHeight = (header.Height + scale - 1) / scale * scale;
            if ((paddedWidth != header.Width || paddedHeight != header.Height) && paddedWidth <= ushort.MaxValue && paddedHeight <= ushort.MaxValue)
            {
                // libvips rounds a scaled size down where libjpeg (and Pillow) round up: a copy whose frame header
                // declares the sides rounded up to the scale decodes the same blocks (the MCU and chroma counts
                // at that scale do not change, as the scale divides the MCU size) and gives the last row and column.
                padded = ArrayPool<byte>.Shared.Rent(data.Length);
                data.Span.CopyTo(padded);
                JpegHeader.Read(data.Span, path, out int frameAt);
                header = header with { Width = paddedWidth, Height = paddedHeight };
                System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(padded.AsSpan(frameAt + 5), (ushort)header.Height);
                System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(padded.AsSpan(frameAt + 7), (ushort)header.Width);
                data = padded.AsMemory(0, data.Length);
            }
            return DecodeRows(data, header, rows, path, scale);
        }
        catch (VipsException e)
        {
            throw new SampleException(IsTruncation(e.Message) ? SampleFailureReason.Truncated : SampleFailureReason.Undecodable,
                path, "libjpeg-turbo: " + LibjpegMessage(e.Message), inner: e);
        }
        finally
        {
            if (padded != null) ArrayPool<byte>.Shared.Return(padded);
        }
    }

    private static unsafe RgbImage DecodeRows(ReadOnlyMemory<byte> data, JpegHeader header, int rows, string path, int shrink = 1)
    {
        LibVips.ClearErrors();
        using var pin = data.Pin();
        using var source = LibVips.SourceOver((IntPtr)pin.Pointer, data.Length);
        using var full = shrink == 1
            ? VipsImage.JpegloadSource(source, access: Enums.Access.Sequential, failOn: Enums.FailOn.Truncated)
            : VipsImage.JpegloadSource(source, shrink: shrink, access: Enums.Access.Sequential, failOn: Enums.FailOn.Truncated);
        int width = full.Width, bands = full.Bands;
        var (expectedWidth, expectedHeight) = DraftSize(header, shrink);
        if (width != expectedWidth || full.Height != expectedHeight || bands != header.Components)
            throw new SampleException(SampleFailureReason.Undecodable, path,
                $"header says {expectedWidth}x{expectedHeight} with {header.Components} components, libjpeg-turbo gives {width}x{full.Height} with {bands} bands");
        if (full.Format != Enums.BandFormat.Uchar)
            throw new SampleException(SampleFailureReason.Undecodable, path, $"libjpeg-turbo gives {full.Format} samples, expected 8-bit");
        // Extracting the top rows of a sequential image makes libjpeg-turbo stop after the last of them.
        using var part = rows < full.Height ? full.Crop(0, 0, width, rows) : null;
        var decoded = part ?? full;

        var image = new RgbImage(width, rows);
        try
        {
            if (bands == 3)
            {
                WriteInto(decoded, image.Pixels, width, rows, bands);
            }
            else
            {
                var staging = ArrayPool<byte>.Shared.Rent(checked(width * rows * bands));
                try
                {
                    var raw = staging.AsSpan(0, width * rows * bands);
                    WriteInto(decoded, raw, width, rows, bands);
                    if (bands == 1) GreyToRgb(raw, image.Pixels);
                    else CmykToRgb(raw, image.Pixels);
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(staging);
                }
            }
            return image;
        }
        catch
        {
            image.Dispose();
            throw;
        }
    }

    /// <summary>Runs the decode into <paramref name="target"/> (a pooled managed block), strip by strip on the calling
    /// thread: writing the image whole would decode on a libvips worker thread, and with every loader worker already busy
    /// that hand-off (and the resize then reading pixels another core wrote) cost ~10% of JPEG throughput.</summary>
    private static void WriteInto(VipsImage image, Span<byte> target, int width, int rows, int bands)
    {
        const int StripRows = 16; // small strips keep each fetched copy out of the large-object heap
        using var region = Region.New(image);
        int rowBytes = width * bands;
        for (int y = 0; y < rows; y += StripRows)
        {
            int h = Math.Min(StripRows, rows - y);
            var strip = region.Fetch(0, y, width, h);
            if (strip.Length < h * rowBytes)
                throw new VipsException($"libvips returned {strip.Length} bytes for {h} rows of {rowBytes}");
            strip.AsSpan(0, h * rowBytes).CopyTo(target.Slice(y * rowBytes));
        }
    }

    // Pillow's L → RGB copies the grey value into each channel.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void GreyToRgb(ReadOnlySpan<byte> grey, Span<byte> rgb)
    {
        for (int i = 0, o = 0; i < grey.Length; i++, o += 3)
        {
            byte v = grey[i];
            rgb[o] = v;
            rgb[o + 1] = v;
            rgb[o + 2] = v;
        }
    }

    // Pillow 9.4's cmyk2rgb: with nk = 255 − black, each channel is nk − ink × nk / 255, rounded as its MULDIV255.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void CmykToRgb(ReadOnlySpan<byte> cmyk, Span<byte> rgb)
    {
        for (int i = 0, o = 0; i < cmyk.Length; i += 4, o += 3)
        {
            int nk = 255 - cmyk[i + 3];
            rgb[o] = (byte)(nk - MulDiv255(cmyk[i], nk));
            rgb[o + 1] = (byte)(nk - MulDiv255(cmyk[i + 1], nk));
            rgb[o + 2] = (byte)(nk - MulDiv255(cmyk[i + 2], nk));
        }
    }

    /// <summary>a × b / 255 rounded to nearest, exactly as Pillow computes it.</summary>
    private static int MulDiv255(int a, int b)
    {
        int t = a * b + 128;
        return ((t >> 8) + t) >> 8;
    }

    internal static bool IsTruncation(string message) =>
        message.Contains("premature end", StringComparison.OrdinalIgnoreCase) || message.Contains("truncated", StringComparison.OrdinalIgnoreCase);

    /// <summary>libjpeg's own message when libvips passed one on ("VipsJpeg: Bogus sampling factors": the last, the error
    /// that stopped the decode, follows any warnings), else the first line of libvips' ("unable to call jpegload_source").</summary>
    internal static string LibjpegMessage(string message)
    {
        var lines = message.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        const string Prefix = "VipsJpeg: ";
        var own = lines.LastOrDefault(l => l.StartsWith(Prefix, StringComparison.Ordinal));
        return own != null ? own[Prefix.Length..] : lines.FirstOrDefault() ?? "no message";
    }
}
