using System.Buffers.Binary;
using System.IO.Hashing;
using System.IO.MemoryMappedFiles;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;

namespace VgtData.Manifests;

/// <summary>
/// A manifest's entries in one file that every process on a node memory-maps (<c>.vgtidx</c>): a header, a JSON block
/// naming the sources it was built from (size, mtime, a hash of each file's head and tail) and the <c>cap_source</c>,
/// fixed-size rows with 64-bit offsets, then one UTF-8 string pool. An XxHash64 over the whole file (its own 8 bytes
/// left out) is checked on open, so a truncated, damaged or foreign file is never read.
/// </summary>
/// <remarks>Layout (little-endian): magic <c>VGTIDX\0\1</c>; int32 version; int32 row size; int64 count; int64 rows
/// offset; int64 pool offset; int64 pool length; int32 meta length; int32 reserved; uint64 checksum; meta at 72; rows;
/// pool. A row: int64 image offset, int64 text offset, int32 image length, int32 text length (-1: none), int32 width,
/// int32 height (0: not given), int32 flags (1: the text is an annotation file name; 2 / 4: the image / text holds a
/// lone surrogate, stored as its three generalized UTF-8 bytes), int32 reserved.</remarks>
internal sealed unsafe class EntryIndex : IEntryList, IDisposable
{
    public const string Extension = ".vgtidx";
    public const int Version = 1;
    private const int HeaderBytes = 72, RowBytes = 40, ChecksumAt = 64;
    private const int AnnotationFlag = 1, ImageSurrogateFlag = 2, TextSurrogateFlag = 4;
    private static ReadOnlySpan<byte> Magic => "VGTIDX\0\u0001"u8;

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

    /// <summary>Whether this process wrote the file (it was missing or stale) rather than finding it ready.</summary>
    public bool Built { get; internal set; }

    public int Count { get; }

    public ManifestEntry this[int index]
    {
        get
        {
            var row = Row(index);
            int flags = ReadInt(row + 32);
            var image = String(ReadLong(row), ReadInt(row + 16), (flags & ImageSurrogateFlag) != 0);
            int textLength = ReadInt(row + 20);
            string? text = textLength >= 0 ? String(ReadLong(row + 8), textLength, (flags & TextSurrogateFlag) != 0) : null;
            bool annotation = (flags & AnnotationFlag) != 0;
            int width = ReadInt(row + 24), height = ReadInt(row + 28);
            return new ManifestEntry(image, annotation ? null : text, annotation ? text : null, width > 0 ? width : null, height > 0 ? height : null);
        }
    }

    public string ImageOf(int index)
    {
        var row = Row(index);
        return String(ReadLong(row), ReadInt(row + 16), (ReadInt(row + 32) & ImageSurrogateFlag) != 0);
    }

    private byte* Row(int index)
    {
        if ((uint)index >= (uint)Count) throw new IndexOutOfRangeException($"index {index} is outside the index's {Count} entries ({Source})");
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

    /// <summary>What the index was built from: the <c>cap_source</c> and a stamp of each source file.</summary>
    internal sealed record Meta(string CapSource, IReadOnlyList<SourceStamp> Sources);

    /// <summary>A source file as it was: its path, size, modification time and an XxHash64 of its first and last 64 KiB.</summary>
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
    }

    /// <summary>Writes <paramref name="entries"/> to <paramref name="path"/> atomically (a temporary file beside it,
    /// then a rename).</summary>
    public static void Write(string path, IEntryList entries, Meta meta)
    {
        var temp = $"{path}.{Environment.ProcessId}.tmp";
        var poolTemp = temp + ".pool";
        try
        {
            var metaBytes = JsonSerializer.SerializeToUtf8Bytes(meta);
            long count = entries.Count;
            long rows = HeaderBytes + metaBytes.Length;
            rows = (rows + 7) & ~7L;
            long poolOffset = rows + count * RowBytes;
            long poolLength = 0;
            using (var output = new FileStream(temp, FileMode.Create, FileAccess.ReadWrite, FileShare.None, 1 << 20))
            {
                using (var pool = new FileStream(poolTemp, FileMode.Create, FileAccess.ReadWrite, FileShare.None, 1 << 20, FileOptions.DeleteOnClose))
                {
                    output.Write(new byte[rows]);
                    var row = new byte[RowBytes];
                    var scratch = new byte[256];
                    for (int i = 0; i < count; i++)
                    {
                        var e = entries[i];
                        var text = e.Caption ?? e.Annotation;
                        int flags = e.Annotation != null && e.Caption == null ? AnnotationFlag : 0;
                        var (imageAt, imageLength, imageSurrogates) = Append(pool, e.Image, ref poolLength, ref scratch);
                        long textAt = 0;
                        int textLength = -1;
                        if (text != null)
                        {
                            (textAt, textLength, bool textSurrogates) = Append(pool, text, ref poolLength, ref scratch);
                            if (textSurrogates) flags |= TextSurrogateFlag;
                        }
                        if (imageSurrogates) flags |= ImageSurrogateFlag;
                        BinaryPrimitives.WriteInt64LittleEndian(row, imageAt);
                        BinaryPrimitives.WriteInt64LittleEndian(row.AsSpan(8), textAt);
                        BinaryPrimitives.WriteInt32LittleEndian(row.AsSpan(16), imageLength);
                        BinaryPrimitives.WriteInt32LittleEndian(row.AsSpan(20), textLength);
                        BinaryPrimitives.WriteInt32LittleEndian(row.AsSpan(24), e.Width ?? 0);
                        BinaryPrimitives.WriteInt32LittleEndian(row.AsSpan(28), e.Height ?? 0);
                        BinaryPrimitives.WriteInt32LittleEndian(row.AsSpan(32), flags);
                        output.Write(row);
                    }
                    pool.Position = 0;
                    pool.CopyTo(output);
                }
                var header = new byte[HeaderBytes];
                Magic.CopyTo(header);
                BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(8), Version);
                BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(12), RowBytes);
                BinaryPrimitives.WriteInt64LittleEndian(header.AsSpan(16), count);
                BinaryPrimitives.WriteInt64LittleEndian(header.AsSpan(24), rows);
                BinaryPrimitives.WriteInt64LittleEndian(header.AsSpan(32), poolOffset);
                BinaryPrimitives.WriteInt64LittleEndian(header.AsSpan(40), poolLength);
                BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(48), metaBytes.Length);
                output.Position = 0;
                output.Write(header);
                output.Write(metaBytes);
                output.Flush();
                BinaryPrimitives.WriteUInt64LittleEndian(header.AsSpan(ChecksumAt), Checksum(output));
                output.Position = ChecksumAt;
                output.Write(header.AsSpan(ChecksumAt, 8));
                output.Flush(flushToDisk: true);
            }
            File.Move(temp, path, overwrite: true);
        }
        finally
        {
            File.Delete(temp);
        }
    }

    private static (long At, int Length, bool Surrogates) Append(Stream pool, string text, ref long poolLength, ref byte[] scratch)
    {
        bool surrogates = LoneSurrogates.IndexOf(text) >= 0;
        int max = text.Length * 3;
        if (scratch.Length < max) scratch = new byte[Math.Max(max, scratch.Length * 2)];
        int length = surrogates ? Wtf8.Encode(text, scratch) : Encoding.UTF8.GetBytes(text, scratch);
        pool.Write(scratch, 0, length);
        long at = poolLength;
        poolLength += length;
        return (at, length, surrogates);
    }

    /// <summary>XxHash64 of the whole file but the checksum's own 8 bytes.</summary>
    internal static ulong Checksum(Stream file)
    {
        var hash = new XxHash64();
        var buffer = new byte[1 << 20];
        file.Position = 0;
        int read = file.ReadAtLeast(buffer, HeaderBytes, throwOnEndOfStream: false);
        if (read < HeaderBytes) return 0;
        hash.Append(buffer.AsSpan(0, ChecksumAt));
        hash.Append(buffer.AsSpan(ChecksumAt + 8, read - ChecksumAt - 8));
        while ((read = file.Read(buffer)) > 0) hash.Append(buffer.AsSpan(0, read));
        return hash.GetCurrentHashAsUInt64();
    }

    /// <summary>
    /// Opens <paramref name="path"/> when it is a whole, undamaged index built from <paramref name="expected"/>'s
    /// sources as they are now; otherwise says why in <paramref name="why"/> and returns null (the caller rebuilds it).
    /// </summary>
    public static EntryIndex? TryOpen(string path, Meta expected, int? limit, out string why)
    {
        why = "";
        if (!File.Exists(path)) { why = "no index"; return null; }
        long length = new FileInfo(path).Length;
        if (length < HeaderBytes) { why = $"{length} bytes, shorter than an index header"; return null; }
        var header = new byte[HeaderBytes];
        ulong actual;
        using (var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20))
        {
            stream.ReadExactly(header);
            if (!header.AsSpan(0, 8).SequenceEqual(Magic)) { why = "not a VgtData index (wrong magic)"; return null; }
            if (BinaryPrimitives.ReadInt32LittleEndian(header.AsSpan(8)) != Version || BinaryPrimitives.ReadInt32LittleEndian(header.AsSpan(12)) != RowBytes)
            {
                why = $"index version {BinaryPrimitives.ReadInt32LittleEndian(header.AsSpan(8))}, this build reads {Version}";
                return null;
            }
            actual = Checksum(stream);
        }
        long count = BinaryPrimitives.ReadInt64LittleEndian(header.AsSpan(16));
        long rows = BinaryPrimitives.ReadInt64LittleEndian(header.AsSpan(24));
        long pool = BinaryPrimitives.ReadInt64LittleEndian(header.AsSpan(32));
        long poolLength = BinaryPrimitives.ReadInt64LittleEndian(header.AsSpan(40));
        int metaLength = BinaryPrimitives.ReadInt32LittleEndian(header.AsSpan(48));
        if (count < 0 || count > int.MaxValue || metaLength < 0 || rows < HeaderBytes + (long)metaLength || pool != rows + count * RowBytes
            || poolLength < 0 || pool + poolLength != length)
        {
            why = $"sizes in the header do not match the file's {length} bytes (truncated or damaged)";
            return null;
        }
        if (actual != BinaryPrimitives.ReadUInt64LittleEndian(header.AsSpan(ChecksumAt))) { why = "checksum does not match (damaged)"; return null; }

        var file = MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, 0, MemoryMappedFileAccess.Read);
        var view = file.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
        byte* data = null;
        view.SafeMemoryMappedViewHandle.AcquirePointer(ref data);
        var index = new EntryIndex(path, file, view, data, count, rows, pool, poolLength, limit);
        try
        {
            var meta = JsonSerializer.Deserialize<Meta>(new ReadOnlySpan<byte>(data + HeaderBytes, metaLength));
            if (meta is null || meta.CapSource != expected.CapSource) why = $"built for cap_source '{meta?.CapSource}', not '{expected.CapSource}'";
            else if (!meta.Sources.SequenceEqual(expected.Sources)) why = "its sources changed since it was built";
            if (why.Length == 0) return index;
        }
        catch (JsonException e)
        {
            why = $"its source list cannot be read ({e.Message})";
        }
        index.Dispose();
        return null;
    }

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
