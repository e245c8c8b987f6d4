using System.Buffers.Binary;
using System.IO.Compression;
using Microsoft.Win32.SafeHandles;
using VgtData.Storage;

namespace VgtData.Sources;

/// <summary>Positional reads of one parquet file: a local file or an object (ranged GETs).</summary>
internal interface IParquetBytes : IDisposable
{
    /// <summary>The file as errors name it.</summary>
    string Name { get; }

    long Length { get; }

    /// <summary>Exactly <paramref name="length"/> bytes from <paramref name="offset"/>; a file that ends before is
    /// <see cref="ParquetFormatException"/>.</summary>
    PooledBytes Read(long offset, int length);

    Task<PooledBytes> ReadAsync(long offset, int length);
}

/// <summary>A local parquet file, read with positional reads on one handle (safe from many threads).</summary>
internal sealed class LocalParquetBytes : IParquetBytes
{
    private readonly SafeFileHandle _handle;

    public LocalParquetBytes(string path)
    {
        Name = path;
        _handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, FileOptions.RandomAccess);
        Length = RandomAccess.GetLength(_handle);
    }

    public string Name { get; }

    public long Length { get; }

    public PooledBytes Read(long offset, int length)
    {
        var bytes = new PooledBytes(length);
        try
        {
            int done = 0;
            while (done < length)
            {
                int n = RandomAccess.Read(_handle, bytes.Array.AsSpan(done, length - done), offset + done);
                if (n == 0) throw new ParquetFormatException($"the file ends at byte {offset + done}, {length} bytes were to be read from {offset}");
                done += n;
            }
            return bytes;
        }
        catch
        {
            bytes.Dispose();
            throw;
        }
    }

    public Task<PooledBytes> ReadAsync(long offset, int length) => Task.FromResult(Read(offset, length));

    public void Dispose() => _handle.Dispose();
}

/// <summary>A parquet object in a bucket, each read one ranged GET.</summary>
internal sealed class S3ParquetBytes(S3Store store, S3Location location, long length) : IParquetBytes
{
    public string Name => location.ToString();

    public long Length => length;

    public S3Location Location => location;

    public PooledBytes Read(long offset, int count) => ReadAsync(offset, count).GetAwaiter().GetResult();

    public async Task<PooledBytes> ReadAsync(long offset, int count)
    {
        if (offset < 0 || offset + count > length)
            throw new ParquetFormatException($"the object ends at byte {length}, {count} bytes were to be read from {offset}");
        if (count == 0) return new PooledBytes(0);
        return await store.TryGetAsync(location, offset, count).ConfigureAwait(false)
            ?? throw new IOException($"{location}: object disappeared while being read");
    }

    public void Dispose() { }
}

/// <summary>
/// The values of a dictionary page (PLAIN byte arrays; value i begins at <c>starts[i]</c> with its 4-byte length).
/// A small page is kept decoded. A large one (a writer's dictionary can hold a whole row group's images) stored
/// uncompressed or as SNAPPY is decoded once to find where each value lies, then forgotten: a value is then read alone,
/// directly (uncompressed) or from the snappy checkpoint before it (<see cref="SnappyCheckpoint"/>), so one row costs
/// about its own bytes however large the page.
/// </summary>
internal sealed class ParquetDictionary
{
    /// <summary>Dictionary pages up to this size are kept decoded.</summary>
    public const int ResidentBytes = 1 << 20;

    private readonly byte[]? _data;
    private readonly int[] _starts;
    private readonly ParquetCodec _codec;
    private readonly long _body;
    // Snappy checkpoints (output, input offsets in the page body), ending with the page's own end.
    private readonly int[]? _outputs, _inputs;

    private ParquetDictionary(byte[]? data, int[] starts, ParquetCodec codec, long body, int[]? outputs, int[]? inputs)
    {
        (_data, _starts, _codec, _body, _outputs, _inputs) = (data, starts, codec, body, outputs, inputs);
    }

    public int Count => _starts.Length - 1;

    /// <summary>Whether the values are kept decoded (else each is read from the file).</summary>
    public bool Resident => _data is not null;

    /// <summary>The bytes this dictionary keeps in memory.</summary>
    public long Bytes => (_data?.Length ?? 0) + 4L * _starts.Length + 8L * (_outputs?.Length ?? 0);

    /// <summary>Reads and decodes the dictionary page <paramref name="h"/> whose body lies at <paramref name="body"/>.</summary>
    public static ParquetDictionary Read(IParquetBytes file, ParquetPageHeader h, long header, long body, ParquetCodec codec)
    {
        using var raw = file.Read(body, h.CompressedSize);
        bool indexed = h.UncompressedSize > ResidentBytes && codec is ParquetCodec.Snappy or ParquetCodec.Uncompressed;
        var checkpoints = indexed && codec == ParquetCodec.Snappy ? new List<SnappyCheckpoint>() : null;
        byte[]? kept = null;
        using var decoded = new PooledBytes(h.UncompressedSize);
        if (codec == ParquetCodec.Snappy)
        {
            try
            {
                SnappyRaw.Decompress(raw.Span, decoded.Span, checkpoints);
            }
            catch (SnappyException e)
            {
                throw new ParquetFormatException($"page at byte {header}: cannot decompress its SNAPPY data: {e.Message}");
            }
        }
        else ParquetChunkPages.Decompress(codec, raw.Span, decoded.Span, header);
        var data = decoded.Span;
        if (h.NumValues > data.Length / 4) throw new ParquetFormatException($"dictionary page at byte {header} of {data.Length} bytes cannot hold {h.NumValues} values");
        var starts = new int[h.NumValues + 1];
        int at = 0;
        for (int i = 0; i < h.NumValues; i++)
        {
            starts[i] = at;
            at = ParquetChunkPages.SkipPlain(data, at, header);
        }
        starts[^1] = at;
        if (!indexed) kept = data.ToArray();
        int[]? outputs = null, inputs = null;
        if (checkpoints is not null)
        {
            checkpoints.Add(new SnappyCheckpoint(h.UncompressedSize, h.CompressedSize));
            outputs = checkpoints.Select(c => c.Output).ToArray();
            inputs = checkpoints.Select(c => c.Input).ToArray();
        }
        return new ParquetDictionary(kept, starts, codec, body, outputs, inputs);
    }

    /// <summary>Value <paramref name="index"/>, handed to <paramref name="make"/>.</summary>
    public async Task<PooledBytes> ReadAsync(IParquetBytes file, int index, ParquetCellFactory make)
    {
        if ((uint)index >= (uint)Count) throw new ParquetFormatException($"dictionary index {index}, the dictionary holds {Count} values");
        int start = _starts[index] + 4, end = _starts[index + 1];
        if (_data is not null) return make(_data.AsSpan(start, end - start));
        if (_outputs is null)
        {
            using var value = await file.ReadAsync(_body + start, end - start).ConfigureAwait(false);
            return make(value.Span);
        }
        // The checkpoints around the value: the last at or before its start, the first at or after its end.
        int from = Array.BinarySearch(_outputs, start);
        if (from < 0) from = ~from - 1;
        int to = Array.BinarySearch(_outputs, end);
        if (to < 0) to = ~to;
        using var compressed = await file.ReadAsync(_body + _inputs![from], _inputs[to] - _inputs[from]).ConfigureAwait(false);
        return Decode(compressed, _outputs[to] - _outputs[from], start - _outputs[from], end - start, make);
    }

    private static PooledBytes Decode(PooledBytes compressed, int length, int skip, int count, ParquetCellFactory make)
    {
        using var output = new PooledBytes(length);
        try
        {
            SnappyRaw.DecompressFrom(compressed.Span, output.Span);
        }
        catch (SnappyException e)
        {
            throw new ParquetFormatException($"dictionary value: cannot decompress its SNAPPY data: {e.Message}");
        }
        return make(output.Span.Slice(skip, count));
    }
}

/// <summary>Makes the cell a read returns from its bytes in the page (copied, or base64-decoded, checked for size).</summary>
internal delegate PooledBytes ParquetCellFactory(ReadOnlySpan<byte> cell);

/// <summary>
/// The pages of one column chunk, found by walking its page headers once: each data page's file offset, header and
/// first row, and the dictionary page. With them a row is one page read: <see cref="ReadCell"/>.
/// </summary>
internal sealed class ParquetChunkPages
{
    /// <summary>A page the walk will not take larger than this (decompressed or stored).</summary>
    public const int MaxPageBytes = 1 << 30;

    /// <summary>Page headers longer than this are refused (statistics of huge cells would be the only cause).</summary>
    public const int MaxHeaderBytes = 64 << 20;

    private const int FirstHeaderRead = 8 << 10;

    private ParquetChunkPages(ParquetCodec codec, int maxDef, long dictionaryOffset, ParquetPageHeader? dictionary,
        long[] firstRows, long[] offsets, ParquetPageHeader[] headers)
    {
        Codec = codec;
        MaxDefinitionLevel = maxDef;
        DictionaryOffset = dictionaryOffset;
        DictionaryHeader = dictionary;
        FirstRows = firstRows;
        Offsets = offsets;
        Headers = headers;
    }

    public ParquetCodec Codec { get; }

    public int MaxDefinitionLevel { get; }

    public long DictionaryOffset { get; }

    public ParquetPageHeader? DictionaryHeader { get; }

    /// <summary>First row of each data page, then the chunk's row count.</summary>
    public long[] FirstRows { get; }

    /// <summary>File offset of each data page's header.</summary>
    public long[] Offsets { get; }

    public ParquetPageHeader[] Headers { get; }

    public int Pages => Headers.Length;

    /// <summary>Why pages of <paramref name="codec"/> are not read here (null: they are).</summary>
    public static string? UnsupportedCodec(ParquetCodec codec) => codec switch
    {
        ParquetCodec.Uncompressed or ParquetCodec.Snappy or ParquetCodec.Gzip or ParquetCodec.Brotli or ParquetCodec.Zstd => null,
        _ => $"codec {CodecName(codec)}",
    };

    /// <summary>The codec as parquet.thrift spells it.</summary>
    public static string CodecName(ParquetCodec codec) => codec switch
    {
        ParquetCodec.Lz4Raw => "LZ4_RAW",
        >= ParquetCodec.Uncompressed and <= ParquetCodec.Lz4Raw => codec.ToString().ToUpperInvariant(),
        _ => $"{(int)codec}",
    };

    /// <summary>
    /// Walks the page headers of <paramref name="chunk"/>. Returns null with <paramref name="unsupported"/> set when a
    /// page uses something this reader does not decode (an encoding, a page kind): such a chunk is read by the library.
    /// A header that cannot be parsed, a page past the chunk or rows that do not add up is <see cref="ParquetFormatException"/>.
    /// </summary>
    public static ParquetChunkPages? Walk(IParquetBytes file, ParquetChunk chunk, int maxDef, out string? unsupported)
    {
        unsupported = UnsupportedCodec(chunk.Codec);
        if (unsupported is not null) return null;
        long start = chunk.Start, end = start + chunk.TotalCompressedSize;
        if (start < 4 || chunk.TotalCompressedSize <= 0 || end > file.Length)
            throw new ParquetFormatException($"column chunk at bytes {start}-{end} does not fit a file of {file.Length} bytes");
        var firstRows = new List<long>();
        var offsets = new List<long>();
        var headers = new List<ParquetPageHeader>();
        ParquetPageHeader? dictionary = null;
        long dictionaryOffset = -1, rows = 0;
        bool dictionaryEncoded = false;
        for (long at = start; at < end;)
        {
            var h = ReadHeader(file, at, end);
            long bodyEnd = at + h.Length + h.CompressedSize;
            if (bodyEnd > end) throw new ParquetFormatException($"page at byte {at} ends at {bodyEnd}, past its column chunk's end {end}");
            if (h.UncompressedSize > MaxPageBytes || h.CompressedSize > MaxPageBytes)
                throw new ParquetFormatException($"page at byte {at} of {h.UncompressedSize} bytes, over the {MaxPageBytes >> 20} MiB read here");
            switch (h.Type)
            {
                case ParquetPageType.DictionaryPage:
                    if (dictionary is not null || headers.Count > 0)
                        throw new ParquetFormatException($"dictionary page at byte {at} is not the chunk's first page");
                    if (h.Encoding is not (ParquetEncoding.Plain or ParquetEncoding.PlainDictionary))
                    {
                        unsupported = $"dictionary page in {ParquetEncoding.Name(h.Encoding)}";
                        return null;
                    }
                    (dictionary, dictionaryOffset) = (h, at);
                    break;
                case ParquetPageType.DataPage or ParquetPageType.DataPageV2:
                    if (h.Encoding is ParquetEncoding.PlainDictionary or ParquetEncoding.RleDictionary) dictionaryEncoded = true;
                    else if (h.Encoding != ParquetEncoding.Plain)
                    {
                        unsupported = $"data page in {ParquetEncoding.Name(h.Encoding)}";
                        return null;
                    }
                    if (h.Type == ParquetPageType.DataPage && maxDef > 0 && h.DefinitionEncoding != ParquetEncoding.Rle)
                    {
                        unsupported = $"definition levels in {ParquetEncoding.Name(h.DefinitionEncoding)}";
                        return null;
                    }
                    // Without repetition every level is one row (a v2 header also says so).
                    long pageRows = h.Type == ParquetPageType.DataPageV2 ? h.NumRows : h.NumValues;
                    if (h.Type == ParquetPageType.DataPageV2 && h.NumRows != h.NumValues)
                        throw new ParquetFormatException($"data page at byte {at}: {h.NumRows} rows but {h.NumValues} values in a column without repetition");
                    firstRows.Add(rows);
                    offsets.Add(at);
                    headers.Add(h);
                    rows += pageRows;
                    if (headers.Count > chunk.NumRows + 1)
                        throw new ParquetFormatException($"more pages than the row group's {chunk.NumRows} rows");
                    break;
                case ParquetPageType.IndexPage:
                    break;
                default:
                    unsupported = $"page type {(int)h.Type}";
                    return null;
            }
            at = bodyEnd;
        }
        if (rows != chunk.NumRows)
            throw new ParquetFormatException($"the chunk's data pages hold {rows} rows, its row group {chunk.NumRows}");
        if (dictionaryEncoded && dictionary is null)
            throw new ParquetFormatException("dictionary-encoded pages without a dictionary page");
        firstRows.Add(rows);
        return new ParquetChunkPages(chunk.Codec, maxDef, dictionaryOffset, dictionary, [.. firstRows], [.. offsets], [.. headers]);
    }

    /// <summary>The page header at <paramref name="at"/>: a small read, grown while the header runs on.</summary>
    private static ParquetPageHeader ReadHeader(IParquetBytes file, long at, long end)
    {
        int want = (int)Math.Min(FirstHeaderRead, end - at);
        while (true)
        {
            using var bytes = file.Read(at, want);
            try
            {
                return ParquetPageHeader.Parse(bytes.Span);
            }
            catch (ParquetTruncatedException e)
            {
                if (want >= end - at) throw new ParquetFormatException($"page header at byte {at} runs past its column chunk ({e.Message})");
                if (want >= MaxHeaderBytes) throw new ParquetFormatException($"page header at byte {at} is longer than {MaxHeaderBytes >> 20} MiB");
                want = (int)Math.Min(Math.Min((long)want * 4, MaxHeaderBytes), end - at);
            }
            catch (ParquetFormatException e)
            {
                throw new ParquetFormatException($"damaged page header at byte {at}: {e.Message}");
            }
        }
    }

    /// <summary>The data page holding <paramref name="row"/> (of the row group) and where its body lies.</summary>
    public (int Page, long BodyOffset, int BodyLength) PageOf(long row)
    {
        if (row < 0 || row >= FirstRows[^1]) throw new ArgumentOutOfRangeException(nameof(row));
        int p = Array.BinarySearch(FirstRows, 0, Headers.Length, row);
        if (p < 0) p = ~p - 1;
        // Pages of no rows share their first row with the next one: take the last page starting at or before the row.
        while (p + 1 < Headers.Length && FirstRows[p + 1] <= row) p++;
        return (p, Offsets[p] + Headers[p].Length, Headers[p].CompressedSize);
    }

    /// <summary>Reads and decodes the dictionary page.</summary>
    public ParquetDictionary ReadDictionary(IParquetBytes file)
    {
        var h = DictionaryHeader ?? throw new ParquetFormatException("no dictionary page");
        return ParquetDictionary.Read(file, h, DictionaryOffset, DictionaryOffset + h.Length, Codec);
    }

    /// <summary>
    /// Row <paramref name="row"/> of the row group: one read of its page, decompressed, its definition levels decoded to
    /// find the row's value slot, the value decoded (from the page, or from the dictionary <paramref name="dictionary"/>
    /// gives). Null for a null cell.
    /// </summary>
    public async Task<PooledBytes?> ReadCellAsync(IParquetBytes file, long row, Func<ParquetDictionary> dictionary, ParquetCellFactory make)
    {
        var (p, bodyOffset, bodyLength) = PageOf(row);
        int key;
        using (var raw = await file.ReadAsync(bodyOffset, bodyLength).ConfigureAwait(false))
        {
            if (raw.Length != bodyLength) throw new ParquetFormatException($"page at byte {Offsets[p]}: {raw.Length} bytes read, {bodyLength} expected");
            var cell = DecodePage(raw, p, row, make, out key, out bool isNull);
            if (cell is not null || isNull) return cell;
        }
        return await dictionary().ReadAsync(file, key, make).ConfigureAwait(false);
    }

    /// <summary>The cell of <paramref name="row"/> in page <paramref name="p"/>: made from the page (PLAIN), or null with
    /// <paramref name="isNull"/> (a null cell) or with the dictionary <paramref name="key"/> to read.</summary>
    private PooledBytes? DecodePage(PooledBytes raw, int p, long row, ParquetCellFactory make, out int key, out bool isNull)
    {
        var h = Headers[p];
        key = -1;
        isNull = false;
        int slot = checked((int)(row - FirstRows[p]));
        PooledBytes? inflated = null;
        try
        {
            ReadOnlySpan<byte> levels, values;
            if (h.Type == ParquetPageType.DataPage)
            {
                ReadOnlySpan<byte> body = raw.Span;
                if (Codec != ParquetCodec.Uncompressed)
                {
                    inflated = new PooledBytes(h.UncompressedSize);
                    Decompress(Codec, raw.Span, inflated.Span, Offsets[p]);
                    body = inflated.Span;
                }
                if (MaxDefinitionLevel > 0)
                {
                    if (body.Length < 4) throw new ParquetFormatException($"page at byte {Offsets[p]}: no room for its definition levels");
                    int n = BinaryPrimitives.ReadInt32LittleEndian(body);
                    if (n < 0 || n > body.Length - 4) throw new ParquetFormatException($"page at byte {Offsets[p]}: definition levels of {n} bytes in a page of {body.Length}");
                    levels = body.Slice(4, n);
                    values = body[(4 + n)..];
                }
                else
                {
                    levels = default;
                    values = body;
                }
            }
            else
            {
                int levelBytes = h.RepetitionBytes + h.DefinitionBytes;
                levels = raw.Span.Slice(h.RepetitionBytes, h.DefinitionBytes);
                var stored = raw.Span[levelBytes..];
                if (h.IsCompressed && Codec != ParquetCodec.Uncompressed)
                {
                    if (h.UncompressedSize < levelBytes) throw new ParquetFormatException($"page at byte {Offsets[p]}: uncompressed size under its levels");
                    inflated = new PooledBytes(h.UncompressedSize - levelBytes);
                    Decompress(Codec, stored, inflated.Span, Offsets[p]);
                    values = inflated.Span;
                }
                else values = stored;
            }
            if (slot >= h.NumValues) throw new ParquetFormatException($"page at byte {Offsets[p]} holds {h.NumValues} values, not row {row}");
            int index = slot;
            if (MaxDefinitionLevel > 0)
            {
                int width = BitWidth(MaxDefinitionLevel);
                int level = HybridAt(levels, width, slot, MaxDefinitionLevel, out index, Offsets[p], "definition levels");
                if (level > MaxDefinitionLevel) throw new ParquetFormatException($"page at byte {Offsets[p]}: definition level {level} over the column's {MaxDefinitionLevel}");
                if (level < MaxDefinitionLevel)
                {
                    isNull = true;
                    return null;
                }
            }
            if (h.Encoding == ParquetEncoding.Plain)
            {
                int at = 0;
                for (int i = 0; i < index; i++) at = SkipPlain(values, at, Offsets[p]);
                int end = SkipPlain(values, at, Offsets[p]);
                return make(values.Slice(at + 4, end - at - 4));
            }
            if (values.Length < 1) throw new ParquetFormatException($"page at byte {Offsets[p]}: no dictionary index width");
            int indexWidth = values[0];
            if (indexWidth > 32) throw new ParquetFormatException($"page at byte {Offsets[p]}: dictionary index width {indexWidth}");
            key = HybridAt(values[1..], indexWidth, index, -1, out _, Offsets[p], "dictionary indices");
            return null;
        }
        finally
        {
            inflated?.Dispose();
        }
    }

    /// <summary>The offset past the PLAIN byte array at <paramref name="at"/> (a 4-byte length, then the bytes).</summary>
    internal static int SkipPlain(ReadOnlySpan<byte> values, int at, long page)
    {
        if (values.Length - at < 4) throw new ParquetFormatException($"page at byte {page}: values end inside a length");
        int n = BinaryPrimitives.ReadInt32LittleEndian(values[at..]);
        if (n < 0 || n > values.Length - at - 4) throw new ParquetFormatException($"page at byte {page}: a value of {n} bytes, {values.Length - at - 4} left in the page");
        return at + 4 + n;
    }

    private static int BitWidth(int max) => max == 0 ? 0 : 32 - System.Numerics.BitOperations.LeadingZeroCount((uint)max);

    /// <summary>
    /// Value <paramref name="index"/> of an RLE / bit-packed hybrid run sequence of <paramref name="width"/>-bit values;
    /// <paramref name="matchesBefore"/> counts the values equal to <paramref name="match"/> before it (the values present
    /// before a row, for definition levels).
    /// </summary>
    internal static int HybridAt(ReadOnlySpan<byte> data, int width, int index, int match, out int matchesBefore, long page, string what)
    {
        matchesBefore = 0;
        int at = 0;
        long seen = 0;
        int valueBytes = (width + 7) / 8;
        while (true)
        {
            if (at >= data.Length) throw new ParquetFormatException($"page at byte {page}: {what} end before value {index}");
            ulong header = 0;
            for (int shift = 0; ; shift += 7)
            {
                if (shift > 28 || at >= data.Length) throw new ParquetFormatException($"page at byte {page}: damaged run header in its {what}");
                byte b = data[at++];
                header |= (ulong)(b & 0x7f) << shift;
                if ((b & 0x80) == 0) break;
            }
            if ((header & 1) == 0)
            {
                long count = (long)(header >> 1);
                if (count == 0) throw new ParquetFormatException($"page at byte {page}: empty run in its {what}");
                if (data.Length - at < valueBytes) throw new ParquetFormatException($"page at byte {page}: {what} end inside a run");
                int value = 0;
                for (int i = 0; i < valueBytes; i++) value |= data[at + i] << (8 * i);
                at += valueBytes;
                if (index < seen + count)
                {
                    if (value == match) matchesBefore += (int)(index - seen);
                    return value;
                }
                if (value == match) matchesBefore += (int)count;
                seen += count;
            }
            else
            {
                long groups = (long)(header >> 1);
                long bytes = groups * width;
                if (groups == 0 || bytes > data.Length - at)
                    throw new ParquetFormatException($"page at byte {page}: a bit-packed run of {groups * 8} values past the end of its {what}");
                var run = data.Slice(at, (int)bytes);
                long count = groups * 8;
                long last = Math.Min(count, index - seen + 1);
                for (long i = 0; i < last; i++)
                {
                    int value = Unpack(run, width, i);
                    if (seen + i == index) return value;
                    if (value == match) matchesBefore++;
                }
                seen += count;
                at += (int)bytes;
            }
        }
    }

    private static int Unpack(ReadOnlySpan<byte> run, int width, long i)
    {
        if (width == 0) return 0;
        long bit = i * width;
        int first = (int)(bit >> 3), shift = (int)(bit & 7);
        ulong window = 0;
        int need = (shift + width + 7) / 8;
        for (int b = 0; b < need && first + b < run.Length; b++) window |= (ulong)run[first + b] << (8 * b);
        return (int)((window >> shift) & ((1UL << width) - 1));
    }

    /// <summary>Decompresses a page body into exactly <paramref name="output"/>'s length.</summary>
    public static void Decompress(ParquetCodec codec, ReadOnlySpan<byte> input, Span<byte> output, long page)
    {
        try
        {
            switch (codec)
            {
                case ParquetCodec.Uncompressed:
                    if (input.Length != output.Length) throw new ParquetFormatException($"{input.Length} bytes stored, {output.Length} declared");
                    input.CopyTo(output);
                    return;
                case ParquetCodec.Snappy:
                    SnappyRaw.Decompress(input, output);
                    return;
                case ParquetCodec.Brotli:
                    if (!BrotliDecoder.TryDecompress(input, output, out int written) || written != output.Length)
                        throw new ParquetFormatException($"brotli data does not decompress to the {output.Length} bytes declared");
                    return;
                case ParquetCodec.Gzip:
                    Gunzip(input, output);
                    return;
                case ParquetCodec.Zstd:
                    ParquetZstd.Decompress(input, output);
                    return;
                default:
                    throw new ParquetFormatException($"codec {codec} is not read here");
            }
        }
        catch (Exception e) when (e is SnappyException or InvalidDataException or ParquetFormatException or ZstdSharp.ZstdException)
        {
            throw new ParquetFormatException($"page at byte {page}: cannot decompress its {CodecName(codec)} data: {e.Message}");
        }
    }

    private static unsafe void Gunzip(ReadOnlySpan<byte> input, Span<byte> output)
    {
        fixed (byte* p = input)
        {
            using var stream = new UnmanagedMemoryStream(p, input.Length);
            using var gzip = new GZipStream(stream, CompressionMode.Decompress);
            int done = 0;
            while (done < output.Length)
            {
                int n = gzip.Read(output[done..]);
                if (n == 0) throw new ParquetFormatException($"gzip data ends at {done} of the {output.Length} bytes declared");
                done += n;
            }
            Span<byte> more = stackalloc byte[1];
            if (gzip.Read(more) != 0) throw new ParquetFormatException($"gzip data holds more than the {output.Length} bytes declared");
        }
    }
}

/// <summary>ZSTD pages (one decompression context per thread, reused).</summary>
internal static class ParquetZstd
{
    [ThreadStatic] private static ZstdSharp.Decompressor? _decompressor;

    public static void Decompress(ReadOnlySpan<byte> input, Span<byte> output)
    {
        var d = _decompressor ??= new ZstdSharp.Decompressor();
        int n = d.Unwrap(input, output);
        if (n != output.Length) throw new ParquetFormatException($"zstd data decompresses to {n} bytes, {output.Length} declared");
    }
}

/// <summary>Decoded dictionary pages, the most recently used kept up to a byte budget (so a dictionary-encoded row
/// group's dictionary is read once while its rows are read, and memory stays bounded however many row groups).</summary>
internal sealed class ParquetDictionaryCache(long budgetBytes)
{
    private readonly object _gate = new();
    private readonly Dictionary<(object Part, int Group), LinkedListNode<(object Part, int Group, ParquetDictionary Value)>> _map = [];
    private readonly LinkedList<(object Part, int Group, ParquetDictionary Value)> _order = new();
    private long _bytes;

    /// <summary>Dictionary pages read (not found here).</summary>
    public long Reads;

    public ParquetDictionary Get(object part, int group, Func<ParquetDictionary> read)
    {
        lock (_gate)
        {
            if (_map.TryGetValue((part, group), out var node))
            {
                _order.Remove(node);
                _order.AddFirst(node);
                return node.Value.Value;
            }
        }
        var value = read();
        Interlocked.Increment(ref Reads);
        if (value.Bytes > budgetBytes) return value;
        lock (_gate)
        {
            if (_map.ContainsKey((part, group))) return value;
            _map[(part, group)] = _order.AddFirst((part, group, value));
            _bytes += value.Bytes;
            while (_bytes > budgetBytes && _order.Last is { } last)
            {
                _order.RemoveLast();
                _map.Remove((last.Value.Part, last.Value.Group));
                _bytes -= last.Value.Value.Bytes;
            }
        }
        return value;
    }
}
