using System.Runtime.InteropServices;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace VgtData.Images;

/// <summary>
/// Every format ImageSharp detects that has no row of its own in <see cref="ImageDecoder.DefaultRoutes"/> (BMP, TGA, TIFF, WebP,
/// PBM/PPM), decoded single-threaded (the loader parallelises across samples instead); also the loader for the PNGs
/// <see cref="PngRoute"/> hands on.
/// </summary>
internal sealed class ImageSharpRoute : IImageRoute
{
    /// <summary>ImageSharp with its own parallelism off: loader workers already use every core.</summary>
    public static Configuration SingleThreaded { get; } = CreateSingleThreaded();

    private static Configuration CreateSingleThreaded()
    {
        var c = Configuration.Default.Clone();
        c.MaxDegreeOfParallelism = 1;
        return c;
    }

    public string Format => "ImageSharp";

    public bool Matches(ReadOnlySpan<byte> data) => Image.DetectFormat(SingleThreaded, data) != null;

    public (int Width, int Height) ReadSize(ReadOnlyMemory<byte> data, string path)
    {
        IImageInfo? info;
        try
        {
            using var stream = AsStream(data);
            info = Image.Identify(SingleThreaded, stream);
        }
        catch (Exception e) when (e is not SampleException)
        {
            throw new SampleException(SampleFailureReason.Undecodable, path, e.Message, inner: e);
        }
        return info is null
            ? throw new SampleException(SampleFailureReason.Undecodable, path, "not a recognised image format")
            : (info.Width, info.Height);
    }

    /// <summary>ImageSharp fills what a cut file lacks with black; Pillow refuses such files, so the container's
    /// declared data must all be present.</summary>
    public ImageDamage? FindDamage(ReadOnlyMemory<byte> data, string path)
    {
        var span = data.Span;
        string? truncation = Image.DetectFormat(SingleThreaded, span) switch
        {
            SixLabors.ImageSharp.Formats.Bmp.BmpFormat => ContainerCheck.Bmp(span),
            SixLabors.ImageSharp.Formats.Pbm.PbmFormat => ContainerCheck.Pnm(span),
            SixLabors.ImageSharp.Formats.Tga.TgaFormat => ContainerCheck.Tga(span),
            SixLabors.ImageSharp.Formats.Tiff.TiffFormat => ContainerCheck.Tiff(span),
            SixLabors.ImageSharp.Formats.Webp.WebpFormat => ContainerCheck.Webp(span),
            _ => null,
        };
        return truncation is null ? null : new ImageDamage(SampleFailureReason.Truncated, truncation);
    }

    public RgbImage Decode(ReadOnlyMemory<byte> data, string path, int rowsNeeded) => Load(data, path);

    /// <summary>ImageSharp's own RGB conversion, copied into a pooled image (ImageSharp is one decoder here, not the
    /// hand-off type).</summary>
    public static RgbImage Load(ReadOnlyMemory<byte> data, string path) => Load<Rgb24>(data, path, null);

    /// <summary>Decodes as <typeparamref name="TPixel"/>, then maps each pixel to RGB with <paramref name="toRgb"/>
    /// (null: the pixels already are RGB).</summary>
    public static RgbImage Load<TPixel>(ReadOnlyMemory<byte> data, string path, Func<TPixel, Rgb24>? toRgb) where TPixel : unmanaged, IPixel<TPixel>
    {
        Image<TPixel> source;
        try
        {
            source = Image.Load<TPixel>(SingleThreaded, data.Span);
        }
        catch (Exception e) when (e is not SampleException)
        {
            throw new SampleException(SampleFailureReason.Undecodable, path, e.Message, inner: e);
        }
        using (source) return Copy(source, toRgb);
    }

    /// <summary>An ImageSharp image as a pooled <see cref="RgbImage"/>, each pixel mapped with <paramref name="toRgb"/>
    /// (null: the pixels already are RGB).</summary>
    internal static RgbImage Copy<TPixel>(Image<TPixel> source, Func<TPixel, Rgb24>? toRgb = null) where TPixel : unmanaged, IPixel<TPixel>
    {
        var result = new RgbImage(source.Width, source.Height);
        source.ProcessPixelRows(rows =>
        {
            for (int y = 0; y < rows.Height; y++)
            {
                var row = rows.GetRowSpan(y);
                var target = MemoryMarshal.Cast<byte, Rgb24>(result.Row(y));
                if (toRgb is null) MemoryMarshal.Cast<TPixel, Rgb24>(row).CopyTo(target);
                else for (int x = 0; x < row.Length; x++) target[x] = toRgb(row[x]);
            }
        });
        return result;
    }

    private static MemoryStream AsStream(ReadOnlyMemory<byte> data) =>
        MemoryMarshal.TryGetArray(data, out var segment)
            ? new MemoryStream(segment.Array!, segment.Offset, segment.Count, writable: false)
            : new MemoryStream(data.ToArray(), writable: false);
}
