namespace VgtData.Preparation;

/// <summary>Decides where (if anywhere) a tar member may be written below an output folder.</summary>
public static class MemberPath
{
    /// <summary>The member's relative path ('/'-separated, no empty or "." components), or null with the refusal
    /// reason when the name is absolute or climbs with "..". An empty result means the member names the folder itself.</summary>
    public static string? Relative(string name, out string? refusal)
    {
        refusal = null;
        if (name.StartsWith('/') || name.StartsWith('\\') || (name.Length >= 2 && char.IsAsciiLetter(name[0]) && name[1] == ':'))
        {
            refusal = RefusalReasons.AbsolutePath;
            return null;
        }
        var components = name.Split('/', '\\').Where(c => c.Length > 0 && c != ".").ToList();
        if (components.Contains(".."))
        {
            refusal = RefusalReasons.ParentTraversal;
            return null;
        }
        return string.Join('/', components);
    }

    /// <summary>The last component of a relative path.</summary>
    public static string BaseName(string relative)
    {
        int slash = relative.LastIndexOf('/');
        return slash < 0 ? relative : relative[(slash + 1)..];
    }
}
