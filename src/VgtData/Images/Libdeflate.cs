using System.Runtime.InteropServices;

namespace VgtData.Images;

/// <summary>
/// libdeflate (Debian: libdeflate0), loaded at run time when the system has it: whole-buffer zlib inflate about 1.4× faster
/// than .NET's zlib-ng. Absent, or disabled with <c>VGTDATA_LIBDEFLATE=0</c>, the PNG decoder keeps using zlib-ng; the
/// pixels are the same either way. One decompressor per thread (a few tens of KB, made once, reused, freed when the
/// thread ends).
/// </summary>
internal static unsafe class Libdeflate
{
    private static readonly delegate* unmanaged<IntPtr> Alloc;
    private static readonly delegate* unmanaged<IntPtr, byte*, nuint, byte*, nuint, nuint*, int> ZlibDecompress;

    private static readonly delegate* unmanaged<IntPtr, void> Free;

    [ThreadStatic] private static ThreadNativeHandle? _decompressor;

    /// <summary>This thread's decompressor, once it has inflated (tests).</summary>
    internal static ThreadNativeHandle? ThreadDecompressor => _decompressor;

    /// <summary>The library's file name (Debian: libdeflate0).</summary>
    public const string LibraryName = "libdeflate.so.0";

    static Libdeflate()
    {
        if (Load(Environment.GetEnvironmentVariable("VGTDATA_LIBDEFLATE"), LibraryName) is not { } api) return;
        Free = (delegate* unmanaged<IntPtr, void>)api.Free;
        Alloc = (delegate* unmanaged<IntPtr>)api.Alloc;
        ZlibDecompress = (delegate* unmanaged<IntPtr, byte*, nuint, byte*, nuint, nuint*, int>)api.ZlibDecompress;
    }

    /// <summary>The entry points used here.</summary>
    internal sealed record Exports(IntPtr Alloc, IntPtr ZlibDecompress, IntPtr Free);

    /// <summary>Loads <paramref name="library"/> unless <paramref name="setting"/> (the value of VGTDATA_LIBDEFLATE) is
    /// "0"; null when it is switched off, absent or lacks an entry point.</summary>
    internal static Exports? Load(string? setting, string library)
    {
        if (setting == "0") return null;
        if (!OperatingSystem.IsLinux() || !NativeLibrary.TryLoad(library, out var lib)) return null;
        if (!NativeLibrary.TryGetExport(lib, "libdeflate_alloc_decompressor", out var alloc) ||
            !NativeLibrary.TryGetExport(lib, "libdeflate_zlib_decompress", out var zlib) ||
            !NativeLibrary.TryGetExport(lib, "libdeflate_free_decompressor", out var free))
            return null;
        return new Exports(alloc, zlib, free);
    }

    /// <summary>Whether libdeflate was found (tests may switch it off with <see cref="Enabled"/>).</summary>
    public static bool IsAvailable => Alloc != null;

    [ThreadStatic] private static bool? _enabledOnThisThread;

    /// <summary>Whether the PNG decoder uses it on this thread: <see cref="IsAvailable"/> unless set (tests and benchmarks
    /// compare both paths; a setting on one thread never changes another's decodes).</summary>
    public static bool Enabled
    {
        get => _enabledOnThisThread ?? IsAvailable;
        set => _enabledOnThisThread = value && IsAvailable;
    }

    public enum Result { Success = 0, BadData = 1, ShortOutput = 2, InsufficientSpace = 3 }

    /// <summary>Inflates the zlib stream <paramref name="input"/> into <paramref name="output"/>; <paramref name="written"/>
    /// is how much it filled (less than the span when the stream ends early).</summary>
    public static Result Inflate(ReadOnlySpan<byte> input, Span<byte> output, out int written)
    {
        if (_decompressor == null)
        {
            var d = Alloc();
            if (d == IntPtr.Zero) throw new OutOfMemoryException("libdeflate_alloc_decompressor failed");
            _decompressor = new ThreadNativeHandle(d, Free);
        }
        nuint actual = 0;
        int rc;
        fixed (byte* i = input)
        fixed (byte* o = output)
            rc = ZlibDecompress(_decompressor.Value, i, (nuint)input.Length, o, (nuint)output.Length, &actual);
        written = (int)actual;
        return (Result)rc;
    }
}
