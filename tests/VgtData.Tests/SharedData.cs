namespace VgtData.Tests;

/// <summary>Finds the repository root and ../shared (read-only golden data beside the checkout).</summary>
public static class SharedData
{
    public static string RepoRoot { get; } = FindRoot();

    /// <summary>The shared folder, or null when it is absent (tests that need it then fail with a clear message).</summary>
    public static string? Root
    {
        get
        {
            var env = Environment.GetEnvironmentVariable("VGTDATA_SHARED");
            // VGTDATA_SHARED overrides the location; pointing it at a missing folder shows what a checkout without ../shared does.
            if (!string.IsNullOrEmpty(env)) return Directory.Exists(env) ? Path.GetFullPath(env) : null;
            var p = Path.GetFullPath(Path.Combine(RepoRoot, "..", "shared"));
            return Directory.Exists(p) ? p : null;
        }
    }

    /// <summary>Path below ../shared; a test that needs it is skipped with a clear message when it is missing.</summary>
    public static string Require(string relative)
    {
        var root = Root;
        Skip.If(root is null, $"../shared is absent (looked beside {RepoRoot}); golden-data test not run");
        var p = Path.Combine(root!, relative);
        Skip.If(!File.Exists(p) && !Directory.Exists(p), $"../shared/{relative} is absent; golden-data test not run");
        return p;
    }

    private static string FindRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir != null && !File.Exists(Path.Combine(dir.FullName, "VgtData.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("VgtData.sln not found above the test binaries");
    }
}
