namespace VgtData.Cli;

/// <summary>Output folders named on the command line, created before any work starts so a bad path fails in one line.</summary>
public static class OutputPaths
{
    /// <summary>Creates <paramref name="dir"/> (and its parents); a failure names the option, its value and why.</summary>
    public static void CreateDirectory(string dir, string option, string? value = null)
    {
        try
        {
            Directory.CreateDirectory(dir);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new VgtDataException($"{option} {value ?? dir}: cannot create {(value is null ? "the" : "its")} folder: {Reason(dir, e)}", e);
        }
    }

    // .NET says "Could not find a part of the path" when a parent is a file; naming that file is the actionable reason.
    private static string Reason(string dir, Exception e)
    {
        try
        {
            for (var p = Path.GetFullPath(dir); !string.IsNullOrEmpty(p); p = Path.GetDirectoryName(p))
                if (File.Exists(p)) return $"{p} is a file, not a folder";
        }
        catch (Exception inner) when (inner is ArgumentException or IOException) { }
        return e is UnauthorizedAccessException ? $"permission denied ({e.Message})" : e.Message;
    }
}
