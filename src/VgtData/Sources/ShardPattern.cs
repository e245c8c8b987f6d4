using System.Globalization;
using System.Text.RegularExpressions;
using VgtData.Storage;

namespace VgtData.Sources;

/// <summary>
/// Webdataset's shard names: brace expressions as Python's braceexpand reads them — numeric ranges keeping zero padding
/// (<c>{0000..0252}</c>), with a step (<c>{0..10..2}</c>), letter ranges (<c>{a..e}</c>), lists (<c>{a,b}</c>), nested and
/// several braces, the leftmost varying slowest — then <c>*</c> and <c>?</c> globs in the expanded names.
/// </summary>
internal static partial class ShardPattern
{
    /// <summary>More names than this is a typo (a range of the wrong width), not a shard list.</summary>
    public const int MaxNames = 1_000_000;

    [GeneratedRegex(@"^(-?\d+)\.\.(-?\d+)(?:\.\.(-?\d+))?$")]
    private static partial Regex IntRange();

    [GeneratedRegex(@"^([A-Za-z])\.\.([A-Za-z])(?:\.\.(-?\d+))?$")]
    private static partial Regex CharRange();

    /// <summary>The names <paramref name="pattern"/>'s braces expand to, in braceexpand's order (globs left as they are).</summary>
    public static List<string> Expand(string pattern)
    {
        int depth = 0;
        for (int i = 0; i < pattern.Length; i++)
        {
            depth += pattern[i] switch { '{' => 1, '}' => -1, _ => 0 };
            if (depth < 0) throw new VgtDataException($"shards '{pattern}': unbalanced braces (the '}}' at {i} closes nothing)");
        }
        if (depth > 0) throw new VgtDataException($"shards '{pattern}': unbalanced braces ({depth} '{{' never closed)");
        return ExpandCore(pattern, pattern);
    }

    private static List<string> ExpandCore(string pattern, string whole)
    {
        for (int open = pattern.IndexOf('{'); open >= 0; open = pattern.IndexOf('{', open + 1))
        {
            int close = Closing(pattern, open);
            var alternatives = Alternatives(pattern[(open + 1)..close], whole);
            // A brace with neither a comma nor a range ("{a}") is literal, as in braceexpand.
            if (alternatives is null) continue;
            var rest = ExpandCore(pattern[(close + 1)..], whole);
            if ((long)alternatives.Count * rest.Count > MaxNames) throw new VgtDataException($"shards '{whole}' expands to more than {MaxNames} names");
            var prefix = pattern[..open];
            return alternatives.SelectMany(a => rest.Select(r => prefix + a + r)).ToList();
        }
        return [pattern];
    }

    /// <summary>Where the brace opened at <paramref name="open"/> closes (the pattern is balanced).</summary>
    private static int Closing(string s, int open)
    {
        for (int i = open + 1, depth = 0; i < s.Length; i++)
        {
            if (s[i] == '{') depth++;
            else if (s[i] == '}' && depth-- == 0) return i;
        }
        throw new InvalidOperationException("unbalanced braces passed the balance check");
    }

    private static List<string>? Alternatives(string body, string pattern)
    {
        var items = SplitTopLevel(body);
        if (items.Count > 1) return items.SelectMany(i => ExpandCore(i, pattern)).ToList();
        if (IntRange().Match(body) is { Success: true } m) return IntRangeItems(m, pattern);
        if (CharRange().Match(body) is { Success: true } c)
        {
            char from = c.Groups[1].Value[0], to = c.Groups[2].Value[0];
            int step = Step(c.Groups[3], pattern);
            var list = new List<string>();
            for (int ch = from; from <= to ? ch <= to : ch >= to; ch += from <= to ? step : -step) list.Add(((char)ch).ToString());
            return list;
        }
        return null;
    }

    private static List<string> IntRangeItems(Match m, string pattern)
    {
        string left = m.Groups[1].Value, right = m.Groups[2].Value;
        // braceexpand pads to the wider end when either end (other than a bare 0) is written with a leading zero.
        bool padded = new[] { left, right }.Any(s => s is not ("0" or "-0") && (s.StartsWith('0') || s.StartsWith("-0", StringComparison.Ordinal)));
        int width = padded ? Math.Max(left.Length, right.Length) : 0;
        if (!long.TryParse(left, CultureInfo.InvariantCulture, out long from) || !long.TryParse(right, CultureInfo.InvariantCulture, out long to))
            throw new VgtDataException($"shards '{pattern}': range {{{m.Value}}} is out of range");
        long step = Step(m.Groups[3], pattern);
        if (Math.Abs((decimal)to - from) / step >= MaxNames) throw new VgtDataException($"shards '{pattern}' expands to more than {MaxNames} names");
        var list = new List<string>();
        for (long i = from; from <= to ? i <= to : i >= to; i += from <= to ? step : -step)
            list.Add(i < 0 ? "-" + (-i).ToString(CultureInfo.InvariantCulture).PadLeft(width - 1, '0') : i.ToString(CultureInfo.InvariantCulture).PadLeft(width, '0'));
        return list;
    }

    private static int Step(Group g, string pattern)
    {
        if (!g.Success) return 1;
        if (!int.TryParse(g.Value, CultureInfo.InvariantCulture, out int step)) throw new VgtDataException($"shards '{pattern}': step {g.Value} is out of range");
        return step == 0 ? 1 : Math.Abs(step);
    }

    private static List<string> SplitTopLevel(string body)
    {
        var items = new List<string>();
        int depth = 0, start = 0;
        for (int i = 0; i < body.Length; i++)
        {
            if (body[i] == '{') depth++;
            else if (body[i] == '}') depth--;
            else if (body[i] == ',' && depth == 0) { items.Add(body[start..i]); start = i + 1; }
        }
        items.Add(body[start..]);
        return items;
    }

    /// <summary>The shard objects an s3:// <paramref name="pattern"/> names, under the same rules as local files
    /// (<see cref="Resolve"/>); each folder is listed once.</summary>
    public static (List<S3Location> Parts, List<S3ObjectInfo> Infos) ResolveS3(S3Store store, string pattern)
    {
        var names = Expand(pattern);
        var parts = new List<S3Location>();
        var infos = new List<S3ObjectInfo>();
        var missing = new List<string>();
        var listings = new Dictionary<string, List<S3ObjectInfo>>(StringComparer.Ordinal);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var name in names)
        {
            var (found, objects) = S3TarImageSource.Match(store, name, required: false, listings);
            if (found.Count == 0) missing.Add(name);
            for (int i = 0; i < found.Count; i++)
                if (seen.Add(found[i].ToString())) { parts.Add(found[i]); infos.Add(objects[i]); }
        }
        Refuse(pattern, names.Count, parts.Count, missing);
        return (parts, infos);
    }

    private static void Refuse(string pattern, int names, int found, List<string> missing)
    {
        if (found == 0)
            throw new VgtDataException(names == 1
                ? $"shards '{pattern}': no shard matches {missing[0]}"
                : $"shards '{pattern}': none of its {names} names is a file (first: {missing[0]})");
        if (missing.Count > 0)
            throw new VgtDataException($"shards '{pattern}': shard {missing[0]} does not exist ({missing.Count} of {names} names missing)");
    }

    /// <summary>
    /// The shard files <paramref name="pattern"/> names (relative to <paramref name="baseDir"/> unless rooted): every
    /// expanded name must exist (a glob must match at least one file); the same file named twice is read once, where it
    /// first appears. One line naming the pattern and the first missing shard otherwise.
    /// </summary>
    public static List<string> Resolve(string baseDir, string pattern)
    {
        var names = Expand(pattern);
        var files = new List<string>();
        var missing = new List<string>();
        foreach (var name in names)
        {
            var full = Path.GetFullPath(Path.IsPathRooted(name) ? name : Path.Combine(baseDir, name));
            if (TarPartGlob.IsPattern(name))
            {
                var matched = TarPartGlob.Expand(baseDir, name);
                if (matched.Count == 0) missing.Add(full);
                files.AddRange(matched);
            }
            else if (File.Exists(full)) files.Add(full);
            else missing.Add(full);
        }
        Refuse(pattern, names.Count, files.Count, missing);
        return files.Distinct(StringComparer.Ordinal).ToList();
    }
}
