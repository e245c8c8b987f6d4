using System.Runtime.InteropServices;

namespace VgtData.Images;

/// <summary>
/// The system's TurboJPEG library (Debian: libturbojpeg0, libjpeg-turbo 2.1.5, the same libjpeg-turbo Debian's Pillow
/// links), loaded at run time when present. It decodes a JPEG straight into a caller's buffer, at full size or
/// DCT-scaled, with libjpeg's accurate integer IDCT and fancy upsampling, as Pillow does; measured on the benchmark's
/// q90 4:2:0 photos it is 1.3× (half size) to 1.7× (full size) faster than the same decode through libvips. Absent, or
/// disabled with <c>VGTDATA_TURBOJPEG=0</c>, <see cref="LibjpegTurboDecoder"/> keeps using libvips; the pixels are the
/// same either way. One decompressor handle per thread, made once and reused, freed when the thread ends.
/// </summary>
internal static unsafe class TurboJpeg
{
    private static readonly delegate* unmanaged<IntPtr> InitDecompress;
    private static readonly delegate* unmanaged<IntPtr, byte*, nuint, byte*, int, int, int, int, int, int> Decompress2;
    private static readonly delegate* unmanaged<IntPtr, void> Destroy;
    private static readonly (int Num, int Denom)[] ScalingFactors = [];

    [ThreadStatic] private static ThreadNativeHandle? _handle;

    /// <summary>This thread's handle, once it has decoded (tests).</summary>
    internal static ThreadNativeHandle? ThreadHandle => _handle;
    [ThreadStatic] private static bool? _enabledOnThisThread;

    /// <summary>TurboJPEG's pixel formats used here.</summary>
    public const int PixelFormatRgb = 0;

    // TJFLAG_ACCURATEDCT: the ISLOW IDCT (TurboJPEG's decoder default, stated rather than assumed). No TJFLAG_FASTUPSAMPLE
    // (fancy upsampling stays on) and no TJFLAG_STOPONWARNING (any warning already makes the decode count as failed).
    private const int FlagAccurateDct = 4096;

    /// <summary>The library's file name (Debian: libturbojpeg0).</summary>
    public const string LibraryName = "libturbojpeg.so.0";

    static TurboJpeg()
    {
        if (Load(Environment.GetEnvironmentVariable("VGTDATA_TURBOJPEG"), LibraryName) is not { } api) return;
        ScalingFactors = api.ScalingFactors;
        Destroy = (delegate* unmanaged<IntPtr, void>)api.Destroy;   // tjDestroy returns an int, ignored here
        Decompress2 = (delegate* unmanaged<IntPtr, byte*, nuint, byte*, int, int, int, int, int, int>)api.Decompress;
        InitDecompress = (delegate* unmanaged<IntPtr>)api.Init;
    }

    /// <summary>The entry points used here and the library's scaling factors, in its order.</summary>
    internal sealed record Exports(IntPtr Init, IntPtr Decompress, IntPtr Destroy, (int Num, int Denom)[] ScalingFactors);

    /// <summary>Loads <paramref name="library"/> unless <paramref name="setting"/> (the value of VGTDATA_TURBOJPEG) is
    /// "0"; null when it is switched off, absent or lacks an entry point.</summary>
    internal static Exports? Load(string? setting, string library)
    {
        if (setting == "0") return null;
        if (!OperatingSystem.IsLinux() || !NativeLibrary.TryLoad(library, out var lib)) return null;
        if (!NativeLibrary.TryGetExport(lib, "tjInitDecompress", out var init) ||
            !NativeLibrary.TryGetExport(lib, "tjDecompress2", out var decompress) ||
            !NativeLibrary.TryGetExport(lib, "tjGetScalingFactors", out var factors) ||
            !NativeLibrary.TryGetExport(lib, "tjDestroy", out var destroy))
            return null;
        int count = 0;
        var list = ((delegate* unmanaged<int*, int*>)factors)(&count);
        if (list == null || count <= 0) return null;
        var scaling = new (int, int)[count];
        for (int i = 0; i < count; i++) scaling[i] = (list[2 * i], list[2 * i + 1]);
        return new Exports(init, decompress, destroy, scaling);
    }

    /// <summary>Whether libturbojpeg was found (tests may switch it off with <see cref="Enabled"/>).</summary>
    public static bool IsAvailable => InitDecompress != null;

    /// <summary>Whether JPEG decodes use it on this thread: <see cref="IsAvailable"/> unless set (tests and benchmarks
    /// compare both routes; a setting on one thread never changes another's decodes).</summary>
    public static bool Enabled
    {
        get => _enabledOnThisThread ?? IsAvailable;
        set => _enabledOnThisThread = value && IsAvailable;
    }

    /// <summary>Whether TurboJPEG, asked for ⌈width / scale⌉ × ⌈height / scale⌉, decodes at exactly 1/<paramref name="scale"/>.
    /// It takes the first of its scaling factors (largest first: 2, 15/8, … 1, 7/8, … 1/8) whose size fits the one asked
    /// for, so for a few tiny images (3 px: 5/8 also gives 2 px) it would pick another factor, and another IDCT.</summary>
    public static bool DecodesAtScale(int width, int height, int scale)
    {
        int targetWidth = (width + scale - 1) / scale, targetHeight = (height + scale - 1) / scale;
        foreach (var (num, denom) in ScalingFactors)
        {
            long w = ((long)width * num + denom - 1) / denom, h = ((long)height * num + denom - 1) / denom;
            if (w <= targetWidth && h <= targetHeight) return (long)num * scale == denom;
        }
        return false;
    }

    /// <summary>Decodes <paramref name="jpeg"/> into <paramref name="pixels"/> as <paramref name="width"/> ×
    /// <paramref name="height"/> RGB: the image's own size, or its size divided (rounding up) by a DCT scale of 2, 4 or 8,
    /// which TurboJPEG picks from the size asked for (check <see cref="DecodesAtScale"/> first). False when libjpeg
    /// reported anything, a warning or an error: TurboJPEG 2.1 reports an error that follows a warning as a warning, so
    /// the caller cannot rely on its verdict and decodes such a file another way.</summary>
    public static bool Decode(ReadOnlySpan<byte> jpeg, Span<byte> pixels, int width, int height)
    {
        if (pixels.Length < checked(width * height * 3))
            throw new ArgumentException($"{width}x{height} RGB needs {width * height * 3} bytes, the buffer has {pixels.Length}", nameof(pixels));
        if (_handle == null)
        {
            var h = InitDecompress();
            if (h == IntPtr.Zero) throw new OutOfMemoryException("tjInitDecompress failed");
            _handle = new ThreadNativeHandle(h, Destroy);
        }
        var handle = _handle.Value;
        fixed (byte* src = jpeg)
        fixed (byte* dst = pixels)
            return Decompress2(handle, src, (nuint)jpeg.Length, dst, width, width * 3, height, PixelFormatRgb, FlagAccurateDct) == 0;
    }
}
