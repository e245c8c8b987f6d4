using System.Runtime.InteropServices;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Advanced;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;
using VgtData.Datasets;
using VgtData.Images;

namespace VgtData.Collate;

/// <summary>The anchor's <c>smart_resize_and_crop</c>: fit a sample to the batch resolution when it differs.</summary>
public static class SmartResize
{
    /// <summary>Writes <paramref name="image"/> fitted to height × width into <paramref name="destination"/> (HWC).</summary>
    public static void Apply(RgbImage image, int height, int width, ResizeMode mode, ref SampleRandom random, Span<byte> destination)
    {
        if (image.Height == height && image.Width == width)
        {
            image.Pixels.CopyTo(destination);
            return;
        }
        using var img = Image.LoadPixelData<Rgb24>(ImageSharpDecoder.SingleThreaded, image.Pixels, image.Width, image.Height);
        double sx = (double)width / image.Width, sy = (double)height / image.Height;
        double scale = mode == ResizeMode.PadResize ? Math.Min(sx, sy) : Math.Max(sx, sy);
        int rw = Math.Max(1, (int)Math.Round(image.Width * scale));
        int rh = Math.Max(1, (int)Math.Round(image.Height * scale));
        if (mode != ResizeMode.PadResize) { rw = Math.Max(rw, width); rh = Math.Max(rh, height); }
        else { rw = Math.Min(rw, width); rh = Math.Min(rh, height); }
        img.Mutate(c => c.Resize(new ResizeOptions { Size = new Size(rw, rh), Sampler = KnownResamplers.Bicubic, Mode = SixLabors.ImageSharp.Processing.ResizeMode.Stretch }));
        var pixels = MemoryMarshal.Cast<byte, Rgb24>(destination[..(height * width * 3)]);
        if (mode == ResizeMode.PadResize)
        {
            pixels.Clear();
            int ox = (width - rw) / 2, oy = (height - rh) / 2;
            for (int y = 0; y < rh; y++) img.DangerousGetPixelRowMemory(y).Span.CopyTo(pixels.Slice((oy + y) * width + ox, rw));
            return;
        }
        int x0 = mode == ResizeMode.RandomCrop ? random.NextInt(rw - width + 1) : (rw - width) / 2;
        int y0 = mode == ResizeMode.RandomCrop ? random.NextInt(rh - height + 1) : (rh - height) / 2;
        for (int y = 0; y < height; y++) img.DangerousGetPixelRowMemory(y0 + y).Span.Slice(x0, width).CopyTo(pixels.Slice(y * width, width));
    }
}
