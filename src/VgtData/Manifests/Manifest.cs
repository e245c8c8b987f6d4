using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;

namespace VgtData.Manifests;

/// <summary>
/// The entries of a data.json (or a folder of them, or JSONL) in a compact table: strings live in one UTF-8 pool and each
/// entry is a fixed-size record, so a million entries cost tens of megabytes, not a dictionary each.
/// </summary>
public sealed class Manifest
{
    [StructLayout(LayoutKind.Sequential, Pack = 4)]
    private struct Row
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
            var image = _pool.GetString(r.Image, r.ImageLength);
            string? text = r.TextLength >= 0 ? _pool.GetString(r.Text, r.TextLength) : null;
            return new ManifestEntry(image,
                r.TextIsAnnotation ? null : text,
                r.TextIsAnnotation ? text : null,
                r.Width > 0 ? r.Width : null,
                r.Height > 0 ? r.Height : null);
        }
    }

    /// <summary>The image path of an entry without decoding its caption.</summary>
    public string ImageOf(int index) => _pool.GetString(_rows[index].Image, _rows[index].ImageLength);

    /// <summary>Reads a JSON array file, a JSONL file (<c>.jsonl</c>), or every <c>*.json</c> in a folder (sorted by name).</summary>
    public static Manifest Load(string dataPath, string capSource = "caption", int? limit = null)
    {
        var manifest = new Manifest(dataPath, capSource);
        if (Directory.Exists(dataPath))
        {
            var files = Directory.GetFiles(dataPath, "*.json").OrderBy(f => Path.GetFileName(f), StringComparer.Ordinal).ToList();
            if (files.Count == 0) throw new VgtDataException($"{dataPath}: folder holds no *.json manifest");
            foreach (var f in files)
            {
                if (limit is int l && manifest.Count >= l) break;
                manifest.ReadFile(f, limit);
            }
        }
        else if (File.Exists(dataPath)) manifest.ReadFile(dataPath, limit);
        else throw new VgtDataException($"data_path '{dataPath}' does not exist");
        return manifest;
    }

    private void ReadFile(string path, int? limit)
    {
        FileStream stream;
        try
        {
            stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1, FileOptions.SequentialScan);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new VgtDataException($"{path}: cannot read manifest: {e.Message}", e);
        }
        using (stream) ReadEntries(stream, path, Encoding.UTF8.GetBytes(CapSource), limit,
            jsonLines: path.EndsWith(".jsonl", StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>
    /// Streams the file through a buffer of a few megabytes (a million-entry data.json never sits in memory whole):
    /// each top-level entry is located with the reader's own skip, then parsed from its complete bytes.
    /// A JSON array holds the entries; JSONL holds one entry per line.
    /// </summary>
    private void ReadEntries(Stream stream, string path, byte[] capKey, int? limit, bool jsonLines)
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
                        if (limit is int l && Count >= l) { done = true; break; }
                        if (reader.TokenType != JsonTokenType.StartObject)
                            throw new VgtDataException($"{path}: entry {position} is not a JSON object (line {linesBefore + window[..(int)reader.TokenStartIndex].Count((byte)'\n') + 1})");
                        int entryStart = (int)reader.TokenStartIndex;
                        if (!reader.TrySkip())
                        {
                            consumed = startConsumed;
                            state = before;
                            break;
                        }
                        var entry = window[entryStart..(int)reader.BytesConsumed];
                        var entryReader = new Utf8JsonReader(entry, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
                        entryReader.Read();
                        try
                        {
                            ReadEntry(ref entryReader, path, position++, capKey);
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
                    row.Image = AddString(ref reader, out row.ImageLength);
                    hasImage = true;
                    break;
                case KeyKind.Caption when reader.TokenType == JsonTokenType.String:
                    row.Text = AddString(ref reader, out row.TextLength);
                    row.TextIsAnnotation = false;
                    hasCaption = true;
                    break;
                case KeyKind.Annotation when !hasCaption && reader.TokenType == JsonTokenType.String:
                    row.Text = AddString(ref reader, out row.TextLength);
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
        if (reader.ValueTextEquals(capKey)) return KeyKind.Caption;
        if (reader.ValueTextEquals("image"u8)) return KeyKind.Image;
        if (reader.ValueTextEquals("annotation"u8)) return KeyKind.Annotation;
        if (reader.ValueTextEquals("width"u8)) return KeyKind.Width;
        if (reader.ValueTextEquals("height"u8)) return KeyKind.Height;
        return KeyKind.Other;
    }

    private byte[] _scratch = new byte[4096];

    private long AddString(ref Utf8JsonReader reader, out int length)
    {
        // Manifests are read from one contiguous buffer, so values never span sequences.
        if (!reader.ValueIsEscaped)
        {
            length = reader.ValueSpan.Length;
            return _pool.Add(reader.ValueSpan);
        }
        if (_scratch.Length < reader.ValueSpan.Length) _scratch = new byte[reader.ValueSpan.Length];
        length = reader.CopyString(_scratch);
        return _pool.Add(_scratch.AsSpan(0, length));
    }
}
