using System.Runtime.InteropServices;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.PixelFormats;

namespace VgtData.Images;

/// <summary>Decodes with ImageSharp, single-threaded inside (the loader parallelises across samples instead); GIFs with
/// <see cref="PillowGifDecoder"/>, which keeps Pillow's colour for transparent pixels where ImageSharp gives black.</summary>
internal sealed class ImageSharpDecoder : IImageDecoder
{
    public ImageSharpDecoder(Configuration? configuration = null)
    {
        Configuration = configuration ?? SingleThreaded;
    }

    /// <summary>ImageSharp with its own parallelism off: loader workers already use every core.</summary>
    public static Configuration SingleThreaded { get; } = CreateSingleThreaded();

    public Configuration Configuration { get; }

    public string Name => "imagesharp";

    private static Configuration CreateSingleThreaded()
    {
        var c = Configuration.Default.Clone();
        c.MaxDegreeOfParallelism = 1;
        return c;
    }

    private static readonly PillowGifDecoder Gif = new();

    public (int Width, int Height) ReadSize(ReadOnlyMemory<byte> data, string path)
    {
        if (PillowGifDecoder.IsGif(data.Span)) return Gif.ReadSize(data, path);
        var info = Identify(data, path);
        return (info.Width, info.Height);
    }

    private IImageInfo Identify(ReadOnlyMemory<byte> data, string path)
    {
        IImageInfo? info;
        try
        {
            using var stream = AsStream(data);
            info = Image.Identify(Configuration, stream);
        }
        catch (Exception e) when (e is not SampleException)
        {
            throw new SampleException(SampleFailureReason.Undecodable, path, e.Message, inner: e);
        }
        if (info is null)
            throw new SampleException(SampleFailureReason.Undecodable, path,
                data.Length == 0 ? "file is empty" : "not a recognised image format");
        return info;
    }

    public Image<Rgb24> Decode(ReadOnlyMemory<byte> data, string path, ImageLimits limits)
    {
        if (PillowGifDecoder.IsGif(data.Span)) return Gif.Decode(data, path, limits);
        if (data.Span.StartsWith(PngMagic) && PngCrc.FindDamagedChunk(data.Span) is { } damage)
            throw new SampleException(SampleFailureReason.Undecodable, path, damage);
        var info = Identify(data, path);
        limits.Check(info.Width, info.Height, path);
        var truncation = ContainerCheck.FindTruncation(data.Span);
        if (truncation != null) throw new SampleException(SampleFailureReason.Truncated, path, truncation);
        // ImageSharp fills rows past the end of short PNG image data with zeros; Pillow refuses the file.
        if (data.Span.StartsWith(PngMagic) && PngImageDataCheck.FindShortImageData(data, path) is { } shortData)
            throw new SampleException(SampleFailureReason.Truncated, path, shortData);
        try
        {
            var png = info.Metadata.GetPngMetadata();
            if (png.BitDepth == PngBitDepth.Bit16 && data.Span.StartsWith(PngMagic))
                return png.ColorType == PngColorType.Grayscale ? DecodeGray16Clipped(data) : DecodeSixteenBitHighByte(data);
            return Image.Load<Rgb24>(Configuration, data.Span);
        }
        catch (Exception e) when (e is not SampleException)
        {
            throw new SampleException(SampleFailureReason.Undecodable, path, e.Message, inner: e);
        }
    }

    private static MemoryStream AsStream(ReadOnlyMemory<byte> data) =>
        MemoryMarshal.TryGetArray(data, out var segment)
            ? new MemoryStream(segment.Array!, segment.Offset, segment.Count, writable: false)
            : new MemoryStream(data.ToArray(), writable: false);

    private static ReadOnlySpan<byte> PngMagic => [0x89, (byte)'P', (byte)'N', (byte)'G'];

    // Pillow opens a 16-bit grey PNG as mode "I"; convert('RGB') then clips every value above 255 to 255.
    private Image<Rgb24> DecodeGray16Clipped(ReadOnlyMemory<byte> data) =>
        Convert<L16>(data, p => { byte v = (byte)Math.Min(p.PackedValue, (ushort)255); return new Rgb24(v, v, v); });

    // Pillow reads other 16-bit PNGs (RGB, RGBA, LA) through "…;16B" raw modes, which keep the high byte of each sample.
    private Image<Rgb24> DecodeSixteenBitHighByte(ReadOnlyMemory<byte> data) =>
        Convert<Rgba64>(data, p => new Rgb24((byte)(p.R >> 8), (byte)(p.G >> 8), (byte)(p.B >> 8)));

    private Image<Rgb24> Convert<TPixel>(ReadOnlyMemory<byte> data, Func<TPixel, Rgb24> toRgb) where TPixel : unmanaged, IPixel<TPixel>
    {
        using var src = Image.Load<TPixel>(Configuration, data.Span);
        var dst = new Image<Rgb24>(Configuration, src.Width, src.Height);
        src.ProcessPixelRows(dst, (s, d) =>
        {
            for (int y = 0; y < s.Height; y++)
            {
                var sr = s.GetRowSpan(y);
                var dr = d.GetRowSpan(y);
                for (int x = 0; x < sr.Length; x++) dr[x] = toRgb(sr[x]);
            }
        });
        return dst;
    }
}
