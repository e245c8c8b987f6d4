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
        byte[] bytes;
        try { bytes = File.ReadAllBytes(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new VgtDataException($"{path}: cannot read manifest: {e.Message}", e);
        }
        var span = bytes.AsSpan();
        if (span.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF])) span = span[3..];
        var capKey = Encoding.UTF8.GetBytes(CapSource);
        if (path.EndsWith(".jsonl", StringComparison.OrdinalIgnoreCase)) ReadJsonLines(span, path, capKey, limit);
        else ReadArray(span, path, capKey, limit);
    }

    private void ReadArray(ReadOnlySpan<byte> json, string path, byte[] capKey, int? limit)
    {
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartArray)
                throw new VgtDataException($"{path}: expected a JSON array of entries");
            int i = 0;
            while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
            {
                if (limit is int l && Count >= l) return;
                ReadEntry(ref reader, path, i++, capKey);
            }
        }
        catch (JsonException e)
        {
            throw new VgtDataException($"{path}: invalid JSON at line {e.LineNumber + 1}: {e.Message}", e);
        }
    }

    private void ReadJsonLines(ReadOnlySpan<byte> data, string path, byte[] capKey, int? limit)
    {
        int lineNo = 0;
        while (!data.IsEmpty)
        {
            if (limit is int l && Count >= l) return;
            int nl = data.IndexOf((byte)'\n');
            var line = nl >= 0 ? data[..nl] : data;
            data = nl >= 0 ? data[(nl + 1)..] : default;
            lineNo++;
            if (line.Trim((ReadOnlySpan<byte>)" \t\r"u8).IsEmpty) continue;
            var reader = new Utf8JsonReader(line);
            try
            {
                reader.Read();
                ReadEntry(ref reader, path, lineNo - 1, capKey);
            }
            catch (JsonException e)
            {
                throw new VgtDataException($"{path}: invalid JSON on line {lineNo}: {e.Message}", e);
            }
        }
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
