using System.Runtime.InteropServices;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;

namespace VgtData.Images;

/// <summary>Crop then resize to a size with Pillow's default filter (bicubic, antialiased when shrinking).</summary>
public static class SquareResize
{
    /// <summary>Crops <paramref name="image"/> in place to <paramref name="box"/>, resizes it to width × height,
    /// and copies the pixels out into a pooled HWC buffer.</summary>
    public static RgbImage Apply(Image<Rgb24> image, CropBox box, int width, int height)
    {
        image.Mutate(ctx =>
        {
            if (box.Left != 0 || box.Upper != 0 || box.Width != image.Width || box.Height != image.Height)
                ctx.Crop(new Rectangle(box.Left, box.Upper, box.Width, box.Height));
            if (box.Width != width || box.Height != height)
                ctx.Resize(new ResizeOptions
                {
                    Size = new Size(width, height),
                    Sampler = KnownResamplers.Bicubic,
                    Mode = ResizeMode.Stretch,
                    Compand = false,
                    PremultiplyAlpha = false,
                });
        });
        var result = new RgbImage(width, height);
        try
        {
            image.CopyPixelDataTo(MemoryMarshal.Cast<byte, Rgb24>(result.Pixels));
            return result;
        }
        catch
        {
            result.Dispose();
            throw;
        }
    }
}
