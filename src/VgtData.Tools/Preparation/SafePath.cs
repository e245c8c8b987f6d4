namespace VgtData.Preparation;

/// <summary>
/// Looks at paths below an output folder without following symlinks (lstat semantics), so a link already planted
/// under the folder can never redirect a write outside it.
/// </summary>
internal static class SafePath
{
    public enum EntryKind { None, File, Directory, Symlink, Other }

    /// <summary>What is at <paramref name="path"/> itself (a symlink is reported as one, never followed).</summary>
    public static EntryKind Kind(string path)
    {
        FileSystemInfo info = new FileInfo(path);
        if (info.LinkTarget != null) return EntryKind.Symlink;
        if (info.Exists) return (info.Attributes & (FileAttributes.Device | FileAttributes.ReparsePoint)) != 0 ? EntryKind.Other : EntryKind.File;
        return Directory.Exists(path) ? EntryKind.Directory : EntryKind.None;
    }

    /// <summary>Creates the folders of <paramref name="relativeDir"/> ('/'-separated) below <paramref name="root"/> one
    /// component at a time, checking each with lstat first. Returns null, or the refusal reason: a symlink on the way,
    /// or a file where a folder is needed.</summary>
    public static string? CreateFolders(string root, string relativeDir)
    {
        if (relativeDir.Length == 0) return null;
        var current = root;
        foreach (var component in relativeDir.Split('/'))
        {
            current = Path.Combine(current, component);
            switch (Kind(current))
            {
                case EntryKind.Directory: continue;
                case EntryKind.None: Directory.CreateDirectory(current); break;
                case EntryKind.Symlink: return RefusalReasons.SymlinkInOutput;
                default: return RefusalReasons.FileFolderConflict;
            }
        }
        return null;
    }
}
