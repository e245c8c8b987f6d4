using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.PixelFormats;
using VgtData.Images;

namespace VgtData.Tests.Fixtures;

/// <summary>Runs a test body on one of the two libjpeg-turbo routes of <see cref="LibjpegTurboDecoder"/> on this thread:
/// "turbojpeg" (the system's libturbojpeg, skipped with a clear message where it is not installed) or "libvips".</summary>
public static class JpegRoute
{
    public static readonly string[] Names = ["turbojpeg", "libvips"];

    public static IDisposable Use(string route)
    {
        if (route == "turbojpeg")
            Skip.IfNot(TurboJpeg.IsAvailable, "libturbojpeg.so.0 is not installed (Debian: libturbojpeg0); the libvips route is tested instead");
        bool was = TurboJpeg.Enabled;
        TurboJpeg.Enabled = route == "turbojpeg";
        return new Restore(was);
    }

    /// <summary>Runs <paramref name="decode"/> with TurboJPEG on or off on this thread (off: the libvips/Skia route).</summary>
    public static T On<T>(bool turbo, Func<T> decode)
    {
        using var restore = new Restore(TurboJpeg.Enabled);
        TurboJpeg.Enabled = turbo;
        return decode();
    }

    /// <summary>A q90 4:2:0 JPEG of a smooth, noisy photo-like image (red follows x, green y, blue is noise).</summary>
    public static byte[] Photo(int width, int height, int redStep = 5, int greenStep = 3, int seed = 1)
    {
        using var image = new Image<Rgb24>(width, height);
        var rng = new Random(seed);
        image.ProcessPixelRows(a =>
        {
            for (int y = 0; y < height; y++)
            {
                var row = a.GetRowSpan(y);
                for (int x = 0; x < width; x++) row[x] = new Rgb24((byte)(x * redStep), (byte)(y * greenStep), (byte)rng.Next(256));
            }
        });
        var ms = new MemoryStream();
        image.SaveAsJpeg(ms, new JpegEncoder { Quality = 90 });
        return ms.ToArray();
    }

    /// <summary>An image's pixels as packed RGB bytes.</summary>
    public static byte[] Pixels(RgbImage image) => image.Pixels.ToArray();

    public static byte[] Pixels(Image<Rgb24> image)
    {
        var bytes = new byte[image.Width * image.Height * 3];
        image.CopyPixelDataTo(System.Runtime.InteropServices.MemoryMarshal.Cast<byte, Rgb24>(bytes.AsSpan()));
        return bytes;
    }

    private sealed class Restore(bool was) : IDisposable
    {
        public void Dispose() => TurboJpeg.Enabled = was;
    }
}
