using System.Security.Cryptography;
using System.Text;

namespace VgtData.Sources;

/// <summary>Where one regular member's bytes lie: which part, the data offset in it, the length, and a hash of the
/// member's 512-byte header block (just before the data), re-checked on every read so a part replaced after indexing
/// is never read at stale offsets.</summary>
public readonly record struct TarIndexEntry(int Part, long Offset, long Length, ulong HeaderHash);

/// <summary>
/// Index of the regular-file members of a set of uncompressed tar parts, by full member name and by base name (the
/// first member in part order wins a base name). Built by scanning headers, one part per worker, and cached next to
/// the first part as a compact binary file that is rebuilt when any part's stamp changes: path, size, modification
/// time, change/creation time and a hash of its first and last 64 KiB. A part replaced by one that matches all of
/// those is still caught on read, by the per-member header hash (<see cref="TarIndexEntry.HeaderHash"/>).
/// </summary>
public sealed class TarIndex
{
    private const string Magic = "VGTTIDX2";
    private const int EdgeBytes = 64 * 1024;

    private TarIndex(IReadOnlyList<PartStamp> parts, Dictionary<string, TarIndexEntry> byName, IReadOnlyList<string> problems)
    {
        Parts = parts;
        ByName = byName;
        Problems = problems;
        ByBaseName = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, _) in byName.OrderBy(kv => kv.Value.Part).ThenBy(kv => kv.Value.Offset))
            ByBaseName.TryAdd(BaseName(name), name);
    }

    /// <summary>What identifies a part's content cheaply: see the class remarks.</summary>
    public readonly record struct PartStamp(string Path, long Size, long MtimeTicks, long CtimeTicks, ulong EdgeHash);

    public IReadOnlyList<PartStamp> Parts { get; }

    /// <summary>Normalized full member name (no leading "./") to location.</summary>
    public Dictionary<string, TarIndexEntry> ByName { get; }

    /// <summary>Base name to the full member name that owns it (first in part order).</summary>
    public Dictionary<string, string> ByBaseName { get; }

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
            hash.Append(buffer.AsSpan(0, ReadAt(handle, buffer, 0)));
            if (length > EdgeBytes) hash.Append(buffer.AsSpan(0, ReadAt(handle, buffer, Math.Max(EdgeBytes, length - EdgeBytes))));
            // On Linux .NET reports the birth time, else the status-change time: both change when the file is replaced.
            return new PartStamp(info.FullName, length, info.LastWriteTimeUtc.Ticks, info.CreationTimeUtc.Ticks, hash.GetCurrentHashAsUInt64());
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new VgtDataException($"tar part {path}: cannot read: {e.Message}", e);
        }
    }

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
        var byName = new Dictionary<string, TarIndexEntry>(StringComparer.Ordinal);
        for (int p = 0; p < parts.Count; p++)
            foreach (var (name, offset, length, headerHash) in perPart[p])
                byName.TryAdd(name, new TarIndexEntry(p, offset, length, headerHash));
        return new TarIndex(parts, byName, problems.Where(p => p != null).Cast<string>().ToList());
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
                w.Write(ByName.Count);
                foreach (var (name, e) in ByName) { w.Write(name); w.Write(e.Part); w.Write(e.Offset); w.Write(e.Length); w.Write(e.HeaderHash); }
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
            var byName = new Dictionary<string, TarIndexEntry>(count, StringComparer.Ordinal);
            for (int i = 0; i < count; i++)
            {
                var name = r.ReadString();
                var entry = new TarIndexEntry(r.ReadInt32(), r.ReadInt64(), r.ReadInt64(), r.ReadUInt64());
                if (entry.Part < 0 || entry.Part >= partCount || entry.Offset < 512 || entry.Length < 0) return null;
                byName[name] = entry;
            }
            return new TarIndex(expected, byName, problems) { FromCache = true };
        }
        // A cache that is not a regular file (or is unreadable) is only rebuilt and replaced.
        catch (Exception e) when (e is IOException or EndOfStreamException or FormatException or UnreadableFileException) { return null; }
    }

    /// <summary>Finds <paramref name="imageFile"/> by full member name, then by base name.</summary>
    public bool TryFind(string imageFile, out TarIndexEntry entry) => TryFind(imageFile, out entry, out _);

    public bool TryFind(string imageFile, out TarIndexEntry entry, out string memberName)
    {
        memberName = NormalizeName(imageFile);
        if (ByName.TryGetValue(memberName, out entry)) return true;
        if (ByBaseName.TryGetValue(BaseName(imageFile), out memberName!)) return ByName.TryGetValue(memberName, out entry);
        memberName = "";
        return false;
    }
}
