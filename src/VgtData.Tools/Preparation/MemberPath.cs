using System.Text;

namespace VgtData.Preparation;

/// <summary>Decides where (if anywhere) a tar member may be written below an output folder.</summary>
internal static class MemberPath
{
    /// <summary>Longest file or folder name most Linux filesystems accept (NAME_MAX), in UTF-8 bytes.</summary>
    public const int MaxComponentBytes = 255;

    /// <summary>Longest relative path accepted, in UTF-8 bytes: PATH_MAX (4096) leaves room for the output folder only
    /// below this.</summary>
    public const int MaxPathBytes = 3840;

    /// <summary>The member's relative path ('/'-separated, no empty or "." components), or null with the refusal
    /// reason. Refused: a NUL anywhere; absolute names ("/x", "\x", "C:x"); ".." as any component; a component over
    /// <see cref="MaxComponentBytes"/> bytes or a path over <see cref="MaxPathBytes"/>. Backslashes separate components
    /// like slashes (Windows-made archives). An empty result means the member names the folder itself.</summary>
    public static string? Relative(string name, out string? refusal)
    {
        refusal = null;
        if (name.Contains('\0'))
        {
            refusal = RefusalReasons.NulInName;
            return null;
        }
        if (name.StartsWith('/') || name.StartsWith('\\') || (name.Length >= 2 && char.IsAsciiLetter(name[0]) && name[1] == ':'))
        {
            refusal = RefusalReasons.AbsolutePath;
            return null;
        }
        var components = new List<string>();
        foreach (var c in name.Split('/', '\\'))
        {
            if (c is "" or ".") continue;
            if (c == "..")
            {
                refusal = RefusalReasons.ParentTraversal;
                return null;
            }
            if (Encoding.UTF8.GetByteCount(c) > MaxComponentBytes)
            {
                refusal = RefusalReasons.NameTooLong;
                return null;
            }
            components.Add(c);
        }
        var relative = string.Join('/', components);
        if (Encoding.UTF8.GetByteCount(relative) > MaxPathBytes)
        {
            refusal = RefusalReasons.PathTooLong;
            return null;
        }
        return relative;
    }

    /// <summary>The last component of a relative path.</summary>
    public static string BaseName(string relative)
    {
        int slash = relative.LastIndexOf('/');
        return slash < 0 ? relative : relative[(slash + 1)..];
    }
}
