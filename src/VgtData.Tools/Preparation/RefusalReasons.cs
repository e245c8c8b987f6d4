namespace VgtData.Preparation;

/// <summary>Why a tar member was not written. These strings appear verbatim in reports.</summary>
internal static class RefusalReasons
{
    public const string AbsolutePath = "absolute path";
    public const string ParentTraversal = "parent traversal";
    public const string NulInName = "NUL in name";
    public const string NameTooLong = "name component over 255 bytes";
    public const string PathTooLong = "path over 3840 bytes";
    public const string Symlink = "symlink";
    public const string HardLink = "hard link";
    public const string Device = "device";
    public const string Sparse = "sparse file (not supported)";
    public const string NameCollision = "name collision";
    public const string UnsupportedType = "unsupported type";
    /// <summary>A folder is needed where a file is (or the reverse), in the archive or already under the output folder.</summary>
    public const string FileFolderConflict = "file/folder name conflict";
    /// <summary>A symlink already under the output folder lies on the member's path; it is never followed.</summary>
    public const string SymlinkInOutput = "symlink in output path";
    /// <summary>Prefix of the reason when the file system refused the write (the error follows).</summary>
    public const string WriteFailed = "cannot write";
}

/// <summary>A member that was not written, and why.</summary>
internal sealed record RefusedMember(string Part, string Member, string Reason);

/// <summary>A part that could not be read to its end (truncated, corrupt header, I/O error); members before the
/// damage were extracted.</summary>
internal sealed record PartError(string Part, string Error);
