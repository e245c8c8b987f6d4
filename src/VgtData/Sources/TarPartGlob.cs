using System.Text.RegularExpressions;

namespace VgtData.Sources;

/// <summary>Expands a file pattern with <c>*</c> and <c>?</c> (in any path component, never crossing '/') into the
/// matching files, in natural order (part_2 before part_10).</summary>
internal static class TarPartGlob
{
    public static bool IsPattern(string s) => s.IndexOfAny(['*', '?']) >= 0;

    /// <summary>Files matching <paramref name="pattern"/>, relative to <paramref name="baseDir"/> unless rooted.</summary>
    public static List<string> Expand(string baseDir, string pattern)
    {
        var full = Path.IsPathRooted(pattern) ? pattern : Path.Combine(baseDir, pattern);
        full = full.Replace('\\', '/');
        var parts = full.Split('/');
        // The longest leading run of components without wildcards is the starting directory.
        int first = Array.FindIndex(parts, IsPattern);
        if (first < 0) return File.Exists(full) ? [Path.GetFullPath(full)] : [];
        var start = string.Join('/', parts[..first]);
        if (start.Length == 0) start = full.StartsWith('/') ? "/" : ".";
        var dirs = new List<string> { start };
        for (int i = first; i < parts.Length; i++)
        {
            bool last = i == parts.Length - 1;
            var next = new List<string>();
            foreach (var dir in dirs)
            {
                if (!Directory.Exists(dir)) continue;
                if (!IsPattern(parts[i]))
                {
                    var p = Path.Combine(dir, parts[i]);
                    if (last ? File.Exists(p) : Directory.Exists(p)) next.Add(p);
                    continue;
                }
                var regex = ToRegex(parts[i]);
                var candidates = last ? Directory.EnumerateFiles(dir) : Directory.EnumerateDirectories(dir);
                next.AddRange(candidates.Where(c => regex.IsMatch(Path.GetFileName(c))));
            }
            dirs = next;
        }
        return dirs.Select(Path.GetFullPath).Distinct().OrderBy(p => p, NaturalComparer.Instance).ToList();
    }

    private static Regex ToRegex(string component) =>
        new("^" + Regex.Escape(component).Replace(@"\*", ".*").Replace(@"\?", ".") + "$", RegexOptions.CultureInvariant);

    /// <summary>Ordinal comparison that compares runs of digits by value.</summary>
    public sealed class NaturalComparer : IComparer<string>
    {
        public static readonly NaturalComparer Instance = new();

        public int Compare(string? x, string? y)
        {
            if (x is null || y is null) return string.CompareOrdinal(x, y);
            int i = 0, j = 0;
            while (i < x.Length && j < y.Length)
            {
                if (char.IsAsciiDigit(x[i]) && char.IsAsciiDigit(y[j]))
                {
                    int si = i, sj = j;
                    while (i < x.Length && char.IsAsciiDigit(x[i])) i++;
                    while (j < y.Length && char.IsAsciiDigit(y[j])) j++;
                    var a = x.AsSpan(si, i - si).TrimStart('0');
                    var b = y.AsSpan(sj, j - sj).TrimStart('0');
                    if (a.Length != b.Length) return a.Length.CompareTo(b.Length);
                    int c = a.SequenceCompareTo(b);
                    if (c != 0) return c;
                    continue;
                }
                if (x[i] != y[j]) return x[i].CompareTo(y[j]);
                i++; j++;
            }
            int rest = (x.Length - i).CompareTo(y.Length - j);
            return rest != 0 ? rest : string.CompareOrdinal(x, y);
        }
    }
}
