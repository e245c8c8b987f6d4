using System.Buffers;
using System.Buffers.Text;
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
/// A row is one page read (<see cref="ParquetChunkPages"/>: the image column chunk's page headers walked on the first
/// read of its row group); a chunk that route does not decode is read by ParquetSharp. The parts lie in a local folder
/// or below an s3:// prefix (ranged GETs, cells of hinted reads fetched ahead).
/// </summary>
internal sealed class ParquetImageSource : IImageSource
{
    public const string IndexFileName = "images.parquet.json";
    public const string ImageColumn = "image.bytes";

    /// <summary>One parquet file of the index: <see cref="File"/> relative to the root, its rows named
    /// <c>PREFIX_NNNNNN.png</c>.</summary>
    internal sealed record Part(string File, string Prefix, long Rows, long Bytes);

    /// <summary>How the cells of one row group's image column chunk are read, decided once when it is first read.</summary>
    /// <param name="Pages">Its pages, read one at a time (the page route).</param>
    /// <param name="Fallback">Why the library reads it instead (an encoding, codec or layout the page route does not decode).</param>
    /// <param name="Broken">Why it cannot be read at all (a damaged page header): each of its rows is a bad sample.</param>
    internal sealed record ChunkRoute(ParquetChunkPages? Pages, string? Fallback, string? Broken);

    private sealed class OpenPart(string path, Part part, long[] starts, int column, bool base64, int maxDef, int maxRep,
        IParquetBytes bytes, ParquetChunk[]? chunks, string? footerProblem, Func<ParquetFileReader> openReader) : IDisposable
    {
        public string Path { get; } = path;
        public Part Part { get; } = part;
        /// <summary>First row of each row group, then the row count.</summary>
        public long[] Starts { get; } = starts;
        public int Column { get; } = column;
        public bool Base64 { get; } = base64;
        public int MaxDefinitionLevel { get; } = maxDef;
        public int MaxRepetitionLevel { get; } = maxRep;
        public IParquetBytes Bytes { get; } = bytes;
        /// <summary>The image column's chunk in each row group, from the footer (null when the footer could not be read
        /// here: every chunk then takes the library's route, <see cref="FooterProblem"/> says why).</summary>
        public ParquetChunk[]? Chunks { get; } = chunks;
        public string? FooterProblem { get; } = footerProblem;
        /// <summary>Readers are not safe across threads: each read takes one from here (or opens one) and returns it.</summary>
        public ConcurrentBag<ParquetFileReader> Readers { get; } = [];
        public ConcurrentDictionary<int, Lazy<ChunkRoute>> Routes { get; } = new();

        public ParquetFileReader OpenReader() => openReader();

        public void Dispose()
        {
            while (Readers.TryTake(out var r)) r.Dispose();
            Bytes.Dispose();
        }
    }

    /// <summary>Dictionary pages kept decoded, for all parts together.</summary>
    public const long DictionaryCacheBytes = 64L << 20;

    private readonly string _folder;
    private readonly Dictionary<string, OpenPart> _parts;
    private readonly long _maxFileBytes;
    private readonly ParquetDictionaryCache _dictionaries = new(DictionaryCacheBytes);
    private readonly ReadAheadWindow<PooledBytes>? _window;

    private ParquetImageSource(string root, string folder, Dictionary<string, OpenPart> parts, long maxFileBytes, int readAhead)
    {
        Root = root;
        _folder = folder;
        _parts = parts;
        _maxFileBytes = maxFileBytes;
        if (readAhead > 0) _window = new ReadAheadWindow<PooledBytes>(FetchAsync, readAhead, maxQueued: 65536);
    }

    /// <summary>The folder (or s3:// prefix) holding the index.</summary>
    public string Root { get; }

    /// <summary>Dictionary pages read so far (a cached one is not read again).</summary>
    public long DictionaryReads => Interlocked.Read(ref _dictionaries.Reads);

    /// <summary>Reads that found their cell fetched ahead.</summary>
    public long ReadAheadHits => _window is null ? 0 : Interlocked.Read(ref _window.Hits);

    /// <summary>The source over <paramref name="imageFolder"/> when prepare left an index there and no extracted images
    /// folder beside it (an extracted layout always wins); null otherwise.</summary>
    public static ParquetImageSource? OpenPrepared(string imageFolder, long maxFileBytes = FolderImageSource.DefaultMaxFileBytes)
    {
        var root = Path.GetFullPath(imageFolder);
        var indexPath = Path.Combine(root, IndexFileName);
        if (!File.Exists(indexPath)) return null;
        List<Part> parts;
        string folder;
        try
        {
            using var stream = RegularFile.OpenInputStream(indexPath, FileLimit.Manifest);
            (folder, parts) = ReadIndex(stream, indexPath);
        }
        catch (Exception e) when (e is SampleException or IOException)
        {
            throw new VgtDataException($"{indexPath}: not an index vgtdata prepare wrote ({e.Message}); rerun vgtdata prepare", e);
        }
        if (Directory.Exists(Path.Combine(root, folder))) return null;
        return OpenAll(root, folder, parts, maxFileBytes, readAhead: 0, p => OpenLocal(root, indexPath, p));
    }

    /// <summary>The source over the s3:// prefix <paramref name="prefix"/> when prepare left an index there and no object
    /// below <c>FOLDER/</c> (the extracted layout wins); null otherwise. The parts are read with ranged GETs: the footer
    /// once, then one page per image, fetched <paramref name="readAhead"/> ahead of hinted reads.</summary>
    public static ParquetImageSource? OpenPrepared(S3Store store, S3Location prefix, int readAhead, long maxFileBytes = FolderImageSource.DefaultMaxFileBytes)
    {
        var indexAt = prefix.Append(IndexFileName);
        List<Part> parts;
        string folder;
        try
        {
            using var bytes = store.TryGet(indexAt, maxBytes: FileLimit.Manifest.Bytes, limitName: FileLimit.Manifest.Name);
            if (bytes is null) return null;
            using var stream = bytes.AsStream();
            (folder, parts) = ReadIndex(stream, indexAt.ToString());
        }
        catch (S3ReadException e)
        {
            throw new VgtDataException($"{indexAt}: cannot read the index ({e.Message})", e);
        }
        var folderAt = prefix.Append(folder);
        if (store.AnyBelow(folderAt with { Key = folderAt.KeyPrefix })) return null;
        return OpenAll(prefix.ToString(), folder, parts, maxFileBytes, readAhead, p => OpenS3(store, prefix, indexAt, p));
    }

    private static ParquetImageSource OpenAll(string root, string folder, List<Part> parts, long maxFileBytes, int readAhead, Func<Part, OpenPart> open)
    {
        var opened = new Dictionary<string, OpenPart>(StringComparer.Ordinal);
        try
        {
            foreach (var p in parts) opened[p.Prefix] = open(p);
        }
        catch
        {
            foreach (var o in opened.Values) o.Dispose();
            throw;
        }
        return new ParquetImageSource(root, folder, opened, maxFileBytes, readAhead);
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

    public void ReadAhead(string imageFile)
    {
        if (_window is not null && Locate(imageFile) is not null) _window.Hint(imageFile);
    }

    public PooledBytes Read(string imageFile)
    {
        if (Locate(imageFile) is not var (part, row))
            throw new SampleException(SampleFailureReason.MissingFile, Path.Combine(Root, imageFile),
                $"no such image: not a row name of the parquet parts in {Path.Combine(Root, IndexFileName)}");
        string where = Describe(imageFile);
        int g = GroupOf(part, row);
        var route = RouteOf(part, g, where);
        if (route.Pages is { } pages)
        {
            if (_window?.Take(imageFile) is { } fetch)
            {
                // A fetch that failed (or found a null cell) is read again directly, which names the failure.
                try
                {
                    if (fetch.GetAwaiter().GetResult() is { } fetched) return fetched;
                }
                catch (Exception)
                {
                }
            }
            try
            {
                return ReadPagesAsync(part, g, pages, row, where).GetAwaiter().GetResult()
                    ?? throw new SampleException(SampleFailureReason.MissingFile, where, "the image cell is null");
            }
            catch (ParquetFormatException e)
            {
                throw new SampleException(SampleFailureReason.Undecodable, where, $"cannot read the parquet cell: {e.Message}", inner: e);
            }
            catch (S3ReadException e)
            {
                throw S3ImageSource.BadSample(where, e);
            }
            catch (IOException e)
            {
                throw new SampleException(SampleFailureReason.Unreachable, where, $"cannot read the parquet cell: {e.Message}", inner: e);
            }
        }
        if (route.Broken is { } broken)
            throw new SampleException(SampleFailureReason.Undecodable, where, $"cannot read the parquet cell: {broken}");
        return ReadWithLibrary(part, g, row, where);
    }

    /// <summary>The route row group <paramref name="group"/> of the part holding <paramref name="imageFile"/> takes
    /// (walking its pages if no read has yet): "pages", "library: WHY" or "damaged: WHY".</summary>
    internal string RouteOf(string imageFile)
    {
        if (Locate(imageFile) is not var (part, row)) throw new ArgumentException($"not a row name: {imageFile}", nameof(imageFile));
        var route = RouteOf(part, GroupOf(part, row), Describe(imageFile));
        return route.Pages is not null ? "pages" : route.Broken is { } b ? "damaged: " + b : "library: " + route.Fallback;
    }

    private static int GroupOf(OpenPart part, long row)
    {
        int g = Array.BinarySearch(part.Starts, row);
        if (g < 0) g = ~g - 1;
        // Empty row groups share their start with the next one: the row is in the last group starting at or before it.
        while (g + 1 < part.Starts.Length - 1 && part.Starts[g + 1] <= row) g++;
        return g;
    }

    /// <summary>How row group <paramref name="g"/>'s image chunk is read: decided on its first read (its page headers
    /// walked), then kept. A walk that could not read the file (storage unreachable) is tried again next time.</summary>
    private static ChunkRoute RouteOf(OpenPart part, int g, string where)
    {
        var lazy = part.Routes.GetOrAdd(g, _ => new Lazy<ChunkRoute>(() => DecideRoute(part, g)));
        try
        {
            return lazy.Value;
        }
        catch (Exception e) when (e is S3ReadException or IOException)
        {
            part.Routes.TryRemove(new KeyValuePair<int, Lazy<ChunkRoute>>(g, lazy));
            throw e is S3ReadException s3 ? S3ImageSource.BadSample(where, s3)
                : new SampleException(SampleFailureReason.Unreachable, where, $"cannot read the parquet pages: {e.Message}", inner: e);
        }
    }

    private static ChunkRoute DecideRoute(OpenPart part, int g)
    {
        if (part.Chunks is not { } chunks) return new(null, part.FooterProblem, null);
        var chunk = chunks[g];
        if (chunk.External) return new(null, "column chunk encrypted or in another file", null);
        if (part.MaxRepetitionLevel > 0) return new(null, "repeated column", null);
        try
        {
            var pages = ParquetChunkPages.Walk(part.Bytes, chunk, part.MaxDefinitionLevel, out var unsupported);
            return pages is null ? new(null, unsupported, null) : new(pages, null, null);
        }
        catch (ParquetFormatException e)
        {
            return new(null, null, e.Message);
        }
    }

    /// <summary>Row <paramref name="row"/> by the page route (null for a null cell).</summary>
    private Task<PooledBytes?> ReadPagesAsync(OpenPart part, int g, ParquetChunkPages pages, long row, string where) =>
        pages.ReadCellAsync(part.Bytes, row - part.Starts[g], () => _dictionaries.Get(part, g, () => pages.ReadDictionary(part.Bytes)),
            cell => Cell(cell, part.Base64, where));

    /// <summary>The read ahead of a hinted one, on the thread pool: the cell by the page route (null where the row group
    /// takes another route; the read then does what it does without a hint).</summary>
    private Task<PooledBytes?> FetchAsync(string imageFile) => Task.Run(async () =>
    {
        if (Locate(imageFile) is not var (part, row)) return null;
        int g = GroupOf(part, row);
        if (RouteOf(part, g, imageFile).Pages is not { } pages) return null;
        return await ReadPagesAsync(part, g, pages, row, Describe(imageFile)).ConfigureAwait(false);
    });

    /// <summary>The image bytes of a cell: checked against the size limit, base64 text decoded as VGT's
    /// <c>base64.b64decode</c> does (as <see cref="CellBytes"/>).</summary>
    private PooledBytes Cell(ReadOnlySpan<byte> cell, bool base64, string where)
    {
        if (!base64)
        {
            if (cell.Length > _maxFileBytes)
                throw new SampleException(SampleFailureReason.FileTooLarge, where, $"image is {cell.Length} bytes (limit {_maxFileBytes})");
            var bytes = new PooledBytes(cell.Length);
            cell.CopyTo(bytes.Span);
            return bytes;
        }
        // The common cell is plain base64: decoded straight into the pooled buffer. Only text the strict decoder refuses
        // (whitespace inside, damage) takes Convert's path, which skips whitespace as b64decode does and names the damage.
        var result = new PooledBytes(Base64.GetMaxDecodedFromUtf8Length(cell.Length));
        try
        {
            if (Base64.DecodeFromUtf8(cell, result.Span, out _, out int written) != OperationStatus.Done)
            {
                byte[] decoded;
                try
                {
                    decoded = Convert.FromBase64String(System.Text.Encoding.UTF8.GetString(cell));
                }
                catch (FormatException e)
                {
                    throw new SampleException(SampleFailureReason.Undecodable, where, $"cannot read the parquet cell: {e.Message}", inner: e);
                }
                decoded.CopyTo(result.Span);
                written = decoded.Length;
            }
            if (written > _maxFileBytes)
                throw new SampleException(SampleFailureReason.FileTooLarge, where, $"image is {written} bytes (limit {_maxFileBytes})");
            result.Truncate(written);
            return result;
        }
        catch
        {
            result.Dispose();
            throw;
        }
    }

    /// <summary>The library's route: the row group's column read up to the row.</summary>
    private PooledBytes ReadWithLibrary(OpenPart part, int g, long row, string where)
    {
        ParquetFileReader reader;
        if (!part.Readers.TryTake(out reader!))
        {
            try { reader = part.OpenReader(); }
            catch (VgtDataException e) { throw new SampleException(SampleFailureReason.Unreachable, where, e.Message, inner: e); }
        }
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
        catch (Exception e) when (e is ParquetException or FormatException or IOException)
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

    private static OpenPart OpenLocal(string root, string indexPath, Part p)
    {
        var path = Path.Combine(root, p.File);
        PreparedParts.CheckSize(path, File.Exists(path) ? new FileInfo(path).Length : null, p.Bytes, indexPath);
        var reader = OpenReader(path);
        IParquetBytes? bytes = null;
        try
        {
            bytes = new LocalParquetBytes(path);
            return OpenWith(path, p, reader, bytes, () => OpenReader(path));
        }
        catch
        {
            reader.Dispose();
            bytes?.Dispose();
            throw;
        }
    }

    private static OpenPart OpenS3(S3Store store, S3Location prefix, S3Location indexAt, Part p)
    {
        var at = prefix.Append(p.File);
        S3ObjectInfo? info;
        try
        {
            info = store.Head(at);
        }
        catch (S3ReadException e)
        {
            throw new VgtDataException($"{at}: cannot read the part ({e.Message})", e);
        }
        PreparedParts.CheckSize(at.ToString(), info?.Size, p.Bytes, indexAt.ToString());
        long size = info!.Value.Size;
        ParquetFileReader Open()
        {
            var stream = new S3RangeStream(store, at, size);
            try
            {
                using var properties = ReaderProperties.GetDefaultReaderProperties();
                properties.EnableBufferedStream();
                return new ParquetFileReader(stream, properties, leaveOpen: false);
            }
            catch (Exception e) when (e is ParquetException or IOException or S3ReadException)
            {
                stream.Dispose();
                throw new VgtDataException($"{at}: not a readable parquet file ({Reason(e)})", e);
            }
        }
        var reader = Open();
        try
        {
            return OpenWith(at.ToString(), p, reader, new S3ParquetBytes(store, at, size), Open);
        }
        catch
        {
            reader.Dispose();
            throw;
        }
    }

    /// <summary>A part opened: its row groups and image column from the library's reader of the footer (kept for the
    /// library's route), the column's chunks from the footer read here, for the page route.</summary>
    private static OpenPart OpenWith(string path, Part p, ParquetFileReader reader, IParquetBytes bytes, Func<ParquetFileReader> openReader)
    {
        var starts = RowGroupStarts(reader);
        if (starts[^1] != p.Rows)
            throw new VgtDataException($"{path}: {starts[^1]} rows, {p.Rows} when {IndexFileName} was written; rerun vgtdata prepare");
        var (column, base64) = FindImageColumn(reader, path);
        var descriptor = reader.FileMetaData.Schema.Column(column);
        ParquetChunk[]? chunks = null;
        string? problem = null;
        try
        {
            chunks = ReadChunks(bytes, column);
            if (chunks.Length != starts.Length - 1) (chunks, problem) = (null, $"the footer read here holds {chunks.Length} row groups, not {starts.Length - 1}");
            else
                for (int g = 0; g < chunks.Length && chunks is not null; g++)
                    if (chunks[g].NumRows != starts[g + 1] - starts[g] || (!chunks[g].External && chunks[g].Path != ImageColumn))
                        (chunks, problem) = (null, $"the footer read here disagrees with the library's at row group {g}");
        }
        catch (ParquetFormatException e)
        {
            problem = $"footer not read here ({e.Message})";
        }
        var open = new OpenPart(path, p, starts, column, base64, descriptor.MaxDefinitionLevel, descriptor.MaxRepetitionLevel, bytes, chunks,
            problem, openReader);
        open.Readers.Add(reader);
        return open;
    }

    /// <summary>The image column's chunk in each row group, from the file's footer (two reads: its length, then it).</summary>
    internal static ParquetChunk[] ReadChunks(IParquetBytes bytes, int column)
    {
        if (bytes.Length < 12) throw new ParquetFormatException($"{bytes.Length} bytes, too short for a parquet file");
        int length;
        using (var tail = bytes.Read(bytes.Length - 8, 8)) length = ParquetFooter.FooterLength(tail.Span, bytes.Length);
        using var footer = bytes.Read(bytes.Length - 8 - length, length);
        return ParquetFooter.Chunks(footer.Span, column);
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

    private static (string Folder, List<Part> Parts) ReadIndex(Stream stream, string path)
    {
        try
        {
            using var doc = JsonDocument.Parse(stream);
            var r = doc.RootElement;
            var folder = r.GetProperty("folder").GetString()!;
            var parts = r.GetProperty("parts").EnumerateArray().Select(p => new Part(p.GetProperty("file").GetString()!,
                p.GetProperty("prefix").GetString()!, p.GetProperty("rows").GetInt64(), p.GetProperty("bytes").GetInt64())).ToList();
            return (folder, parts);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new VgtDataException($"{path}: not an index vgtdata prepare wrote ({e.Message}); rerun vgtdata prepare", e);
        }
    }

    public void Dispose()
    {
        _window?.Dispose();
        foreach (var p in _parts.Values) p.Dispose();
    }
}
