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

    private sealed class Restore(bool was) : IDisposable
    {
        public void Dispose() => TurboJpeg.Enabled = was;
    }
}
