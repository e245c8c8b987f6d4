using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using VgtData.Storage;

namespace VgtData.Upload;

/// <summary>
/// What earlier uploads of a folder to one target learned, kept in <c>FOLDER/.vgtdata-upload/</c> (never uploaded):
/// per relative path, the size and modification time a file had when it was stored and the ETag the server gave it —
/// so a rerun skips an unchanged file without reading it (23M images are not re-hashed each time) — and the parts of
/// multipart uploads not yet completed, so an interrupted many-GB tar part resumes at its next part. Every record is
/// appended and flushed at once, so even a killed process leaves what it finished; <see cref="Dispose"/> compacts.
/// Losing or corrupting the journal only costs time: a line that does not parse is ignored, and files it does not
/// vouch for are hashed.
/// </summary>
internal sealed class UploadJournal : IDisposable
{
    /// <summary>The folder below the uploaded folder that holds journals (one per endpoint and target).</summary>
    public const string FolderName = ".vgtdata-upload";

    private readonly object _gate = new();
    private readonly Dictionary<string, Stored> _stored = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Pending> _pending = new(StringComparer.Ordinal);
    private StreamWriter? _writer;
    private bool _readOnly;

    private readonly record struct Stored(long Size, long MtimeTicks, string ETag);

    private sealed record Pending(long Size, long MtimeTicks, long PartSize, string UploadId)
    {
        public SortedDictionary<int, string> Parts { get; } = new();
    }

    /// <summary>An unfinished multipart upload: its id and the ETags of parts 1..N, all stored.</summary>
    public sealed record PendingUpload(string UploadId, IReadOnlyList<string> PartETags);

    private UploadJournal(string path) => FilePath = path;

    /// <summary>The journal file.</summary>
    public string FilePath { get; }

    /// <summary>Opens the journal of uploads from <paramref name="folder"/> to <paramref name="target"/> at <paramref name="endpoint"/>.</summary>
    public static UploadJournal Open(string folder, string endpoint, S3Location target)
    {
        var name = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{endpoint}|{target.Bucket}/{target.KeyPrefix}")))[..16];
        var journal = new UploadJournal(Path.Combine(folder, FolderName, name + ".tsv"));
        if (File.Exists(journal.FilePath))
        {
            // Through the same check as every input: a FIFO planted as the journal is refused, not waited on.
            using var reader = new StreamReader(Storage.RegularFile.OpenInputStream(journal.FilePath, Storage.FileLimit.Manifest), Encoding.UTF8);
            while (reader.ReadLine() is { } line) journal.Apply(line.Split('\t'));
        }
        return journal;
    }

    /// <summary>The ETag recorded for <paramref name="relative"/> if the file still has the recorded size and time.</summary>
    public string? ETagFor(string relative, long size, DateTime mtimeUtc)
    {
        lock (_gate)
            return _stored.TryGetValue(relative, out var e) && e.Size == size && e.MtimeTicks == mtimeUtc.Ticks ? e.ETag : null;
    }

    /// <summary>Records that the file, as it is now, is stored with <paramref name="etag"/> (and no upload of it is pending).</summary>
    public void Record(string relative, long size, DateTime mtimeUtc, string etag) =>
        Append(["F", relative, Num(size), Num(mtimeUtc.Ticks), S3Store.UnquoteETag(etag)]);

    /// <summary>
    /// The unfinished multipart upload of <paramref name="relative"/> when it was started for the file as it is now and
    /// the same part size; null otherwise. <paramref name="stale"/> is an upload id left by an earlier version of the
    /// file (to abort), or null.
    /// </summary>
    public PendingUpload? PendingFor(string relative, long size, DateTime mtimeUtc, long partSize, out string? stale)
    {
        lock (_gate)
        {
            stale = null;
            if (!_pending.TryGetValue(relative, out var p)) return null;
            if (p.Size != size || p.MtimeTicks != mtimeUtc.Ticks || p.PartSize != partSize)
            {
                stale = p.UploadId;
                return null;
            }
            // Only the unbroken run from part 1 counts; a gap is uploaded again.
            var etags = new List<string>();
            while (p.Parts.TryGetValue(etags.Count + 1, out var etag)) etags.Add(etag);
            return new PendingUpload(p.UploadId, etags);
        }
    }

    /// <summary>Records one stored part of a multipart upload.</summary>
    public void RecordPart(string relative, long size, DateTime mtimeUtc, long partSize, string uploadId, int partNumber, string etag) =>
        Append(["P", relative, Num(size), Num(mtimeUtc.Ticks), Num(partSize), uploadId, Num(partNumber), S3Store.UnquoteETag(etag)]);

    /// <summary>Forgets the pending multipart upload of <paramref name="relative"/> (completed elsewhere, gone, or abandoned).</summary>
    public void Forget(string relative) => Append(["X", relative]);

    private static string Num(long v) => v.ToString(CultureInfo.InvariantCulture);

    private void Append(string[] fields)
    {
        // Tabs and newlines would break the line format; such files are simply re-hashed and restarted.
        if (fields.Any(f => f.AsSpan().IndexOfAny('\t', '\n', '\r') >= 0)) return;
        lock (_gate)
        {
            Apply(fields);
            if (_readOnly) return;
            try
            {
                if (_writer is null)
                {
                    Directory.CreateDirectory(Path.GetDirectoryName(FilePath)!);
                    _writer = new StreamWriter(FilePath, append: true, new UTF8Encoding(false));
                }
                _writer.Write(string.Join('\t', fields) + "\n");
                _writer.Flush();
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // A read-only dataset folder still uploads; the next run only hashes and restarts more.
                _readOnly = true;
            }
        }
    }

    private void Apply(string[] f)
    {
        static bool Long(string s, out long v) => long.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out v);
        switch (f)
        {
            case ["F", var rel, var size, var ticks, var etag] when Long(size, out var s) && Long(ticks, out var t) && etag.Length > 0:
                _stored[rel] = new Stored(s, t, etag);
                _pending.Remove(rel);
                break;
            case ["P", var rel, var size, var ticks, var part, var id, var number, var etag]
                when Long(size, out var s) && Long(ticks, out var t) && Long(part, out var ps) && Long(number, out var n) && n is >= 1 and <= 10_000 && id.Length > 0:
                if (!_pending.TryGetValue(rel, out var p) || p.UploadId != id || p.Size != s || p.MtimeTicks != t || p.PartSize != ps)
                    _pending[rel] = p = new Pending(s, t, ps, id);
                p.Parts[(int)n] = etag;
                break;
            case ["X", var rel]:
                _pending.Remove(rel);
                break;
        }
    }

    /// <summary>Rewrites the journal with only what is current (through a temporary, renamed, so a crash never leaves half a file).</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            try
            {
                _writer?.Dispose();
            }
            catch (IOException) { }
            _writer = null;
            if (_readOnly || (_stored.Count == 0 && _pending.Count == 0)) return;
            try
            {
                Directory.CreateDirectory(Path.GetDirectoryName(FilePath)!);
                var temp = FilePath + ".tmp";
                using (var w = new StreamWriter(temp, append: false, new UTF8Encoding(false)))
                {
                    foreach (var (rel, e) in _stored.OrderBy(p => p.Key, StringComparer.Ordinal))
                        w.Write($"F\t{rel}\t{Num(e.Size)}\t{Num(e.MtimeTicks)}\t{e.ETag}\n");
                    foreach (var (rel, p) in _pending.OrderBy(p => p.Key, StringComparer.Ordinal))
                        foreach (var (n, etag) in p.Parts)
                            w.Write($"P\t{rel}\t{Num(p.Size)}\t{Num(p.MtimeTicks)}\t{Num(p.PartSize)}\t{p.UploadId}\t{Num(n)}\t{etag}\n");
                }
                File.Move(temp, FilePath, overwrite: true);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }   // the appended lines already hold it all
        }
    }
}
