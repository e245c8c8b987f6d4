using System.Reflection;
using System.Runtime.InteropServices;
using NetVips;

namespace VgtData.Images;

/// <summary>
/// libvips (NuGet: NetVips + NetVips.Native), used for its bundled JPEG decoder: mozjpeg (the package's versions.json),
/// whose decoder is libjpeg-turbo's, the library Pillow decodes JPEGs with.
/// Set up once per process for a loader: no operation cache (every image is seen once), one thread per call (the loader's
/// workers already use every core), and its warnings kept off stderr (failures come back as exceptions).
/// </summary>
internal static class LibVips
{
    private static readonly Lazy<string?> Setup = new(Initialise, LazyThreadSafetyMode.ExecutionAndPublication);
    private static ConstructorInfo? _sourceFromHandle;
    private static Log.LogDelegate? _quiet;

    /// <summary>Whether libvips loaded; when false, <see cref="UnavailableReason"/> says why.</summary>
    public static bool IsAvailable => Setup.Value is null;

    public static string? UnavailableReason => Setup.Value;

    private static string? Initialise()
    {
        try
        {
            if (!ModuleInitializer.VipsInitialized)
                return ModuleInitializer.Exception?.Message ?? "libvips did not initialise";
            Cache.Max = 0;
            Cache.MaxMem = 0;
            Cache.MaxFiles = 0;
            NetVips.NetVips.Concurrency = 1;
            _quiet = (_, _, _) => { };
            Log.SetLogHandler("VIPS", Enums.LogLevelFlags.Warning | Enums.LogLevelFlags.Message | Enums.LogLevelFlags.Info | Enums.LogLevelFlags.Debug, _quiet);
            // NetVips wraps a native VipsSource through this constructor; it is not public, so look it up once.
            _sourceFromHandle = typeof(Source).GetConstructor(BindingFlags.Instance | BindingFlags.NonPublic | BindingFlags.Public, [typeof(IntPtr)]);
            return _sourceFromHandle is null ? "this NetVips has no Source(IntPtr) constructor (NetVips 3.2.0 is expected)" : null;
        }
        catch (Exception e) when (e is DllNotFoundException or TypeInitializationException or EntryPointNotFoundException or BadImageFormatException)
        {
            return e.Message;
        }
    }

    [DllImport("libvips.so.42", EntryPoint = "vips_error_clear")]
    private static extern void ErrorClear();

    /// <summary>Empties libvips' error buffer (one per process), which an exception's message is read from: without this a
    /// failure's message, and so its reason (truncated or undecodable), also carried the text of earlier failures.</summary>
    public static void ClearErrors() => ErrorClear();

    [DllImport("libvips.so.42", EntryPoint = "vips_source_new_from_memory")]
    private static extern IntPtr SourceNewFromMemory(IntPtr data, nuint length);

    /// <summary>A source over <paramref name="length"/> bytes at <paramref name="data"/>, read in place: the caller keeps them
    /// pinned until the source and every image made from it are disposed.</summary>
    public static Source SourceOver(IntPtr data, int length)
    {
        var handle = SourceNewFromMemory(data, (nuint)length);
        if (handle == IntPtr.Zero) throw new VipsException("vips_source_new_from_memory failed");
        return (Source)_sourceFromHandle!.Invoke([handle]);
    }
}
