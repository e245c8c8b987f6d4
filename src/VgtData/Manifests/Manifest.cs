using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using VgtData.Storage;

namespace VgtData.Manifests;

/// <summary>
/// The entries of a data.json (or a folder of them, or JSONL) in a compact table: strings live in one UTF-8 pool and each
/// entry is a fixed-size record, so a million entries cost tens of megabytes, not a dictionary each.
/// </summary>
internal sealed class Manifest : IEntryList
{
    [StructLayout(LayoutKind.Sequential, Pack = 4)]
    internal struct Row
    {
        public long Image;
        public long Text;      // caption (inline) or annotation file name
        public int ImageLength;
        public int TextLength; // -1: the entry has neither caption nor annotation
        public int Width;      // 0: not given
        public int Height;
        public bool TextIsAnnotation;
    }

    private readonly Utf8Pool _pool = new();
    private Row[] _rows = new Row[1024];
    // Strings holding a lone surrogate (see LoneSurrogates), exactly as Python reads them; the pool holds them with U+FFFD.
    private readonly Dictionary<long, string> _exact = new();

    private Manifest(string source, string capSource)
    {
        Source = source;
        CapSource = capSource;
    }

    /// <summary>Where the entries came from (file or folder), for error messages.</summary>
    public string Source { get; }

    /// <summary>The key that holds the caption (the anchor's <c>cap_source</c>).</summary>
    public string CapSource { get; }

    public int Count { get; private set; }

    /// <summary>Approximate memory the table holds (rows + string pool).</summary>
    public long MemoryBytes => (long)_rows.Length * Marshal.SizeOf<Row>() + _pool.Capacity;

    public ManifestEntry this[int index]
    {
        get
        {
            if ((uint)index >= (uint)Count) throw new IndexOutOfRangeException($"index {index} is outside the manifest's {Count} entries ({Source})");
            ref readonly var r = ref _rows[index];
            var image = Exact(index, image: true) ?? _pool.GetString(r.Image, r.ImageLength);
            string? text = r.TextLength >= 0 ? Exact(index, image: false) ?? _pool.GetString(r.Text, r.TextLength) : null;
            return new ManifestEntry(image,
                r.TextIsAnnotation ? null : text,
                r.TextIsAnnotation ? text : null,
                r.Width > 0 ? r.Width : null,
                r.Height > 0 ? r.Height : null);
        }
    }

    /// <summary>The image path of an entry without decoding its caption.</summary>
    public string ImageOf(int index) => Exact(index, image: true) ?? _pool.GetString(_rows[index].Image, _rows[index].ImageLength);

    /// <summary>Entry <paramref name="index"/>'s row and its UTF-8 bytes as the pool holds them, with no string made (the
    /// entry index's writer); false when the entry holds a lone surrogate, which only its string keeps exactly.</summary>
    internal bool TryRaw(int index, out Row row, out ReadOnlySpan<byte> image, out ReadOnlySpan<byte> text)
    {
        row = _rows[index];
        image = _pool.Get(row.Image, row.ImageLength);
        text = row.TextLength >= 0 ? _pool.Get(row.Text, row.TextLength) : default;
        return _exact.Count == 0 || (!_exact.ContainsKey(ExactKey(index, true)) && !_exact.ContainsKey(ExactKey(index, false)));
    }

    private string? Exact(int index, bool image) =>
        _exact.Count > 0 && _exact.TryGetValue(ExactKey(index, image), out var s) ? s : null;

    private static long ExactKey(int index, bool image) => (long)index * 2 + (image ? 1 : 0);

    /// <summary>Receives one entry's JSON bytes (comments and trailing commas as written); returns false to stop reading.</summary>
    public delegate bool EntryBytesHandler(ReadOnlySpan<byte> json, int position);

    /// <summary>
    /// Every entry of <paramref name="dataPath"/> as raw JSON bytes, in the order and with the syntax <see cref="Load"/>
    /// accepts (BOM, comments, trailing commas, data after the array, JSONL values): tools that rewrite a manifest use this
    /// so they accept exactly what the loader accepts.
    /// </summary>
    public static void ReadEntryBytes(string dataPath, EntryBytesHandler handler)
    {
        int position = 0;
        bool stopped = false;
        foreach (var file in Files(dataPath))
        {
            using var stream = Open(file);
            ReadEntries(stream, file, IsJsonLines(file), () => stopped, (json, _) =>
            {
                if (!handler(json, position++)) stopped = true;
            });
            if (stopped) break;
        }
    }

    /// <summary>Reads a JSON array file, a JSONL file (<c>.jsonl</c>), or every <c>*.json</c> in a folder (sorted by name);
    /// <paramref name="bytesRead"/> hears the bytes read so far over all files, every 65,536 entries and at the end.</summary>
    public static Manifest Load(string dataPath, string capSource = "caption", int? limit = null, Action<long>? bytesRead = null)
    {
        var manifest = new Manifest(dataPath, capSource);
        var capKey = Encoding.UTF8.GetBytes(capSource);
        long before = 0;
        foreach (var file in Files(dataPath))
        {
            if (limit is int l && manifest.Count >= l) break;
            using var stream = Open(file);
            ReadEntries(stream, file, IsJsonLines(file), () => limit is int max && manifest.Count >= max, (json, position) =>
            {
                var entryReader = new Utf8JsonReader(json, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
                entryReader.Read();
                manifest.ReadEntry(ref entryReader, file, position, capKey);
                if (bytesRead != null && (manifest.Count & 0xFFFF) == 0) bytesRead(before + stream.Position);
            });
            before += stream.Length;
        }
        bytesRead?.Invoke(before);
        return manifest;
    }

    /// <summary>The files a data_path names: itself, or the folder's <c>*.json</c> sorted by name.</summary>
    internal static List<string> SourceFiles(string dataPath) => Files(dataPath);

    private static List<string> Files(string dataPath)
    {
        if (Directory.Exists(dataPath))
        {
            var files = Directory.GetFiles(dataPath, "*.json").OrderBy(f => Path.GetFileName(f), StringComparer.Ordinal).ToList();
            if (files.Count == 0) throw new VgtDataException($"{dataPath}: folder holds no *.json manifest");
            return files;
        }
        if (File.Exists(dataPath)) return [dataPath];
        throw new VgtDataException($"data_path '{dataPath}' does not exist");
    }

    private static bool IsJsonLines(string path) => path.EndsWith(".jsonl", StringComparison.OrdinalIgnoreCase);

    private static FileStream Open(string path)
    {
        try
        {
            return Storage.RegularFile.OpenInputStream(path, Storage.FileLimit.Manifest, bufferSize: 1);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new VgtDataException($"{path}: cannot read manifest: {e.Message}", e);
        }
    }

    private delegate void EntryHandler(ReadOnlySpan<byte> json, int position);

    /// <summary>
    /// Streams the file through a buffer of a few megabytes (a million-entry data.json never sits in memory whole):
    /// each top-level entry is located with the reader's own skip, then parsed from its complete bytes.
    /// A JSON array holds the entries; JSONL holds one entry per line.
    /// </summary>
    private static void ReadEntries(Stream stream, string path, bool jsonLines, Func<bool> full, EntryHandler onEntry)
    {
        var options = new JsonReaderOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true, AllowMultipleValues = jsonLines };
        var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(4 << 20);
        try
        {
            int filled = Fill(stream, buffer, 0, out bool final);
            int offset = buffer.AsSpan(0, filled).StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]) ? 3 : 0;
            long linesBefore = 0;
            var state = new JsonReaderState(options);
            bool inArray = jsonLines, done = false;
            int position = 0;
            while (!done)
            {
                var window = buffer.AsSpan(offset, filled - offset);
                var reader = new Utf8JsonReader(window, final, state);
                int consumed = 0;
                try
                {
                    while (true)
                    {
                        var before = reader.CurrentState;
                        int startConsumed = (int)reader.BytesConsumed;
                        if (!reader.Read())
                        {
                            if (final)
                            {
                                if (!inArray) throw new VgtDataException($"{path}: expected a JSON array of entries");
                                if (!jsonLines) throw new VgtDataException($"{path}: the JSON array is not closed (file truncated?)");
                                done = true;
                            }
                            consumed = startConsumed;
                            state = before;
                            break;
                        }
                        if (!inArray)
                        {
                            if (reader.TokenType != JsonTokenType.StartArray) throw new VgtDataException($"{path}: expected a JSON array of entries");
                            inArray = true;
                            continue;
                        }
                        if (reader.TokenType == JsonTokenType.EndArray && !jsonLines) { done = true; break; }
                        if (full()) { done = true; break; }
                        if (reader.TokenType != JsonTokenType.StartObject)
                            throw new VgtDataException($"{path}: entry {position} is not a JSON object (line {linesBefore + window[..(int)reader.TokenStartIndex].Count((byte)'\n') + 1})");
                        int entryStart = (int)reader.TokenStartIndex;
                        if (!reader.TrySkip())
                        {
                            consumed = startConsumed;
                            state = before;
                            break;
                        }
                        try
                        {
                            onEntry(window[entryStart..(int)reader.BytesConsumed], position++);
                        }
                        catch (JsonException e)
                        {
                            long line = linesBefore + window[..entryStart].Count((byte)'\n') + (e.LineNumber ?? 0) + 1;
                            throw new VgtDataException($"{path}: invalid JSON at line {line}: {e.Message}", e);
                        }
                    }
                }
                catch (JsonException e)
                {
                    throw new VgtDataException($"{path}: invalid JSON at line {linesBefore + (e.LineNumber ?? 0) + 1}: {e.Message}", e);
                }
                if (done) break;
                // Keep the unread tail, grow the buffer when one entry does not fit, and read more.
                linesBefore += window[..consumed].Count((byte)'\n');
                offset += consumed;
                int tail = filled - offset;
                if (offset == 0 && tail == buffer.Length)
                {
                    var bigger = System.Buffers.ArrayPool<byte>.Shared.Rent(buffer.Length * 2);
                    buffer.AsSpan(0, tail).CopyTo(bigger);
                    System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
                    buffer = bigger;
                }
                else buffer.AsSpan(offset, tail).CopyTo(buffer);
                offset = 0;
                filled = tail + Fill(stream, buffer, tail, out final);
            }
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static int Fill(Stream stream, byte[] buffer, int start, out bool final)
    {
        int total = 0;
        while (start + total < buffer.Length)
        {
            int n = stream.Read(buffer, start + total, buffer.Length - start - total);
            if (n == 0) { final = true; return total; }
            total += n;
        }
        final = false;
        return total;
    }

    private void ReadEntry(ref Utf8JsonReader reader, string path, int position, byte[] capKey)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
            throw new VgtDataException($"{path}: entry {position} is not a JSON object");
        var row = new Row { TextLength = -1 };
        bool hasImage = false, hasCaption = false;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
        {
            var key = Key(ref reader, capKey);
            reader.Read();
            switch (key)
            {
                case KeyKind.Image:
                    if (reader.TokenType != JsonTokenType.String)
                        throw new VgtDataException($"{path}: entry {position}: \"image\" must be a string");
                    row.Image = AddString(ref reader, out row.ImageLength, ExactKey(Count, image: true));
                    hasImage = true;
                    break;
                case KeyKind.Caption when reader.TokenType == JsonTokenType.String:
                    row.Text = AddString(ref reader, out row.TextLength, ExactKey(Count, image: false));
                    row.TextIsAnnotation = false;
                    hasCaption = true;
                    break;
                case KeyKind.Annotation when !hasCaption && reader.TokenType == JsonTokenType.String:
                    row.Text = AddString(ref reader, out row.TextLength, ExactKey(Count, image: false));
                    row.TextIsAnnotation = true;
                    break;
                case KeyKind.Width or KeyKind.Height when reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out var v):
                    if (key == KeyKind.Width) row.Width = v; else row.Height = v;
                    break;
                default:
                    reader.Skip();
                    break;
            }
        }
        if (!hasImage) throw new VgtDataException($"{path}: entry {position} has no \"image\" key");
        if (Count == _rows.Length) Array.Resize(ref _rows, _rows.Length * 2);
        _rows[Count++] = row;
    }

    private enum KeyKind { Image, Caption, Annotation, Width, Height, Other }

    private static KeyKind Key(ref Utf8JsonReader reader, byte[] capKey)
    {
        try
        {
            if (reader.ValueTextEquals(capKey)) return KeyKind.Caption;
            if (reader.ValueTextEquals("image"u8)) return KeyKind.Image;
            if (reader.ValueTextEquals("annotation"u8)) return KeyKind.Annotation;
            if (reader.ValueTextEquals("width"u8)) return KeyKind.Width;
            if (reader.ValueTextEquals("height"u8)) return KeyKind.Height;
            return KeyKind.Other;
        }
        catch (InvalidOperationException)
        {
            // A key with a lone \ud800-style escape: Python reads it as a key, just none of ours; .NET refuses to compare it.
            return KeyKind.Other;
        }
    }

    private byte[] _scratch = new byte[4096];

    private long AddString(ref Utf8JsonReader reader, out int length, long exactKey)
    {
        _exact.Remove(exactKey);
        // Manifests are read from one contiguous buffer, so values never span sequences.
        if (!reader.ValueIsEscaped)
        {
            length = reader.ValueSpan.Length;
            return _pool.Add(reader.ValueSpan);
        }
        if (_scratch.Length < reader.ValueSpan.Length) _scratch = new byte[reader.ValueSpan.Length];
        try
        {
            length = reader.CopyString(_scratch);
        }
        catch (InvalidOperationException)
        {
            // A lone \ud800-style escape: keep the string as Python would, so the entry fails later as a named bad sample.
            var exact = LoneSurrogates.UnescapeJson(reader.ValueSpan);
            _exact[exactKey] = exact;
            var replaced = Encoding.UTF8.GetBytes(exact);
            length = replaced.Length;
            return _pool.Add(replaced);
        }
        return _pool.Add(_scratch.AsSpan(0, length));
    }
}
