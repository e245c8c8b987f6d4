using System.Text.RegularExpressions;

namespace VgtData.Preparation;

/// <summary>
/// The one folder where <see cref="TarExtractor"/> writes members before renaming them into place:
/// <c>OUT/.vgtdata-tmp/</c>, with short names (<c>&lt;hex&gt;.part</c>) so a member name of 255 bytes still fits, and
/// on the same file system as the targets so the rename is atomic. Only files of that pattern in that folder are ever
/// deleted (a killed run's leftovers); nothing of the user's elsewhere under OUT is touched, whatever its name.
/// </summary>
internal sealed partial class ExtractionTemp
{
    public const string FolderName = ".vgtdata-tmp";

    [GeneratedRegex("^[0-9a-f]{1,16}\\.part$")]
    private static partial Regex OwnName();

    private ExtractionTemp(string folder) => Folder = folder;

    public string Folder { get; }

    /// <summary>Creates (or reuses) the folder below <paramref name="outDir"/> and deletes this tool's leftovers in it.
    /// Throws <see cref="VgtDataException"/> when the name is taken by something that is not a plain folder.</summary>
    public static ExtractionTemp Open(string outDir)
    {
        var folder = Path.Combine(outDir, FolderName);
        switch (SafePath.Kind(folder))
        {
            case SafePath.EntryKind.None: Directory.CreateDirectory(folder); break;
            case SafePath.EntryKind.Directory: break;
            default: throw new VgtDataException($"{folder}: exists and is not a folder (it holds extraction temporaries; move it away)");
        }
        foreach (var f in Directory.EnumerateFiles(folder))
            if (OwnName().IsMatch(Path.GetFileName(f))) File.Delete(f);
        return new ExtractionTemp(folder);
    }

    /// <summary>The temporary path for the member at (part, member) <paramref name="order"/>: unique within a run.</summary>
    public string PathFor(long order) => Path.Combine(Folder, $"{order:x}.part");

    /// <summary>Removes the folder when nothing else is in it.</summary>
    public void Close()
    {
        try
        {
            if (!Directory.EnumerateFileSystemEntries(Folder).Any()) Directory.Delete(Folder);
        }
        catch (IOException) { }
    }
}
