using System.Runtime.InteropServices;
using TorchSharp;

namespace VgtData.Runtime;

/// <summary>
/// Checks, once per process, that TorchSharp's native libraries load, and turns a failure into one
/// <see cref="VgtDataException"/> line that names the cause and the fix. TorchSharp's own message blames a missing
/// libtorch-cpu reference even when the backend is there and the system libstdc++ is what failed.
/// </summary>
public static class TorchRuntime
{
    private static readonly Lazy<string?> Failure = new(Probe, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>Throws <see cref="VgtDataException"/> with the exact fix when TorchSharp cannot load its native backend.</summary>
    public static void EnsureLoaded()
    {
        if (Failure.Value is { } message) throw new VgtDataException(message);
    }

    /// <summary><c>torch.CPU</c> after <see cref="EnsureLoaded"/>: the first VgtData use of TorchSharp goes through here
    /// (the default device of <c>CollateOptions</c>), so a broken install fails with the explained line.</summary>
    internal static torch.Device CpuDevice()
    {
        EnsureLoaded();
        return torch.CPU;
    }

    private static string? Probe()
    {
        var baseDir = AppContext.BaseDirectory;
        // The two common Linux failures are diagnosed before TorchSharp tries: its failing path prints pages to stdout.
        if (OperatingSystem.IsLinux() && FindNative(baseDir, "libLibTorchSharp.so") is { } bridge)
        {
            if (FindNative(baseDir, "libtorch.so") is null) return NoBackend(baseDir);
            if (LoadError(bridge) is { } error) return Unloadable(bridge, error);
        }
        try
        {
            torch.InitializeDeviceType(DeviceType.CPU);
            return null;
        }
        catch (Exception e)
        {
            return $"TorchSharp could not load its native backend ({FirstLine(Innermost(e).Message)}). Fix: reference exactly " +
                   "one backend package in the application (TorchSharp-cpu, or TorchSharp-cuda-linux for CUDA) and rebuild; " +
                   "on Debian 12 / Ubuntu 22.04 install patchelf gcc binutils before building";
        }
    }

    private static string NoBackend(string baseDir) =>
        $"TorchSharp found no libtorch next to the application in {baseDir}: VgtData references TorchSharp only and the " +
        "application chooses the backend. Fix: dotnet add package TorchSharp-cpu (or TorchSharp-cuda-linux for CUDA), then rebuild";

    private static string Unloadable(string bridge, string error) =>
        error.Contains("GLIBCXX_", StringComparison.Ordinal)
            ? $"TorchSharp cannot load {bridge}: {LoaderDetail(error)}. This system's libstdc++ predates GCC 13 and VgtData's " +
              "build step did not patch that copy. Fix: sudo apt-get install -y patchelf gcc binutils, then rebuild or " +
              "republish the application (VgtData's package patches libLibTorchSharp.so after build and publish)"
            : $"TorchSharp cannot load {bridge}: {LoaderDetail(error)}. Fix: reference exactly one backend package in the " +
              "application (TorchSharp-cpu, or TorchSharp-cuda-linux for CUDA) and rebuild";

    private static string? FindNative(string baseDir, string fileName)
    {
        var direct = Path.Combine(baseDir, fileName);
        if (File.Exists(direct)) return direct;
        var native = Path.Combine(baseDir, "runtimes", RuntimeInformation.RuntimeIdentifier, "native", fileName);
        if (File.Exists(native)) return native;
        native = Path.Combine(baseDir, "runtimes", "linux-x64", "native", fileName);
        return File.Exists(native) ? native : null;
    }

    private static string? LoadError(string path)
    {
        try
        {
            // The same handle TorchSharp gets later; on failure the message carries dlerror's text (which symbol, which file).
            NativeLibrary.Load(path);
            return null;
        }
        catch (DllNotFoundException e)
        {
            return e.Message;
        }
        catch (BadImageFormatException e)
        {
            return e.Message;
        }
    }

    /// <summary>dlerror's text, which .NET puts on the last line after its generic advice.</summary>
    private static string LoaderDetail(string error)
    {
        var lines = error.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return FirstLine(lines.LastOrDefault(l => l.Contains("GLIBCXX_", StringComparison.Ordinal)) ?? lines.LastOrDefault() ?? error);
    }

    private static Exception Innermost(Exception e)
    {
        while (e.InnerException is not null) e = e.InnerException;
        return e;
    }

    private static string FirstLine(string text)
    {
        var line = text.Split('\n', 2)[0].Trim();
        return line.Length > 300 ? line[..300] + "…" : line;
    }
}
