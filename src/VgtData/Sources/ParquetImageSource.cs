using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using ParquetSharp;
using VgtData.Storage;

namespace VgtData.Sources;

/// <summary>
/// Images served from the row groups of Hugging Face image parquet files (<c>image.bytes</c>, binary or base64 text)
/// without extracting them. <c>vgtdata prepare imagenet1k-t2i</c> writes <see cref="IndexFileName"/> beside data.json;
/// it names the folder the rows stand for (<c>images</c>) and each part: <c>images/PREFIX_NNNNNN.png</c> is row NNNNNN of
/// the part with that prefix, the name VGT's extract.py gives the row it would write. The index records each part's
/// size and row count: a part changed since then is refused when the source opens, never read as other rows.
/// </summary>
internal sealed class ParquetImageSource : IImageSource
{
    public const string IndexFileName = "images.parquet.json";
    public const string ImageColumn = "image.bytes";

    /// <summary>One parquet file of the index: <see cref="File"/> relative to the root, its rows named
    /// <c>PREFIX_NNNNNN.png</c>.</summary>
    internal sealed record Part(string File, string Prefix, long Rows, long Bytes);

    private sealed class OpenPart(string path, Part part, long[] starts, int column, bool base64)
    {
        public string Path { get; } = path;
        public Part Part { get; } = part;
        /// <summary>First row of each row group, then the row count.</summary>
        public long[] Starts { get; } = starts;
        public int Column { get; } = column;
        public bool Base64 { get; } = base64;
        /// <summary>Readers are not safe across threads: each read takes one from here (or opens one) and returns it.</summary>
        public ConcurrentBag<ParquetFileReader> Readers { get; } = [];
    }

    private readonly string _folder;
    private readonly Dictionary<string, OpenPart> _parts;
    private readonly long _maxFileBytes;

    private ParquetImageSource(string root, string folder, Dictionary<string, OpenPart> parts, long maxFileBytes)
    {
        Root = root;
        _folder = folder;
        _parts = parts;
        _maxFileBytes = maxFileBytes;
    }

    public string Root { get; }

    /// <summary>The source over <paramref name="imageFolder"/> when prepare left an index there and no extracted images
    /// folder beside it (an extracted layout always wins); null otherwise.</summary>
    public static ParquetImageSource? OpenPrepared(string imageFolder, long maxFileBytes = FolderImageSource.DefaultMaxFileBytes)
    {
        var root = Path.GetFullPath(imageFolder);
        var indexPath = Path.Combine(root, IndexFileName);
        if (!File.Exists(indexPath)) return null;
        var (folder, parts) = ReadIndex(indexPath);
        if (Directory.Exists(Path.Combine(root, folder))) return null;
        var open = new Dictionary<string, OpenPart>(StringComparer.Ordinal);
        foreach (var p in parts) open[p.Prefix] = Open(root, p);
        return new ParquetImageSource(root, folder, open, maxFileBytes);
    }

    public static void WriteIndex(Stream stream, string folder, IEnumerable<Part> parts)
    {
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("folder", folder);
            w.WriteString("column", ImageColumn);
            w.WriteStartArray("parts");
            foreach (var p in parts)
            {
                w.WriteStartObject();
                w.WriteString("file", p.File);
                w.WriteString("prefix", p.Prefix);
                w.WriteNumber("rows", p.Rows);
                w.WriteNumber("bytes", p.Bytes);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        stream.Write("\n"u8);
    }

    /// <summary>The image name VGT's extract.py gives row <paramref name="row"/> of a part (<c>f"{name}_{idx:06d}.png"</c>).</summary>
    public static string ImageName(string prefix, long row) => string.Create(CultureInfo.InvariantCulture, $"{prefix}_{row:D6}.png");

    /// <summary>Column <see cref="ImageColumn"/> of <paramref name="reader"/> and whether it holds base64 text.</summary>
    public static (int Column, bool Base64) FindImageColumn(ParquetFileReader reader, string path)
    {
        var schema = reader.FileMetaData.Schema;
        for (int i = 0; i < schema.NumColumns; i++)
        {
            var c = schema.Column(i);
            using var columnPath = c.Path;
            if (columnPath.ToDotString() != ImageColumn) continue;
            if (c.PhysicalType != PhysicalType.ByteArray)
                throw new VgtDataException($"{path}: column {ImageColumn} is {c.PhysicalType}, not bytes or text");
            return (i, c.LogicalType is StringLogicalType);
        }
        throw new VgtDataException($"{path}: no column {ImageColumn} (expected the Hugging Face image struct {{bytes, path}})");
    }

    /// <summary>The bytes of one cell: base64 text decoded as VGT's <c>base64.b64decode</c> does.</summary>
    public static byte[]? CellBytes(LogicalColumnReader reader, bool base64)
    {
        if (base64)
        {
            var one = new string?[1];
            ((LogicalColumnReader<string?>)reader).ReadBatch(one, 0, 1);
            return one[0] is null ? null : Convert.FromBase64String(one[0]!);
        }
        var cell = new byte[]?[1];
        ((LogicalColumnReader<byte[]?>)reader).ReadBatch(cell, 0, 1);
        return cell[0];
    }

    public static LogicalColumnReader ImageReader(RowGroupReader group, int column, bool base64) =>
        base64 ? group.Column(column).LogicalReader<string?>(bufferLength: 16) : group.Column(column).LogicalReader<byte[]?>(bufferLength: 16);

    public string Describe(string imageFile) =>
        Locate(imageFile) is var (part, row) ? string.Create(CultureInfo.InvariantCulture, $"{part.Path}:row {row} ({imageFile})") : Path.Combine(Root, imageFile);

    public bool Exists(string imageFile) => Locate(imageFile) is not null;

    public PooledBytes Read(string imageFile)
    {
        if (Locate(imageFile) is not var (part, row))
            throw new SampleException(SampleFailureReason.MissingFile, Path.Combine(Root, imageFile),
                $"no such image: not a row name of the parquet parts in {Path.Combine(Root, IndexFileName)}");
        string where = Describe(imageFile);
        int g = Array.BinarySearch(part.Starts, row);
        if (g < 0) g = ~g - 1;
        if (!part.Readers.TryTake(out var reader)) reader = OpenReader(part.Path);
        bool keep = true;
        try
        {
            using var group = reader.RowGroup(g);
            using var column = ImageReader(group, part.Column, part.Base64);
            column.Skip(row - part.Starts[g]);
            var cell = CellBytes(column, part.Base64)
                ?? throw new SampleException(SampleFailureReason.MissingFile, where, "the image cell is null");
            if (cell.Length > _maxFileBytes)
                throw new SampleException(SampleFailureReason.FileTooLarge, where, $"image is {cell.Length} bytes (limit {_maxFileBytes})");
            var bytes = new PooledBytes(cell.Length);
            cell.CopyTo(bytes.Array, 0);
            return bytes;
        }
        catch (Exception e) when (e is ParquetException or FormatException)
        {
            // A reader that failed mid-page may hold a broken state: drop it.
            keep = false;
            reader.Dispose();
            throw new SampleException(SampleFailureReason.Undecodable, where, $"cannot read the parquet cell: {Reason(e)}", inner: e);
        }
        finally
        {
            if (keep) part.Readers.Add(reader);
        }
    }

    /// <summary>The part and row a name stands for: FOLDER/PREFIX_NNNNNN.png with NNNNNN written as extract.py writes it.</summary>
    private (OpenPart Part, long Row)? Locate(string imageFile)
    {
        var prefix = _folder + "/";
        if (!imageFile.StartsWith(prefix, StringComparison.Ordinal) || !imageFile.EndsWith(".png", StringComparison.Ordinal)) return null;
        var stem = imageFile[prefix.Length..^4];
        int cut = stem.LastIndexOf('_');
        if (cut < 0 || !_parts.TryGetValue(stem[..cut], out var part)) return null;
        var digits = stem[(cut + 1)..];
        if (!long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out long row) || row >= part.Part.Rows
            || ImageName(part.Part.Prefix, row) != stem + ".png") return null;
        return (part, row);
    }

    private static OpenPart Open(string root, Part p)
    {
        var path = Path.Combine(root, p.File);
        long size = File.Exists(path) ? new FileInfo(path).Length : -1;
        if (size < 0) throw new VgtDataException($"{path}: missing (listed in {Path.Combine(root, IndexFileName)}); rerun vgtdata prepare");
        if (size != p.Bytes)
            throw new VgtDataException($"{path}: {size} bytes, {p.Bytes} when {IndexFileName} was written; the part changed, rerun vgtdata prepare");
        var reader = OpenReader(path);
        try
        {
            var starts = RowGroupStarts(reader);
            if (starts[^1] != p.Rows)
                throw new VgtDataException($"{path}: {starts[^1]} rows, {p.Rows} when {IndexFileName} was written; rerun vgtdata prepare");
            var (column, base64) = FindImageColumn(reader, path);
            var open = new OpenPart(path, p, starts, column, base64);
            open.Readers.Add(reader);
            return open;
        }
        catch
        {
            reader.Dispose();
            throw;
        }
    }

    /// <summary>Row starts of each row group, then the row count.</summary>
    public static long[] RowGroupStarts(ParquetFileReader reader)
    {
        int groups = reader.FileMetaData.NumRowGroups;
        var starts = new long[groups + 1];
        for (int g = 0; g < groups; g++)
        {
            using var group = reader.RowGroup(g);
            starts[g + 1] = starts[g] + group.MetaData.NumRows;
        }
        return starts;
    }

    /// <summary>Pages are read as the reader reaches them, not the whole column chunk at once. Only a regular file (a
    /// symlink to one included) is handed to Arrow: a FIFO named *.parquet would block its open.</summary>
    public static ParquetFileReader OpenReader(string path)
    {
        using (RegularFile.OpenInput(path, FileLimit.Streamed, out _)) { }
        try
        {
            using var properties = ReaderProperties.GetDefaultReaderProperties();
            properties.EnableBufferedStream();
            return new ParquetFileReader(path, properties);
        }
        catch (ParquetException e)
        {
            throw new VgtDataException($"{path}: not a readable parquet file ({Reason(e)})", e);
        }
    }

    /// <summary>Arrow's own message without the C++ exception type ParquetSharp puts around it.</summary>
    public static string Reason(Exception e)
    {
        const string open = "(message: '";
        int start = e.Message.IndexOf(open, StringComparison.Ordinal);
        if (start < 0) return e.Message;
        var inner = e.Message[(start + open.Length)..];
        return inner.EndsWith("')", StringComparison.Ordinal) ? inner[..^2] : inner;
    }

    private static (string Folder, List<Part> Parts) ReadIndex(string path)
    {
        try
        {
            using var stream = RegularFile.OpenInputStream(path, FileLimit.Manifest);
            using var doc = JsonDocument.Parse(stream);
            var r = doc.RootElement;
            var folder = r.GetProperty("folder").GetString()!;
            var parts = r.GetProperty("parts").EnumerateArray().Select(p => new Part(p.GetProperty("file").GetString()!,
                p.GetProperty("prefix").GetString()!, p.GetProperty("rows").GetInt64(), p.GetProperty("bytes").GetInt64())).ToList();
            return (folder, parts);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException or SampleException or IOException)
        {
            throw new VgtDataException($"{path}: not an index vgtdata prepare wrote ({e.Message}); rerun vgtdata prepare", e);
        }
    }

    public void Dispose()
    {
        foreach (var p in _parts.Values)
            while (p.Readers.TryTake(out var r)) r.Dispose();
    }
}
