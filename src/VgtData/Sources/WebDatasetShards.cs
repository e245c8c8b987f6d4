using System.Globalization;
using VgtData.Manifests;
using VgtData.Storage;

namespace VgtData.Sources;

/// <summary>
/// Webdataset shards read as a dataset's entries, with no data.json: each part's members grouped by key as webdataset
/// groups them (the member path up to the first dot of its base name; the rest, lower-cased, is the extension), one
/// entry per key holding an image (<c>jpg</c>, <c>jpeg</c>, <c>png</c>, <c>webp</c>), in the order keys first appear.
/// The caption is the first of <c>KEY.txt</c> (stripped), <c>KEY.json</c>'s <c>cap_source</c> value, and the class id
/// in <c>KEY.cls</c> as decimal text. The parts are indexed once by <see cref="TarIndex"/> (its cache, its stamps);
/// grouping is recomputed from the index's member names on open. Entries and images are read from the same object.
/// </summary>
internal sealed class WebDatasetShards : IEntryList, IEntryCaptions, IImageSource
{
    /// <summary>Caption members larger than this are bad samples, unread.</summary>
    public const int MaxCaptionBytes = 16 << 20;

    private static readonly string[] ImageExtensions = ["jpg", "jpeg", "png", "webp"];

    private const int None = -1;
    // A caption member held twice under one key: which one is meant cannot be told.
    private const int Twice = -2;

    /// <summary>One key's members (index members, or <see cref="None"/> / <see cref="Twice"/>); Images holds every image
    /// member when there are several.</summary>
    private sealed record Key(int Part, string Name, int Image, int Txt, int Json, int Cls, int[]? Images);

    private readonly ITarMembers _tar;
    private readonly string _capSource;
    private readonly string[] _partNames;
    private readonly Dictionary<string, int> _partByName = new(StringComparer.Ordinal);
    private readonly Key[] _keys;
    // Key indices sorted by (part, name): finds the key an image path names without a dictionary per key.
    private readonly int[] _sorted;

    private WebDatasetShards(ITarMembers tar, string pattern, string capSource, int? limit)
    {
        _tar = tar;
        _capSource = capSource;
        Source = pattern;
        var parts = Enumerable.Range(0, tar.Index.Parts.Count).Select(tar.PartName).ToList();
        // Image paths are "PART/member": the part's file name, or its full path where two parts share a file name.
        bool unique = parts.Select(TarIndex.BaseName).Distinct(StringComparer.Ordinal).Count() == parts.Count;
        _partNames = parts.Select(p => unique ? TarIndex.BaseName(p) : p).ToArray();
        for (int p = 0; p < _partNames.Length; p++) _partByName[_partNames[p]] = p;
        _keys = Group(tar.Index, limit, out int dropped);
        KeysWithoutImage = dropped;
        _sorted = Enumerable.Range(0, _keys.Length).ToArray();
        Array.Sort(_sorted, CompareKeys);
    }

    /// <summary>The shards <paramref name="pattern"/> names (see <see cref="ShardPattern"/>), indexed; a missing,
    /// compressed or damaged part is one line naming it. <paramref name="limit"/> is <c>train_number_samples</c>;
    /// <paramref name="storage"/> reads s3:// shards.</summary>
    public static WebDatasetShards Open(string pattern, string capSource, int? limit, string? baseDir = null, DatasetStorage? storage = null,
        string? cacheDir = null)
    {
        var (tar, count) = (storage ?? DatasetStorage.None).OpenShards(pattern, baseDir ?? Directory.GetCurrentDirectory(), cacheDir);
        try
        {
            var problems = tar.Index.Problems;
            if (problems.Count > 0)
                throw new VgtDataException($"shards '{pattern}': damaged shard {problems[0]}{(problems.Count > 1 ? $" (and {problems.Count - 1} more damaged)" : "")}");
            var shards = new WebDatasetShards(tar, pattern, capSource, limit);
            if (shards.Count == 0)
                throw new VgtDataException($"shards '{pattern}': no key in {count} shard(s) has an image ({string.Join(", ", ImageExtensions.Select(e => "." + e))})");
            return shards;
        }
        catch
        {
            tar.Dispose();
            throw;
        }
    }

    /// <summary>webdataset's split of a member path into key and extension; false for names without one (no dot in
    /// the base name, or a base name starting with a dot).</summary>
    internal static bool SplitKey(string name, out string key, out string extension)
    {
        int slash = name.LastIndexOf('/');
        int dot = name.IndexOf('.', slash + 1);
        key = dot > slash + 1 ? name[..dot] : "";
        extension = dot > slash + 1 ? name[(dot + 1)..].ToLowerInvariant() : "";
        return dot > slash + 1;
    }

    private static Key[] Group(TarIndex index, int? limit, out int keysWithoutImage)
    {
        var keys = new List<Key>();
        var images = new Dictionary<int, List<int>>();
        int currentPart = -1;
        var byName = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int m = 0; m < index.Count; m++)
        {
            int part = index.EntryAt(m).Part;
            if (part != currentPart) { byName.Clear(); currentPart = part; }
            if (!SplitKey(index.NameAt(m), out var name, out var ext)) continue;
            if (!byName.TryGetValue(name, out int k))
            {
                byName[name] = k = keys.Count;
                keys.Add(new Key(part, name, None, None, None, None, null));
            }
            var key = keys[k];
            static int Set(int current, int member) => current == None ? member : Twice;
            if (ImageExtensions.Contains(ext))
            {
                if (!images.TryGetValue(k, out var list)) images[k] = list = [];
                list.Add(m);
                keys[k] = key with { Image = list.Count == 1 ? m : Twice };
            }
            else if (ext == "txt") keys[k] = key with { Txt = Set(key.Txt, m) };
            else if (ext == "json") keys[k] = key with { Json = Set(key.Json, m) };
            else if (ext == "cls") keys[k] = key with { Cls = Set(key.Cls, m) };
        }
        var kept = new List<Key>();
        keysWithoutImage = 0;
        for (int k = 0; k < keys.Count; k++)
        {
            if (keys[k].Image == None) { keysWithoutImage++; continue; }
            if (limit is { } n && kept.Count >= n) break;
            kept.Add(keys[k].Image == Twice ? keys[k] with { Images = images[k].ToArray() } : keys[k]);
        }
        return kept.ToArray();
    }

    private int CompareKeys(int a, int b)
    {
        int c = _keys[a].Part.CompareTo(_keys[b].Part);
        return c != 0 ? c : string.CompareOrdinal(_keys[a].Name, _keys[b].Name);
    }

    /// <summary>The pattern the shards came from.</summary>
    public string Source { get; }

    public int Count => _keys.Length;

    /// <summary>Keys with members but no image, left out (webdataset's pipeline has no sample for them either).</summary>
    public int KeysWithoutImage { get; }

    public TarIndex Index => _tar.Index;

    public ManifestEntry this[int index]
    {
        get
        {
            var key = _keys[index];
            int caption = key.Txt != None ? key.Txt : key.Json != None ? key.Json : key.Cls;
            return new ManifestEntry(ImageOf(index), null, caption >= 0 ? _tar.DescribeMember(caption) : null, null, null);
        }
    }

    /// <summary>"PART/member" for a key's one image; "PART/KEY" for a key with several (reading it is refused).</summary>
    public string ImageOf(int index)
    {
        var key = _keys[index];
        return _partNames[key.Part] + "/" + (key.Image >= 0 ? _tar.Index.NameAt(key.Image) : key.Name);
    }

    public EntryCaption ReadCaption(int index)
    {
        var key = _keys[index];
        if (key.Txt != None) return new EntryCaption(ReadText(key, key.Txt, "txt"), Strip: true);
        if (key.Json != None)
        {
            var text = ReadText(key, key.Json, "json");
            if (JsonCaption.TryRead(text, _capSource, _tar.DescribeMember(key.Json), out var caption)) return new EntryCaption(caption, Strip: false);
            if (key.Cls == None)
                throw new SampleException(SampleFailureReason.MissingCaptionKey, _tar.DescribeMember(key.Json),
                    $"annotation has no \"{_capSource}\" key and key {key.Name} has no .txt or .cls member");
        }
        if (key.Cls != None) return new EntryCaption(ClassCaption(ReadText(key, key.Cls, "cls"), _tar.DescribeMember(key.Cls)), Strip: false);
        throw new SampleException(SampleFailureReason.MissingCaptionKey, DescribeKey(key), $"key {key.Name} has no .txt, .json or .cls member");
    }

    /// <summary>A <c>.cls</c> member holds a class id (webdataset reads it with <c>int()</c>); the caption is that
    /// integer's decimal text, so " 0417\n" gives "417".</summary>
    internal static string ClassCaption(string text, string where)
    {
        // int() skips Python whitespace: .NET's set plus the separators U+001C..U+001F; digit groups may use '_'.
        var digits = text.Trim().Trim('\x1c', '\x1d', '\x1e', '\x1f').Trim();
        bool grouped = digits.Contains('_') && !digits.Contains("__", StringComparison.Ordinal) && char.IsAsciiDigit(digits[^1])
            && char.IsAsciiDigit(digits.TrimStart('+', '-')[0]);
        if (!System.Numerics.BigInteger.TryParse(grouped ? digits.Replace("_", "", StringComparison.Ordinal) : digits,
                NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var id))
            throw new SampleException(SampleFailureReason.UnreadableAnnotation, where, $"not an integer class id: {Quote(text)}");
        return id.ToString(CultureInfo.InvariantCulture);
    }

    private static string Quote(string text) =>
        "\"" + (text.Length <= 40 ? text : text[..40] + "…").Replace("\n", "\\n", StringComparison.Ordinal) + "\"";

    private string ReadText(Key key, int member, string ext)
    {
        if (member == Twice)
            throw new SampleException(SampleFailureReason.AmbiguousMember, DescribeKey(key), $"key {key.Name} has two .{ext} members");
        var length = _tar.Index.EntryAt(member).Length;
        if (length > MaxCaptionBytes)
            throw new SampleException(SampleFailureReason.UnreadableAnnotation, _tar.DescribeMember(member), $"caption member is {length} bytes (more than {MaxCaptionBytes})");
        using var bytes = _tar.ReadMember(member);
        return RegularFile.Decode(bytes.Span);
    }

    private string DescribeKey(Key key) => $"{_tar.PartName(key.Part)}:{key.Name}";

    private int FindKey(string imageFile)
    {
        for (int slash = imageFile.IndexOf('/'); slash >= 0; slash = imageFile.IndexOf('/', slash + 1))
        {
            if (!_partByName.TryGetValue(imageFile[..slash], out int part)) continue;
            var member = imageFile[(slash + 1)..];
            var name = SplitKey(member, out var key, out _) ? key : member;
            int lo = 0, hi = _sorted.Length - 1;
            while (lo <= hi)
            {
                int mid = (lo + hi) >>> 1;
                var k = _keys[_sorted[mid]];
                int c = k.Part != part ? k.Part.CompareTo(part) : string.CompareOrdinal(k.Name, name);
                if (c == 0) return ImageOf(_sorted[mid]) == imageFile ? _sorted[mid] : -1;
                if (c < 0) lo = mid + 1; else hi = mid - 1;
            }
        }
        return -1;
    }

    public PooledBytes Read(string imageFile)
    {
        int k = FindKey(imageFile);
        if (k < 0) throw new SampleException(SampleFailureReason.MissingFile, $"{Source}:{imageFile}", "no such key in the shards");
        var key = _keys[k];
        if (key.Images is { } several)
            throw new SampleException(SampleFailureReason.AmbiguousMember, DescribeKey(key),
                $"key {key.Name} has {several.Length} images ({string.Join(", ", several.Select(_tar.Index.NameAt))}); which one is the sample cannot be told");
        return _tar.ReadMember(key.Image);
    }

    public string Describe(string imageFile)
    {
        int k = FindKey(imageFile);
        if (k < 0) return $"{Source}:{imageFile}";
        var key = _keys[k];
        return key.Image >= 0 ? _tar.DescribeMember(key.Image) : DescribeKey(key);
    }

    public bool Exists(string imageFile) => FindKey(imageFile) >= 0;

    public void Dispose() => _tar.Dispose();
}
