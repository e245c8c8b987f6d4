namespace VgtData.Preparation;

/// <summary>Why a tar member was not written. These strings appear verbatim in reports.</summary>
public static class RefusalReasons
{
    public const string AbsolutePath = "absolute path";
    public const string ParentTraversal = "parent traversal";
    public const string Symlink = "symlink";
    public const string HardLink = "hard link";
    public const string Device = "device";
    public const string NameCollision = "name collision";
    public const string UnsupportedType = "unsupported type";
}

/// <summary>A member that was not written, and why.</summary>
public sealed record RefusedMember(string Part, string Member, string Reason);

/// <summary>A part that could not be read to its end (truncated, corrupt header, I/O error); members before the
/// damage were extracted.</summary>
public sealed record PartError(string Part, string Error);
