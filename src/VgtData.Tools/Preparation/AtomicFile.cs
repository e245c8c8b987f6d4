namespace VgtData.Preparation;

/// <summary>Writes a file under a temporary name in the same folder and renames it into place, so readers (and
/// a re-run after an interruption) see either the old file or the complete new one.</summary>
internal static class AtomicFile
{
    public const string PartialSuffix = ".vgtdata-partial";

    /// <summary>A fresh temporary name beside <paramref name="finalPath"/>, ending in <see cref="PartialSuffix"/>. Only
    /// for short names of this tool's own (data.json, reports): extracted members use <see cref="ExtractionTemp"/>.</summary>
    public static string TempPathFor(string finalPath) =>
        Path.Combine(Path.GetDirectoryName(finalPath)!, $".{Path.GetFileName(finalPath)}.{Guid.NewGuid().ToString("N")[..8]}{PartialSuffix}");

    public static void Write(string path, Action<Stream> write)
    {
        var tmp = TempPathFor(path);
        try
        {
            using (var stream = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
                write(stream);
            File.Move(tmp, path, overwrite: true);
        }
        finally
        {
            if (File.Exists(tmp)) File.Delete(tmp);
        }
    }
}
