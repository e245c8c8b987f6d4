using System.Collections.Concurrent;
using System.Globalization;
using System.Text;

namespace VgtData.Storage;

/// <summary>
/// A small file in the uploaded folder remembering, per relative path, the size and modification time a file had when
/// it was uploaded and the ETag the server gave it. A rerun whose bucket object still has that ETag and size skips an
/// unchanged file without reading it (23M images are not re-hashed each time); anything else falls back to hashing.
/// Losing or corrupting the journal only costs time: every line is checked, and a bad one is ignored.
/// </summary>
public sealed class UploadJournal
{
    /// <summary>The journal's file name inside the uploaded folder (never uploaded itself).</summary>
    public const string FileName = ".vgtdata-upload.tsv";

    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly string _path;

    private UploadJournal(string path) => _path = path;

    private readonly record struct Entry(long Size, long MtimeTicks, string ETag);

    /// <summary>Loads the journal of <paramref name="folder"/>; empty when there is none.</summary>
    public static UploadJournal Load(string folder)
    {
        var journal = new UploadJournal(Path.Combine(folder, FileName));
        if (!File.Exists(journal._path)) return journal;
        foreach (var line in File.ReadLines(journal._path, Encoding.UTF8))
        {
            var f = line.Split('\t');
            if (f.Length == 4 && long.TryParse(f[1], NumberStyles.None, CultureInfo.InvariantCulture, out var size)
                && long.TryParse(f[2], NumberStyles.None, CultureInfo.InvariantCulture, out var ticks) && f[3].Length > 0)
                journal._entries[f[0]] = new Entry(size, ticks, f[3]);
        }
        return journal;
    }

    /// <summary>The ETag recorded for <paramref name="relative"/> if the file still has the recorded size and time.</summary>
    public string? ETagFor(string relative, long size, DateTime mtimeUtc) =>
        _entries.TryGetValue(relative, out var e) && e.Size == size && e.MtimeTicks == mtimeUtc.Ticks ? e.ETag : null;

    /// <summary>Records that the file, as it is now, is stored with <paramref name="etag"/>.</summary>
    public void Record(string relative, long size, DateTime mtimeUtc, string etag)
    {
        // Tabs and newlines would break the line format; such files are simply re-hashed next time.
        if (relative.AsSpan().IndexOfAny('\t', '\n', '\r') >= 0) return;
        _entries[relative] = new Entry(size, mtimeUtc.Ticks, S3Store.UnquoteETag(etag));
    }

    /// <summary>Writes the journal (to a temporary, then renamed, so a crash never leaves half a file).</summary>
    public void Save()
    {
        var temp = _path + ".tmp";
        using (var writer = new StreamWriter(temp, append: false, new UTF8Encoding(false)))
        {
            foreach (var (relative, e) in _entries.OrderBy(p => p.Key, StringComparer.Ordinal))
                writer.Write(string.Create(CultureInfo.InvariantCulture, $"{relative}\t{e.Size}\t{e.MtimeTicks}\t{e.ETag}\n"));
        }
        File.Move(temp, _path, overwrite: true);
    }
}
