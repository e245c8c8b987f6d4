using System.Buffers;
using VgtData.Datasets;
using VgtData.Images;

namespace VgtData.Collate;

/// <summary>The anchor's <c>smart_resize_and_crop</c>: fit a sample to the batch resolution when it differs.</summary>
internal static class SmartResize
{
    /// <summary>Writes <paramref name="image"/> fitted to height × width into <paramref name="destination"/> (HWC).</summary>
    public static void Apply(RgbImage image, int height, int width, ResizeMode mode, ref SampleRandom random, Span<byte> destination)
    {
        if (image.Height == height && image.Width == width)
        {
            image.Pixels.CopyTo(destination);
            return;
        }
        double sx = (double)width / image.Width, sy = (double)height / image.Height;
        double scale = mode == ResizeMode.PadResize ? Math.Min(sx, sy) : Math.Max(sx, sy);
        int rw = Math.Max(1, (int)Math.Round(image.Width * scale));
        int rh = Math.Max(1, (int)Math.Round(image.Height * scale));
        if (mode != ResizeMode.PadResize) { rw = Math.Max(rw, width); rh = Math.Max(rh, height); }
        else { rw = Math.Min(rw, width); rh = Math.Min(rh, height); }
        // The same Pillow-exact bicubic as the sample's own resize, into a pooled buffer, then crop or pad.
        var resized = ArrayPool<byte>.Shared.Rent(rw * rh * 3);
        try
        {
            PillowResampler.Resample(image.Pixels, image.Width, image.Height, image.Width * 3, resized, rw, rh);
            var dst = destination[..(height * width * 3)];
            if (mode == ResizeMode.PadResize)
            {
                dst.Clear();
                int ox = (width - rw) / 2, oy = (height - rh) / 2;
                for (int y = 0; y < rh; y++)
                    resized.AsSpan(y * rw * 3, rw * 3).CopyTo(dst.Slice(((oy + y) * width + ox) * 3, rw * 3));
                return;
            }
            int x0 = mode == ResizeMode.RandomCrop ? random.NextInt(rw - width + 1) : (rw - width) / 2;
            int y0 = mode == ResizeMode.RandomCrop ? random.NextInt(rh - height + 1) : (rh - height) / 2;
            for (int y = 0; y < height; y++)
                resized.AsSpan(((y0 + y) * rw + x0) * 3, width * 3).CopyTo(dst.Slice(y * width * 3, width * 3));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(resized);
        }
    }
}
