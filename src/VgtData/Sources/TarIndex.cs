using System.Security.Cryptography;
using System.Text;
using VgtData.Storage;

namespace VgtData.Sources;

/// <summary>Where one regular member's bytes lie: which part, the data offset in it, the length, and a hash of the
/// member's 512-byte header block (just before the data), re-checked on every read so a part replaced after indexing
/// is never read at stale offsets.</summary>
internal readonly record struct TarIndexEntry(int Part, long Offset, long Length, ulong HeaderHash);

/// <summary>
/// Index of the regular-file members of a set of uncompressed tar parts. An image path resolves to a member only when
/// exactly one member can be meant (<see cref="Resolve"/>): never the first of several. Built by scanning headers, one
/// part per worker, and cached next to the first part as a compact binary file that is rebuilt when any part's stamp
/// changes: path, size, modification time, change/creation time and a hash of its first and last 64 KiB. A part
/// replaced by one that matches all of those is still caught on read, by the per-member header hash
/// (<see cref="TarIndexEntry.HeaderHash"/>).
/// </summary>
internal sealed class TarIndex
{
    private const string Magic = "VGTTIDX3";
    private const int EdgeBytes = 64 * 1024;

    private readonly string[] _names;
    private readonly TarIndexEntry[] _entries;
    // Name to its one member (>= 0), or to ~k: the members in _shared[k] (held by several parts, or twice in one).
    private readonly Dictionary<string, int> _byName = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _byBaseName = new(StringComparer.Ordinal);
    private readonly List<List<int>> _shared = [];
    private readonly Dictionary<string, List<int>> _partsByStem = new(StringComparer.Ordinal);

    private TarIndex(IReadOnlyList<PartStamp> parts, string[] names, TarIndexEntry[] entries, IReadOnlyList<string> problems)
    {
        Parts = parts;
        Problems = problems;
        _names = names;
        _entries = entries;
        for (int i = 0; i < names.Length; i++)
        {
            Add(_byName, names[i], i);
            Add(_byBaseName, BaseName(names[i]), i);
        }
        for (int p = 0; p < parts.Count; p++)
        {
            var stem = PartStem(parts[p].Path);
            if (stem is null) continue;
            if (!_partsByStem.TryGetValue(stem, out var list)) _partsByStem[stem] = list = [];
            list.Add(p);
        }
    }

    private void Add(Dictionary<string, int> map, string key, int member)
    {
        if (!map.TryGetValue(key, out int found)) map[key] = member;
        else if (found >= 0) { _shared.Add([found, member]); map[key] = ~(_shared.Count - 1); }
        else _shared[~found].Add(member);
    }

    /// <summary>What identifies a part's content cheaply: see the class remarks.</summary>
    public readonly record struct PartStamp(string Path, long Size, long MtimeTicks, long CtimeTicks, ulong EdgeHash);

    public IReadOnlyList<PartStamp> Parts { get; }

    /// <summary>Regular members indexed, in part order (a name held twice counts twice).</summary>
    public int Count => _names.Length;

    /// <summary>Normalized full member names (no leading "./"), in part order.</summary>
    public IEnumerable<string> Names => _names;

    /// <summary>Member <paramref name="member"/> (0 .. <see cref="Count"/>), in part order.</summary>
    internal string NameAt(int member) => _names[member];

    internal TarIndexEntry EntryAt(int member) => _entries[member];

    /// <summary>Parts that could not be read to the end (truncated, bad header): "part: reason". Members before the damage are indexed.</summary>
    public IReadOnlyList<string> Problems { get; }

    /// <summary>Whether this index was read from the cache file rather than built.</summary>
    public bool FromCache { get; private set; }

    public static string NormalizeName(string name)
    {
        name = name.Replace('\\', '/');
        while (name.StartsWith("./", StringComparison.Ordinal)) name = name[2..];
        return name.TrimStart('/');
    }

    public static string BaseName(string name)
    {
        int slash = name.LastIndexOfAny(['/', '\\']);
        return slash < 0 ? name : name[(slash + 1)..];
    }

    /// <summary>The cache file for this list of parts: beside the first part, named by a hash of the part paths.</summary>
    public static string CachePath(IReadOnlyList<string> parts)
    {
        var joined = string.Join('\n', parts.Select(Path.GetFullPath));
        var hash = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(joined)))[..12].ToLowerInvariant();
        return Path.Combine(Path.GetDirectoryName(Path.GetFullPath(parts[0]))!, $".vgtdata-tarindex-{hash}.bin");
    }

    /// <summary>Loads the cached index when it still matches the parts, else builds and caches it (a cache that cannot
    /// be written, e.g. read-only dataset folders, is not an error).</summary>
    public static TarIndex LoadOrBuild(IReadOnlyList<string> parts, int workers = 0)
    {
        if (parts.Count == 0) throw new VgtDataException("no tar parts given");
        var stamps = parts.Select(Stamp).ToList();
        var cache = CachePath(parts);
        var cached = TryLoad(cache, stamps);
        if (cached != null) return cached;
        var index = Build(stamps, workers);
        try { index.Save(cache); } catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        return index;
    }

    private static PartStamp Stamp(string path)
    {
        var info = new FileInfo(path);
        if (!info.Exists) throw new VgtDataException($"tar part not found: {path}");
        try
        {
            using var handle = RegularFile.OpenInput(info.FullName, FileLimit.Streamed, out long length);
            var hash = new System.IO.Hashing.XxHash64();
            var buffer = new byte[EdgeBytes];
            int head = ReadAt(handle, buffer, 0);
            RefuseCompressed(info.FullName, buffer.AsSpan(0, head));
            hash.Append(buffer.AsSpan(0, head));
            if (length > EdgeBytes) hash.Append(buffer.AsSpan(0, ReadAt(handle, buffer, Math.Max(EdgeBytes, length - EdgeBytes))));
            // On Linux .NET reports the birth time, else the status-change time: both change when the file is replaced.
            return new PartStamp(info.FullName, length, info.LastWriteTimeUtc.Ticks, info.CreationTimeUtc.Ticks, hash.GetCurrentHashAsUInt64());
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new VgtDataException($"tar part {path}: cannot read: {e.Message}", e);
        }
    }

    /// <summary>A gzip-compressed part (by name, or by its first bytes) has no member offsets to read at: one line
    /// naming the part and the command that unpacks it into VGT's per-part folder.</summary>
    internal static void RefuseCompressed(string part, ReadOnlySpan<byte> head)
    {
        var name = BaseName(part);
        string? stem = name.EndsWith(".tar.gz", StringComparison.OrdinalIgnoreCase) ? part[..^7]
            : name.EndsWith(".tgz", StringComparison.OrdinalIgnoreCase) ? part[..^4]
            : head is [0x1F, 0x8B, ..] ? (name.EndsWith(".tar", StringComparison.OrdinalIgnoreCase) ? part[..^4] : part + ".d")
            : null;
        if (stem is null) return;
        // extract reads local files: a part in a bucket is named by its file name, to be downloaded first.
        bool remote = part.Contains("://", StringComparison.Ordinal);
        throw new VgtDataException($"tar part {part} is gzip-compressed and cannot be read in place; {(remote ? "download and unpack" : "unpack")} it first: " +
            $"vgtdata extract --input {ShellWord(remote ? name : part)} --out {ShellWord(remote ? BaseName(stem) : stem)}");
    }

    private static string ShellWord(string s) =>
        s.Length > 0 && s.All(c => char.IsAsciiLetterOrDigit(c) || c is '/' or '.' or '_' or '-' or '+' or ':' or '=' or ',' or '@')
            ? s : "'" + s.Replace("'", "'\\''") + "'";

    private static int ReadAt(Microsoft.Win32.SafeHandles.SafeFileHandle handle, byte[] buffer, long offset)
    {
        int total = 0;
        while (total < buffer.Length)
        {
            int n = RandomAccess.Read(handle, buffer.AsSpan(total), offset + total);
            if (n == 0) break;
            total += n;
        }
        return total;
    }

    /// <summary>The hash stored for a member's header block.</summary>
    public static ulong HashHeader(ReadOnlySpan<byte> header) => System.IO.Hashing.XxHash64.HashToUInt64(header);

    private static TarIndex Build(List<PartStamp> parts, int workers) =>
        Build(parts, i => RegularFile.OpenInputStream(parts[i].Path, FileLimit.Streamed, 4096, FileOptions.RandomAccess), workers);

    /// <summary>The index of parts read through <paramref name="open"/> (object storage: a ranged-read stream), cached in
    /// <paramref name="cachePath"/> and rebuilt when any stamp (there: address, size and a hash of the ETag) changes.</summary>
    internal static TarIndex LoadOrBuild(List<PartStamp> stamps, Func<int, Stream> open, string cachePath, int workers = 0)
    {
        foreach (var stamp in stamps) RefuseCompressed(stamp.Path, []);
        var cached = TryLoad(cachePath, stamps);
        if (cached != null) return cached;
        var index = Build(stamps, open, workers);
        try { index.Save(cachePath); } catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        return index;
    }

    private static TarIndex Build(List<PartStamp> parts, Func<int, Stream> open, int workers)
    {
        var perPart = new List<(string Name, long Offset, long Length, ulong HeaderHash)>[parts.Count];
        var problems = new string?[parts.Count];
        Parallel.For(0, parts.Count, new ParallelOptions { MaxDegreeOfParallelism = workers > 0 ? workers : Environment.ProcessorCount }, i =>
        {
            var list = new List<(string, long, long, ulong)>();
            try
            {
                using var stream = open(i);
                using var reader = new TarMemberReader(stream);
                while (reader.Next() is { } m)
                    if (m.Kind == TarMemberKind.RegularFile) list.Add((NormalizeName(m.Name), m.DataOffset, m.Size, HashHeader(reader.CurrentHeader)));
                if (!reader.EndMarkerSeen) problems[i] = $"{parts[i].Path}: part ends at offset {reader.Position} without the end-of-archive marker (cut short?)";
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { problems[i] = $"{parts[i].Path}: {e.Message}"; }
            perPart[i] = list;
        });
        var names = new List<string>();
        var entries = new List<TarIndexEntry>();
        for (int p = 0; p < parts.Count; p++)
            foreach (var (name, offset, length, headerHash) in perPart[p])
            {
                names.Add(name);
                entries.Add(new TarIndexEntry(p, offset, length, headerHash));
            }
        return new TarIndex(parts, names.ToArray(), entries.ToArray(), problems.Where(p => p != null).Cast<string>().ToList());
    }

    private void Save(string path)
    {
        var tmp = path + "." + Guid.NewGuid().ToString("N")[..8] + ".tmp";
        try
        {
            using (var stream = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write))
            using (var w = new BinaryWriter(stream, Encoding.UTF8))
            {
                w.Write(Magic);
                w.Write(Parts.Count);
                foreach (var p in Parts) { w.Write(p.Path); w.Write(p.Size); w.Write(p.MtimeTicks); w.Write(p.CtimeTicks); w.Write(p.EdgeHash); }
                w.Write(Problems.Count);
                foreach (var p in Problems) w.Write(p);
                w.Write(_names.Length);
                for (int i = 0; i < _names.Length; i++)
                {
                    var e = _entries[i];
                    w.Write(_names[i]); w.Write(e.Part); w.Write(e.Offset); w.Write(e.Length); w.Write(e.HeaderHash);
                }
            }
            File.Move(tmp, path, overwrite: true);
        }
        finally
        {
            if (File.Exists(tmp)) File.Delete(tmp);
        }
    }

    private static TarIndex? TryLoad(string path, List<PartStamp> expected)
    {
        if (!File.Exists(path)) return null;
        try
        {
            using var stream = RegularFile.OpenInputStream(path, FileLimit.Manifest);
            using var r = new BinaryReader(stream, Encoding.UTF8);
            if (r.ReadString() != Magic) return null;
            int partCount = r.ReadInt32();
            if (partCount != expected.Count) return null;
            for (int i = 0; i < partCount; i++)
                if (new PartStamp(r.ReadString(), r.ReadInt64(), r.ReadInt64(), r.ReadInt64(), r.ReadUInt64()) != expected[i]) return null;
            var problems = new List<string>();
            int problemCount = r.ReadInt32();
            for (int i = 0; i < problemCount; i++) problems.Add(r.ReadString());
            int count = r.ReadInt32();
            if (count < 0 || count > stream.Length / 16) return null;
            var names = new string[count];
            var entries = new TarIndexEntry[count];
            for (int i = 0; i < count; i++)
            {
                names[i] = r.ReadString();
                entries[i] = new TarIndexEntry(r.ReadInt32(), r.ReadInt64(), r.ReadInt64(), r.ReadUInt64());
                if (entries[i].Part < 0 || entries[i].Part >= partCount || entries[i].Offset < 512 || entries[i].Length < 0) return null;
            }
            return new TarIndex(expected, names, entries, problems) { FromCache = true };
        }
        // A cache that is not a regular file (or is unreadable) is only rebuilt and replaced.
        catch (Exception e) when (e is IOException or EndOfStreamException or FormatException or UnreadableFileException) { return null; }
    }

    /// <summary>The member <paramref name="imageFile"/> resolves to, when exactly one can be meant.</summary>
    public bool TryFind(string imageFile, out TarIndexEntry entry) => TryFind(imageFile, out entry, out _);

    public bool TryFind(string imageFile, out TarIndexEntry entry, out string memberName)
    {
        var r = Resolve(imageFile);
        entry = r.Member >= 0 ? _entries[r.Member] : default;
        memberName = r.Member >= 0 ? _names[r.Member] : "";
        return r.Member >= 0;
    }

    /// <summary>One member, or why there is none (<paramref name="where"/> names the parts in the message): a missing
    /// member, or a name several members could be, which is never settled by picking one.</summary>
    internal TarIndexEntry Find(string imageFile, string where)
    {
        var r = Resolve(imageFile);
        if (r.Member >= 0) return _entries[r.Member];
        var note = Problems.Count == 0 ? "" : $" ({Problems.Count} part(s) damaged: {Problems[0]})";
        if (r.Candidates is null) throw new SampleException(SampleFailureReason.MissingFile, $"{where}:{imageFile}", (r.Why ?? "no such member in any tar part") + note);
        var held = r.Candidates.Take(3).Select(i => $"{Parts[_entries[i].Part].Path}:{_names[i]}");
        throw new SampleException(SampleFailureReason.AmbiguousMember, $"{where}:{imageFile}",
            $"{r.Candidates.Count} members could be meant: {string.Join(", ", held)}{(r.Candidates.Count > 3 ? $" and {r.Candidates.Count - 3} more" : "")}; " +
            "name the part as the image's folder (FOLDER/PART/name for FOLDER/PART.tar)");
    }

    /// <summary>Which member a path means: <see cref="Member"/> >= 0, or <see cref="Candidates"/> (several) or none
    /// (with <see cref="Why"/> where a part was named).</summary>
    internal readonly record struct Resolution(int Member, IReadOnlyList<int>? Candidates = null, string? Why = null);

    /// <summary>
    /// An image path <c>FOLDER/PART/name</c> where <c>PART.tar</c> is one of the parts (VGT unpacks each part into a
    /// folder named after it) is member <c>name</c> of that part and of no other. Otherwise the path is the one member
    /// with that full name, or, for parts holding flat names, the one member anywhere with that base name. Several
    /// candidates at any step are reported, never chosen between.
    /// </summary>
    internal Resolution Resolve(string imageFile)
    {
        var path = NormalizeName(imageFile);
        var components = path.Split('/');
        var named = new List<(int Part, int At)>();
        for (int i = 0; i < components.Length - 1; i++)
        {
            if (!_partsByStem.TryGetValue(components[i], out var parts)) continue;
            // Parts of one name in several folders: the folder above the part's must match too.
            var matching = parts.Count == 1 || i == 0 ? parts : parts.Where(p => ParentName(Parts[p].Path) == components[i - 1]).ToList();
            named.AddRange(matching.Select(p => (p, i)));
        }
        if (named.Count > 1)
            return new Resolution(-1, Why: $"the path names {named.Count} tar parts as folders ({string.Join(", ", named.Select(n => Parts[n.Part].Path))})");
        if (named.Count == 1)
        {
            var (part, at) = named[0];
            var rest = string.Join('/', components, at + 1, components.Length - at - 1);
            // The member as unpacked into the part's folder: "name", or "PART/name" for parts that hold their own folder.
            var inPart = Members(_byName, rest).Concat(Members(_byName, components[at] + "/" + rest))
                .Where(i => _entries[i].Part == part).Distinct().ToList();
            return inPart.Count switch
            {
                1 => new Resolution(inPart[0]),
                0 => new Resolution(-1, Why: $"no member {rest} in {Parts[part].Path}"),
                _ => new Resolution(-1, inPart),
            };
        }
        if (_byName.ContainsKey(path)) return Single(Members(_byName, path));
        if (_byBaseName.ContainsKey(BaseName(path))) return Single(Members(_byBaseName, BaseName(path)));
        return new Resolution(-1);
    }

    private static Resolution Single(IReadOnlyList<int> members) => members.Count == 1 ? new Resolution(members[0]) : new Resolution(-1, members);

    private IReadOnlyList<int> Members(Dictionary<string, int> map, string key) =>
        !map.TryGetValue(key, out int found) ? [] : found >= 0 ? [found] : _shared[~found];

    /// <summary>A part's folder name as VGT unpacks it (<c>tar_file[:-4]</c>); null for names not ending in .tar.</summary>
    private static string? PartStem(string path)
    {
        var name = BaseName(path);
        return name.EndsWith(".tar", StringComparison.OrdinalIgnoreCase) && name.Length > 4 ? name[..^4] : null;
    }

    private static string ParentName(string path)
    {
        int slash = path.Replace('\\', '/').LastIndexOf('/');
        return slash <= 0 ? "" : BaseName(path[..slash]);
    }
}
