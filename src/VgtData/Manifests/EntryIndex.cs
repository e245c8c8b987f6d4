using System.Buffers.Binary;
using System.IO.Hashing;
using System.IO.MemoryMappedFiles;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using Microsoft.Win32.SafeHandles;

namespace VgtData.Manifests;

/// <summary>
/// A manifest's entries in one file that every process on a node memory-maps (<c>.vgtidx</c>): a header, a JSON block
/// naming the sources it was built from (size, mtime, a hash of each file's head and tail), the <c>cap_source</c> and how
/// annotations were read, fixed-size rows with 64-bit offsets, then one UTF-8 string pool. An XxHash3 over the whole
/// file (its own 8 bytes left out) is checked on open, so a truncated, damaged or foreign file is never read; once a
/// node has checked a file, its other processes trust that check while the file is unchanged (<see cref="CheckedStamp"/>).
/// </summary>
/// <remarks>Layout (little-endian): magic <c>VGTIDX\0\1</c>; int32 version; int32 row size; int64 count; int64 rows
/// offset; int64 pool offset; int64 pool length; int32 meta length; int32 reserved; uint64 checksum; meta at 72; rows;
/// pool. A row (32 bytes): int64 offset of the image path, whose text follows it in the pool; int32 image length, int32
/// text length (-1: none), int32 width, int32 height (0: not given), int32 flags (1: the text is an annotation file name;
/// 2 / 4: the image / text holds a lone surrogate, stored as its three generalized UTF-8 bytes; 8: the text is the caption
/// read from the entry's annotation when the index was built), int32 reserved.</remarks>
internal sealed unsafe class EntryIndex : IEntryList, IDisposable
{
    public const string Extension = ".vgtidx";
    public const int Version = 2;
    internal const int HeaderBytes = 72, RowBytes = 32, ChecksumAt = 64;
    private const int AnnotationFlag = 1, ImageSurrogateFlag = 2, TextSurrogateFlag = 4, AnnotationCaptionFlag = 8;
    internal static ReadOnlySpan<byte> Magic => "VGTIDX\0\u0001"u8;

    private readonly MemoryMappedFile _file;
    private readonly MemoryMappedViewAccessor _view;
    private readonly byte* _base;
    private readonly long _rows, _pool, _poolLength;

    private EntryIndex(string path, MemoryMappedFile file, MemoryMappedViewAccessor view, byte* data, long count, long rows, long pool, long poolLength, int? limit)
    {
        Source = path;
        _file = file;
        _view = view;
        _base = data;
        _rows = rows;
        _pool = pool;
        _poolLength = poolLength;
        Count = (int)Math.Min(count, limit ?? int.MaxValue);
    }

    public string Source { get; }

    /// <summary>Whether this open hashed the whole file (false: this node had checked this very file before).</summary>
    internal bool Hashed { get; private init; }

    /// <summary>The bucket object this file was downloaded from (an s3:// manifest's index another node built), or null.</summary>
    internal string? Fetched { get; set; }

    /// <summary>The bucket object this process wrote the file to after building it, or null.</summary>
    internal string? Published { get; set; }

    /// <summary>Whether this process wrote the file (it was missing or stale) rather than finding it ready.</summary>
    public bool Built { get; internal set; }

    public int Count { get; }

    public ManifestEntry this[int index]
    {
        get
        {
            var row = Row(index);
            long at = ReadLong(row);
            int imageLength = ReadInt(row + 8), textLength = ReadInt(row + 12), flags = ReadInt(row + 24);
            var image = String(at, imageLength, (flags & ImageSurrogateFlag) != 0);
            string? text = textLength >= 0 ? String(at + imageLength, textLength, (flags & TextSurrogateFlag) != 0) : null;
            bool annotation = (flags & AnnotationFlag) != 0;
            int width = ReadInt(row + 16), height = ReadInt(row + 20);
            return new ManifestEntry(image, annotation ? null : text, annotation ? text : null, width > 0 ? width : null, height > 0 ? height : null);
        }
    }

    public string ImageOf(int index)
    {
        var row = Row(index);
        return String(ReadLong(row), ReadInt(row + 8), (ReadInt(row + 24) & ImageSurrogateFlag) != 0);
    }

    /// <summary>How many entries hold the caption of their annotation file (read when the index was built).</summary>
    internal int AnnotationCaptions()
    {
        int n = 0;
        for (int i = 0; i < Count; i++) n += (ReadInt(Row(i) + 24) & AnnotationCaptionFlag) != 0 ? 1 : 0;
        return n;
    }

    private byte* Row(int index)
    {
        if ((uint)index >= (uint)Count) throw new IndexOutOfRangeException($"index {index} is outside the index's {Count} entries ({Source})");
        // A read after the mapping is gone would be an access violation: refuse it as a .NET error instead.
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        return _base + _rows + (long)index * RowBytes;
    }

    private static long ReadLong(byte* p) => BinaryPrimitives.ReadInt64LittleEndian(new ReadOnlySpan<byte>(p, 8));
    private static int ReadInt(byte* p) => BinaryPrimitives.ReadInt32LittleEndian(new ReadOnlySpan<byte>(p, 4));

    private string String(long offset, int length, bool surrogates)
    {
        if (offset < 0 || length < 0 || offset > _poolLength - length)
            throw new VgtDataException($"{Source}: a row points outside the string pool; rebuild the index (delete it)");
        var bytes = new ReadOnlySpan<byte>(_base + _pool + offset, length);
        return surrogates ? Wtf8.Decode(bytes) : Encoding.UTF8.GetString(bytes);
    }

    private int _disposed;

    public void Dispose()
    {
        // The dataset that reads an index closes it, and so may whoever opened it: the pointer is released once.
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        _view.SafeMemoryMappedViewHandle.ReleasePointer();
        _view.Dispose();
        _file.Dispose();
    }

    /// <summary>What the index was built from: the <c>cap_source</c>, a stamp of each source file, and how annotation
    /// captions were read into it (null: they were not; the dataset reads each annotation file per sample).</summary>
    internal sealed record Meta(string CapSource, IReadOnlyList<SourceStamp> Sources, string? Annotations = null)
    {
        /// <summary>Whether an index built with this meta serves <paramref name="wanted"/>; one whose entries name no
        /// annotation (null <see cref="Annotations"/>) serves any annotation settings, so a cwd or cap_folder change does
        /// not rebuild it.</summary>
        public bool Serves(Meta wanted) => CapSource == wanted.CapSource && (Annotations is null || Annotations == wanted.Annotations)
            && Enumerable.SequenceEqual(Sources, wanted.Sources);
    }

    /// <summary>A source file as it was: its path, size, modification time and an XxHash64 of its first and last 64 KiB
    /// (for an object in a bucket: its address, size and ETag).</summary>
    internal sealed record SourceStamp(string Path, long Size, long MtimeTicks, string HeadTail)
    {
        private const int Edge = 64 << 10;

        public static SourceStamp Of(string path)
        {
            var info = new FileInfo(path);
            using var handle = Storage.RegularFile.OpenInput(path, Storage.FileLimit.Manifest, out long size);
            var hash = new XxHash64();
            var buffer = new byte[(int)Math.Min(size, Edge)];
            hash.Append(buffer.AsSpan(0, RandomAccess.Read(handle, buffer, 0)));
            if (size > Edge) hash.Append(buffer.AsSpan(0, RandomAccess.Read(handle, buffer, Math.Max(Edge, size - Edge))));
            return new SourceStamp(System.IO.Path.GetFullPath(path), size, info.LastWriteTimeUtc.Ticks, Convert.ToHexString(hash.GetCurrentHash()));
        }

        public static SourceStamp OfObject(string address, long size, string etag) => new(address, size, 0, "etag:" + etag);
    }

    // Annotation files read at once while building (I/O bound: local disk or object storage round trips).
    private const int AnnotationBlock = 4096, AnnotationReaders = 16;

    /// <summary>Writes <paramref name="entries"/> to <paramref name="path"/> atomically (a temporary file beside it, then
    /// a rename). With <paramref name="annotationCaption"/>, each entry that names an annotation file and no caption gets
    /// the caption it returns (null: unreadable; the entry keeps the file name and fails as a sample, as without an index).
    /// <paramref name="written"/> hears the entries written so far, every few thousand.</summary>
    public static void Write(string path, IEntryList entries, Meta meta, Func<string, string?>? annotationCaption = null, Action<long>? written = null)
    {
        var temp = $"{path}.{Environment.ProcessId}.tmp";
        try
        {
            if (meta.Annotations != null && !NamesAnnotations(entries)) meta = meta with { Annotations = null };
            var metaBytes = JsonSerializer.SerializeToUtf8Bytes(meta);
            long count = entries.Count;
            long rows = (HeaderBytes + metaBytes.Length + 7) & ~7L;
            long poolOffset = rows + count * RowBytes;
            long poolLength = 0;
            var rowHash = new PieceHash();
            var poolHash = new PieceHash();
            // Rows and pool are written through two streams at their own offsets: no second pass, no copy.
            using (var rowStream = new FileStream(temp, FileMode.Create, FileAccess.ReadWrite, FileShare.ReadWrite, 1 << 20))
            using (var pool = new FileStream(temp, FileMode.Open, FileAccess.Write, FileShare.ReadWrite, 4 << 20))
            {
                rowStream.Position = rows;
                pool.Position = poolOffset;
                var row = new byte[RowBytes];
                var scratch = new byte[1024];
                var captions = annotationCaption is null ? null : new string?[AnnotationBlock];
                var manifest = entries as Manifest;
                for (int start = 0; start < count; start += AnnotationBlock)
                {
                    int n = (int)Math.Min(AnnotationBlock, count - start);
                    if (captions != null) ReadCaptions(entries, start, n, captions, annotationCaption!);
                    for (int k = 0; k < n; k++)
                    {
                        int i = start + k, imageLength, textLength = -1, flags = 0, width, height;
                        string? caption = captions?[k];
                        if (caption is null && manifest != null && manifest.TryRaw(i, out var raw, out var image, out var text))
                        {
                            // The table's own UTF-8 bytes: no string is made for the common entry.
                            Put(pool, poolHash, image, ref poolLength);
                            imageLength = image.Length;
                            if (raw.TextLength >= 0)
                            {
                                Put(pool, poolHash, text, ref poolLength);
                                textLength = text.Length;
                                if (raw.TextIsAnnotation) flags |= AnnotationFlag;
                            }
                            (width, height) = (raw.Width, raw.Height);
                        }
                        else
                        {
                            var e = entries[i];
                            var value = caption ?? e.Caption ?? e.Annotation;
                            flags = caption != null ? AnnotationCaptionFlag : e.Annotation != null && e.Caption == null ? AnnotationFlag : 0;
                            if (Append(pool, poolHash, e.Image, ref poolLength, ref scratch, out imageLength)) flags |= ImageSurrogateFlag;
                            if (value != null && Append(pool, poolHash, value, ref poolLength, ref scratch, out textLength)) flags |= TextSurrogateFlag;
                            (width, height) = (e.Width ?? 0, e.Height ?? 0);
                        }
                        BinaryPrimitives.WriteInt64LittleEndian(row, poolLength - imageLength - Math.Max(0, textLength));
                        BinaryPrimitives.WriteInt32LittleEndian(row.AsSpan(8), imageLength);
                        BinaryPrimitives.WriteInt32LittleEndian(row.AsSpan(12), textLength);
                        BinaryPrimitives.WriteInt32LittleEndian(row.AsSpan(16), width);
                        BinaryPrimitives.WriteInt32LittleEndian(row.AsSpan(20), height);
                        BinaryPrimitives.WriteInt32LittleEndian(row.AsSpan(24), flags);
                        rowStream.Write(row);
                        rowHash.Append(row);
                    }
                    written?.Invoke(start + n);
                }
                pool.Flush();
                var header = Header(count, rows, poolOffset, poolLength, metaBytes.Length);
                var prefix = new byte[rows];
                header.CopyTo(prefix, 0);
                metaBytes.CopyTo(prefix, HeaderBytes);
                BinaryPrimitives.WriteUInt64LittleEndian(prefix.AsSpan(ChecksumAt),
                    Combine(prefix, rowHash.Finish(), poolHash.Finish()));
                rowStream.Position = 0;
                rowStream.Write(prefix);
            }
            // No fsync: a file torn by a crash fails its checksum on the next open and is rebuilt.
            File.Move(temp, path, overwrite: true);
        }
        finally
        {
            File.Delete(temp);
        }
    }

    private static bool NamesAnnotations(IEntryList entries)
    {
        for (int i = 0; i < entries.Count; i++)
            if (NamesAnnotation(entries, i)) return true;
        return false;
    }

    private static bool NamesAnnotation(IEntryList entries, int i) =>
        entries is Manifest m ? m.TryRaw(i, out var row, out _, out _) is var _ && row.TextIsAnnotation && row.TextLength >= 0
            : entries[i] is { Caption: null, Annotation: not null };

    private static void ReadCaptions(IEntryList entries, int start, int n, string?[] captions, Func<string, string?> read)
    {
        Array.Clear(captions);
        // Inline captions are the common case: a block without annotation names costs one pass over its rows.
        bool any = false;
        for (int k = 0; k < n && !any; k++) any = NamesAnnotation(entries, start + k);
        if (!any) return;
        Parallel.For(0, n, new ParallelOptions { MaxDegreeOfParallelism = AnnotationReaders }, k =>
        {
            if (entries[start + k] is not { Caption: null, Annotation: { } annotation }) return;
            try
            {
                captions[k] = read(annotation);
            }
            catch (Exception e) when (e is VgtDataException or IOException or UnauthorizedAccessException)
            {
                // Left to the sample, which reads the file and fails (or not) exactly as it would without an index.
            }
        });
    }

    internal static byte[] Header(long count, long rows, long pool, long poolLength, int metaLength)
    {
        var header = new byte[HeaderBytes];
        Magic.CopyTo(header);
        BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(8), Version);
        BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(12), RowBytes);
        BinaryPrimitives.WriteInt64LittleEndian(header.AsSpan(16), count);
        BinaryPrimitives.WriteInt64LittleEndian(header.AsSpan(24), rows);
        BinaryPrimitives.WriteInt64LittleEndian(header.AsSpan(32), pool);
        BinaryPrimitives.WriteInt64LittleEndian(header.AsSpan(40), poolLength);
        BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(48), metaLength);
        return header;
    }

    private static void Put(Stream pool, PieceHash hash, ReadOnlySpan<byte> bytes, ref long poolLength)
    {
        pool.Write(bytes);
        hash.Append(bytes);
        poolLength += bytes.Length;
    }

    /// <summary>Appends <paramref name="text"/> to the pool; true when it holds a lone surrogate (stored as generalized UTF-8).</summary>
    private static bool Append(Stream pool, PieceHash hash, string text, ref long poolLength, ref byte[] scratch, out int length)
    {
        bool surrogates = LoneSurrogates.IndexOf(text) >= 0;
        int max = text.Length * 3;
        if (scratch.Length < max) scratch = new byte[Math.Max(max, scratch.Length * 2)];
        length = surrogates ? Wtf8.Encode(text, scratch) : Encoding.UTF8.GetBytes(text, scratch);
        Put(pool, hash, scratch.AsSpan(0, length), ref poolLength);
        return surrogates;
    }

    /// <summary>The checksum: XxHash3 of the header (its checksum left out), the meta block, and the XxHash3 of each
    /// 64 MiB piece of the rows, then of the pool; <paramref name="prefix"/> is the file up to the rows.</summary>
    private static ulong Combine(ReadOnlySpan<byte> prefix, IReadOnlyList<ulong> rows, IReadOnlyList<ulong> pool)
    {
        var hash = new XxHash3();
        hash.Append(prefix[..ChecksumAt]);
        hash.Append(prefix[(ChecksumAt + 8)..]);
        Span<byte> piece = stackalloc byte[8];
        foreach (var h in rows.Concat(pool))
        {
            BinaryPrimitives.WriteUInt64LittleEndian(piece, h);
            hash.Append(piece);
        }
        return hash.GetCurrentHashAsUInt64();
    }

    /// <summary>XxHash3 of each 64 MiB piece of a region written in order, so an open checks the pieces on several cores.</summary>
    private sealed class PieceHash
    {
        public const int Piece = 64 << 20;
        private readonly XxHash3 _hash = new();
        private readonly List<ulong> _pieces = new();
        private int _filled;

        public void Append(ReadOnlySpan<byte> bytes)
        {
            while (bytes.Length > 0)
            {
                int n = Math.Min(bytes.Length, Piece - _filled);
                _hash.Append(bytes[..n]);
                _filled += n;
                bytes = bytes[n..];
                if (_filled == Piece) Close();
            }
        }

        public List<ulong> Finish()
        {
            if (_filled > 0) Close();
            return _pieces;
        }

        private void Close()
        {
            _pieces.Add(_hash.GetCurrentHashAsUInt64());
            _hash.Reset();
            _filled = 0;
        }

        /// <summary>The pieces of a region of the file, hashed in parallel. Read, not mapped: a process's RSS then holds
        /// only the pages its lookups touch, not the whole index.</summary>
        public static ulong[] Of(SafeFileHandle file, long start, long length)
        {
            var pieces = new ulong[(length + Piece - 1) / Piece];
            Parallel.For(0, pieces.Length, p =>
            {
                var hash = new XxHash3();
                var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(1 << 20);
                try
                {
                    long at = start + (long)p * Piece, end = Math.Min(at + Piece, start + length);
                    while (at < end)
                    {
                        int read = RandomAccess.Read(file, buffer.AsSpan(0, (int)Math.Min(buffer.Length, end - at)), at);
                        if (read == 0) throw new EndOfStreamException();
                        hash.Append(buffer.AsSpan(0, read));
                        at += read;
                    }
                }
                finally
                {
                    System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
                }
                pieces[p] = hash.GetCurrentHashAsUInt64();
            });
            return pieces;
        }
    }

    /// <summary>The checksum of an index whose header sizes were checked against its length.</summary>
    private static ulong Checksum(SafeFileHandle file, long rows, long pool, long end)
    {
        var prefix = new byte[rows];
        RandomAccess.Read(file, prefix, 0);
        return Combine(prefix, PieceHash.Of(file, rows, pool - rows), PieceHash.Of(file, pool, end - pool));
    }

    /// <summary>The checksum the file at <paramref name="path"/> should hold (tests that write an index by hand).</summary>
    internal static ulong Checksum(string path)
    {
        using var file = File.OpenHandle(path);
        var header = new byte[HeaderBytes];
        RandomAccess.Read(file, header, 0);
        long rows = BinaryPrimitives.ReadInt64LittleEndian(header.AsSpan(24)), pool = BinaryPrimitives.ReadInt64LittleEndian(header.AsSpan(32));
        return Checksum(file, rows, pool, pool + BinaryPrimitives.ReadInt64LittleEndian(header.AsSpan(40)));
    }

    /// <summary>
    /// Opens <paramref name="path"/> when it is a whole, undamaged index built from <paramref name="expected"/>'s
    /// sources as they are now; otherwise says why in <paramref name="why"/> and returns null (the caller rebuilds it).
    /// With <paramref name="checkedOnly"/>, only a file this node has checked before (<see cref="CheckedStamp"/>) is opened,
    /// without hashing it (the caller then takes the build lock, so one process hashes it while the others wait).
    /// </summary>
    public static EntryIndex? TryOpen(string path, Meta expected, int? limit, out string why, bool checkedOnly = false)
    {
        why = "";
        if (!File.Exists(path)) { why = "no index"; return null; }
        long length = new FileInfo(path).Length;
        if (length < HeaderBytes) { why = $"{length} bytes, shorter than an index header"; return null; }
        var header = new byte[HeaderBytes];
        using var handle = File.OpenHandle(path);
        AdviseRandom(handle);
        RandomAccess.Read(handle, header, 0);
        if (!header.AsSpan(0, 8).SequenceEqual(Magic)) { why = "not a VgtData index (wrong magic)"; return null; }
        if (BinaryPrimitives.ReadInt32LittleEndian(header.AsSpan(8)) != Version || BinaryPrimitives.ReadInt32LittleEndian(header.AsSpan(12)) != RowBytes)
        {
            why = $"index version {BinaryPrimitives.ReadInt32LittleEndian(header.AsSpan(8))}, this build reads {Version}";
            return null;
        }
        long count = BinaryPrimitives.ReadInt64LittleEndian(header.AsSpan(16));
        long rows = BinaryPrimitives.ReadInt64LittleEndian(header.AsSpan(24));
        long pool = BinaryPrimitives.ReadInt64LittleEndian(header.AsSpan(32));
        long poolLength = BinaryPrimitives.ReadInt64LittleEndian(header.AsSpan(40));
        int metaLength = BinaryPrimitives.ReadInt32LittleEndian(header.AsSpan(48));
        if (count < 0 || count > int.MaxValue || metaLength < 0 || rows < HeaderBytes + (long)metaLength || rows > int.MaxValue
            || pool != rows + count * RowBytes || poolLength < 0 || pool + poolLength != length)
        {
            why = $"sizes in the header do not match the file's {length} bytes (truncated or damaged)";
            return null;
        }
        ulong checksum = BinaryPrimitives.ReadUInt64LittleEndian(header.AsSpan(ChecksumAt));
        var identity = CheckedStamp.Of(handle);
        bool stamped = identity is { } id && CheckedStamp.Holds(path, id.Identity, checksum);
        if (!stamped)
        {
            if (checkedOnly) { why = "not checked on this node yet"; return null; }
            if (Checksum(handle, rows, pool, length) != checksum)
            {
                why = "checksum does not match (damaged)";
                return null;
            }
            if (identity is { } checkedNow) CheckedStamp.Record(path, checkedNow.Identity, checkedNow.Changed, checksum);
        }

        // Mapped from the handle that was checked: a rebuild renamed over the path meanwhile is not what gets read.
        var file = MemoryMappedFile.CreateFromFile(handle, null, 0, MemoryMappedFileAccess.Read, HandleInheritability.None, leaveOpen: true);
        var view = file.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
        byte* data = null;
        view.SafeMemoryMappedViewHandle.AcquirePointer(ref data);
        if (OperatingSystem.IsLinux() && length > 0) _ = Madvise(data, (nuint)length, MadvRandom);   // a hint; the view is page-aligned
        var index = new EntryIndex(path, file, view, data, count, rows, pool, poolLength, limit) { Hashed = !stamped };
        try
        {
            if (JsonSerializer.Deserialize<Meta>(new ReadOnlySpan<byte>(data + HeaderBytes, metaLength)) is not { } meta)
                why = "its source list is empty";
            else if (meta.CapSource != expected.CapSource) why = $"built for cap_source '{meta.CapSource}', not '{expected.CapSource}'";
            else if (!meta.Serves(expected)) why = "its sources changed since it was built";
            if (why.Length == 0) return index;
        }
        catch (JsonException e)
        {
            why = $"its source list cannot be read ({e.Message})";
        }
        index.Dispose();
        return null;
    }

    // Lookups land anywhere in the file, and Linux maps a whole page-cache folio (up to 2 MiB) on a fault: after a
    // checksum pass with read-ahead, ~150 lookups put ~90 MB of a 10M-entry index into the process's RSS. Read without
    // read-ahead, the cache holds the index in single pages, and faults on the map read only their own page.
    private const int MadvRandom = 1, FadvRandom = 1;

    private static void AdviseRandom(SafeFileHandle handle)
    {
        if (OperatingSystem.IsLinux()) _ = PosixFadvise((int)handle.DangerousGetHandle(), 0, 0, FadvRandom);   // a hint
    }

    [DllImport("libc", EntryPoint = "madvise")]
    private static extern int Madvise(void* address, nuint length, int advice);

    [DllImport("libc", EntryPoint = "posix_fadvise")]
    private static extern int PosixFadvise(int fd, long offset, long length, int advice);

    /// <summary>UTF-16 with lone surrogates as their three generalized UTF-8 bytes (what Python's surrogatepass gives).</summary>
    private static class Wtf8
    {
        public static int Encode(string text, Span<byte> output)
        {
            int n = 0;
            for (int i = 0; i < text.Length; i++)
            {
                char c = text[i];
                if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
                {
                    n += Encoding.UTF8.GetBytes(text.AsSpan(i, 2), output[n..]);
                    i++;
                }
                else if (char.IsSurrogate(c))
                {
                    output[n++] = (byte)(0xE0 | (c >> 12));
                    output[n++] = (byte)(0x80 | ((c >> 6) & 0x3F));
                    output[n++] = (byte)(0x80 | (c & 0x3F));
                }
                else n += Encoding.UTF8.GetBytes(text.AsSpan(i, 1), output[n..]);
            }
            return n;
        }

        public static string Decode(ReadOnlySpan<byte> bytes)
        {
            var sb = new StringBuilder(bytes.Length);
            int i = 0;
            while (i < bytes.Length)
            {
                // A generalized UTF-8 surrogate: ED A0..BF xx.
                if (bytes[i] == 0xED && i + 2 < bytes.Length && bytes[i + 1] >= 0xA0)
                {
                    sb.Append((char)(0xD000 | ((bytes[i + 1] & 0x3F) << 6) | (bytes[i + 2] & 0x3F)));
                    i += 3;
                    continue;
                }
                int start = i;
                while (i < bytes.Length && !(bytes[i] == 0xED && i + 2 < bytes.Length && bytes[i + 1] >= 0xA0)) i++;
                sb.Append(Encoding.UTF8.GetString(bytes[start..i]));
            }
            return sb.ToString();
        }
    }
}
