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

    private static string? Probe()
    {
        try
        {
            torch.InitializeDeviceType(DeviceType.CPU);
            return null;
        }
        catch (Exception e)
        {
            return Explain(e);
        }
    }

    private static string Explain(Exception e)
    {
        var baseDir = AppContext.BaseDirectory;
        var bridge = FindNative(baseDir, "libLibTorchSharp.so");
        if (OperatingSystem.IsLinux() && bridge is not null)
        {
            if (FindNative(baseDir, "libtorch.so") is null)
                return NoBackend(baseDir);
            if (LoadError(bridge) is { } loadError && loadError.Contains("GLIBCXX_", StringComparison.Ordinal))
                return $"TorchSharp cannot load {bridge}: {FirstLine(loadError)}. This system's libstdc++ predates GCC 13 and " +
                       "VgtData's build step did not patch that copy. Fix: sudo apt-get install -y patchelf gcc binutils, then " +
                       "rebuild or republish the application (VgtData's package patches libLibTorchSharp.so after build and publish)";
        }
        if (bridge is null && FindNative(baseDir, "LibTorchSharp.dll") is null && FindNative(baseDir, "libLibTorchSharp.dylib") is null
            && FindNative(baseDir, "libtorch.so") is null)
            return NoBackend(baseDir);
        return $"TorchSharp could not load its native backend ({e.GetType().Name}: {FirstLine(Innermost(e).Message)}). Fix: reference " +
               "exactly one backend package in the application (TorchSharp-cpu, or TorchSharp-cuda-linux for CUDA), rebuild, " +
               "and on Debian 12 / Ubuntu 22.04 install patchelf gcc binutils before building";
    }

    private static string NoBackend(string baseDir) =>
        $"TorchSharp found no libtorch next to the application in {baseDir}: VgtData references TorchSharp only and the " +
        "application chooses the backend. Fix: dotnet add package TorchSharp-cpu (or TorchSharp-cuda-linux for CUDA), then rebuild";

    private static string? FindNative(string baseDir, string fileName)
    {
        var direct = Path.Combine(baseDir, fileName);
        if (File.Exists(direct)) return direct;
        var runtimes = Path.Combine(baseDir, "runtimes");
        if (!Directory.Exists(runtimes)) return null;
        return Directory.EnumerateFiles(runtimes, fileName, SearchOption.AllDirectories)
            .FirstOrDefault(p => p.Contains(RuntimeInformation.RuntimeIdentifier, StringComparison.Ordinal) || p.Contains("linux-x64", StringComparison.Ordinal));
    }

    private static string? LoadError(string path)
    {
        try
        {
            // Loading is idempotent for a library the process already holds; on failure dlerror's text names the cause.
            NativeLibrary.Load(path);
            return null;
        }
        catch (Exception e)
        {
            return e.Message;
        }
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
