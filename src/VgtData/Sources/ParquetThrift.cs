namespace VgtData.Sources;

/// <summary>Parquet bytes that do not hold what the format says they must (a damaged page header, footer or page).</summary>
internal class ParquetFormatException(string message) : Exception(message);

/// <summary>Thrift data that ends before its structure does: with more bytes the same parse may succeed.</summary>
internal sealed class ParquetTruncatedException(string message) : ParquetFormatException(message);

/// <summary>
/// The part of Thrift's compact protocol that parquet's footer and page headers use (Apache Parquet format,
/// parquet.thrift; Thrift compact protocol spec): field headers with id deltas, zigzag varints, binaries, lists, nested
/// structs. Unknown fields of any type are skipped generically. Every length and count is checked against the bytes
/// left before anything is allocated or skipped, and nesting is bounded, so damaged input fails with
/// <see cref="ParquetFormatException"/> naming the offset instead of hanging or allocating.
/// </summary>
internal ref struct ThriftCompactReader(ReadOnlySpan<byte> data)
{
    public const byte Stop = 0, True = 1, False = 2, Byte = 3, I16 = 4, I32 = 5, I64 = 6, Double = 7, Binary = 8, List = 9, Set = 10,
        Map = 11, Struct = 12;

    private const int MaxDepth = 64;
    private readonly ReadOnlySpan<byte> _data = data;

    /// <summary>Bytes consumed so far.</summary>
    public int Position { get; private set; }

    private int _depth;

    private readonly int Left => _data.Length - Position;

    private ParquetFormatException Damaged(string what) => new($"{what} at byte {Position}");

    private byte ReadByte()
    {
        if (Position >= _data.Length) throw new ParquetTruncatedException($"thrift data ends at byte {Position}");
        return _data[Position++];
    }

    private ulong ReadVarint()
    {
        ulong value = 0;
        for (int shift = 0; shift < 70; shift += 7)
        {
            byte b = ReadByte();
            if (shift == 63 && b > 1) throw Damaged("varint over 64 bits");
            value |= (ulong)(b & 0x7f) << shift;
            if ((b & 0x80) == 0) return value;
        }
        throw Damaged("varint over 10 bytes");
    }

    public long ReadI64()
    {
        ulong v = ReadVarint();
        return (long)(v >> 1) ^ -(long)(v & 1);
    }

    public int ReadI32()
    {
        long v = ReadI64();
        if (v is < int.MinValue or > int.MaxValue) throw Damaged($"i32 value {v} out of range");
        return (int)v;
    }

    /// <summary>The next field of the current struct: false at its end (STOP). <paramref name="lastId"/> carries the
    /// previous field id, as the compact protocol encodes ids as deltas.</summary>
    public bool NextField(ref short lastId, out short id, out byte type)
    {
        byte header = ReadByte();
        type = (byte)(header & 0x0f);
        if (type == Stop)
        {
            id = 0;
            return false;
        }
        int delta = header >> 4;
        if (delta != 0) id = (short)(lastId + delta);
        else
        {
            int full = ReadI32();
            if (full is < short.MinValue or > short.MaxValue) throw Damaged($"field id {full} out of range");
            id = (short)full;
        }
        if (type > Struct) throw Damaged($"unknown thrift type {type}");
        lastId = id;
        return true;
    }

    /// <summary>The value of a boolean field (its value is in the field header's type).</summary>
    public static bool BoolOf(byte type) => type == True;

    public ReadOnlySpan<byte> ReadBinary()
    {
        ulong length = ReadVarint();
        if (length > (ulong)Left)
        {
            if (length > int.MaxValue) throw Damaged($"binary of {length} bytes");
            throw new ParquetTruncatedException($"binary of {length} bytes at byte {Position}, {Left} left");
        }
        var span = _data.Slice(Position, (int)length);
        Position += (int)length;
        return span;
    }

    /// <summary>A list or set header: the element type and count (each element takes at least one byte, so a count
    /// over the bytes left is damage or truncation, found here).</summary>
    public (byte ElementType, int Count) ReadListHeader()
    {
        byte header = ReadByte();
        byte type = (byte)(header & 0x0f);
        ulong count = (ulong)(header >> 4);
        if (count == 15) count = ReadVarint();
        if (type is Stop or > Struct) throw Damaged($"unknown thrift list element type {type}");
        if (count > (ulong)Left)
        {
            if (count > int.MaxValue) throw Damaged($"list of {count} elements");
            throw new ParquetTruncatedException($"list of {count} elements at byte {Position}, {Left} bytes left");
        }
        return (type, (int)count);
    }

    /// <summary>Enters a nested struct (bounded depth); pair with <see cref="EndStruct"/>.</summary>
    public void BeginStruct()
    {
        if (++_depth > MaxDepth) throw Damaged($"structs nested over {MaxDepth} deep");
    }

    public void EndStruct() => _depth--;

    /// <summary>Skips one value of <paramref name="type"/> (in a field: booleans carry their value in the header).</summary>
    public void Skip(byte type, bool inCollection = false)
    {
        switch (type)
        {
            case True or False:
                if (inCollection) ReadByte();
                break;
            case Byte:
                ReadByte();
                break;
            case I16 or I32 or I64:
                ReadVarint();
                break;
            case Double:
                if (Left < 8) throw new ParquetTruncatedException($"double at byte {Position}, {Left} bytes left");
                Position += 8;
                break;
            case Binary:
                ReadBinary();
                break;
            case List or Set:
            {
                var (element, count) = ReadListHeader();
                BeginStruct();
                for (int i = 0; i < count; i++) Skip(element, inCollection: true);
                EndStruct();
                break;
            }
            case Map:
            {
                ulong count = ReadVarint();
                if (count == 0) break;
                if (count > (ulong)Left) throw count > int.MaxValue ? Damaged($"map of {count} entries") : new ParquetTruncatedException($"map of {count} entries at byte {Position}");
                byte kinds = ReadByte();
                byte key = (byte)(kinds >> 4), value = (byte)(kinds & 0x0f);
                if (key is Stop or > Struct || value is Stop or > Struct) throw Damaged("unknown thrift map types");
                BeginStruct();
                for (ulong i = 0; i < count; i++)
                {
                    Skip(key, inCollection: true);
                    Skip(value, inCollection: true);
                }
                EndStruct();
                break;
            }
            case Struct:
                SkipStruct();
                break;
            default:
                throw Damaged($"unknown thrift type {type}");
        }
    }

    /// <summary>Skips the fields of a struct up to and including its STOP.</summary>
    public void SkipStruct()
    {
        BeginStruct();
        short last = 0;
        while (NextField(ref last, out _, out var t)) Skip(t);
        EndStruct();
    }
}

/// <summary>Parquet's page types (PageType in parquet.thrift).</summary>
internal enum ParquetPageType { DataPage = 0, IndexPage = 1, DictionaryPage = 2, DataPageV2 = 3 }

/// <summary>Parquet's encodings (Encoding in parquet.thrift) that this reader names.</summary>
internal static class ParquetEncoding
{
    public const int Plain = 0, PlainDictionary = 2, Rle = 3, BitPacked = 4, RleDictionary = 8;

    public static string Name(int encoding) => encoding switch
    {
        0 => "PLAIN", 2 => "PLAIN_DICTIONARY", 3 => "RLE", 4 => "BIT_PACKED", 5 => "DELTA_BINARY_PACKED",
        6 => "DELTA_LENGTH_BYTE_ARRAY", 7 => "DELTA_BYTE_ARRAY", 8 => "RLE_DICTIONARY", 9 => "BYTE_STREAM_SPLIT",
        _ => $"encoding {encoding}",
    };
}

/// <summary>Parquet's compression codecs (CompressionCodec in parquet.thrift).</summary>
internal enum ParquetCodec { Uncompressed = 0, Snappy = 1, Gzip = 2, Lzo = 3, Brotli = 4, Lz4 = 5, Zstd = 6, Lz4Raw = 7 }

/// <summary>
/// One page header (PageHeader in parquet.thrift) with the fields of its data, dictionary or data-v2 header that the
/// reader uses; <see cref="Length"/> is the header's own size in bytes (the page body follows it).
/// </summary>
internal readonly record struct ParquetPageHeader(
    ParquetPageType Type, int UncompressedSize, int CompressedSize, int Length,
    int NumValues, int Encoding, int DefinitionEncoding, int RepetitionEncoding,
    int NumRows, int DefinitionBytes, int RepetitionBytes, bool IsCompressed)
{
    /// <summary>The header at the start of <paramref name="data"/>; <see cref="ParquetTruncatedException"/> when
    /// <paramref name="data"/> ends inside it.</summary>
    public static ParquetPageHeader Parse(ReadOnlySpan<byte> data)
    {
        var r = new ThriftCompactReader(data);
        int? type = null, uncompressed = null, compressed = null;
        int numValues = -1, encoding = -1, defEncoding = -1, repEncoding = -1, numRows = -1, defBytes = -1, repBytes = -1;
        bool isCompressed = true, sub = false;
        short last = 0;
        while (r.NextField(ref last, out var id, out var t))
        {
            switch (id)
            {
                case 1 when t == ThriftCompactReader.I32: type = r.ReadI32(); break;
                case 2 when t == ThriftCompactReader.I32: uncompressed = r.ReadI32(); break;
                case 3 when t == ThriftCompactReader.I32: compressed = r.ReadI32(); break;
                case 5 or 7 or 8 when t == ThriftCompactReader.Struct:
                {
                    // data_page_header (5), dictionary_page_header (7), data_page_header_v2 (8).
                    sub = true;
                    r.BeginStruct();
                    short lastSub = 0;
                    while (r.NextField(ref lastSub, out var f, out var ft))
                    {
                        if (ft == ThriftCompactReader.I32)
                        {
                            int v = r.ReadI32();
                            switch (id, f)
                            {
                                case (_, 1): numValues = v; break;
                                case (5, 2) or (7, 2) or (8, 4): encoding = v; break;
                                case (5, 3): defEncoding = v; break;
                                case (5, 4): repEncoding = v; break;
                                case (8, 3): numRows = v; break;
                                case (8, 5): defBytes = v; break;
                                case (8, 6): repBytes = v; break;
                            }
                        }
                        else if (id == 8 && f == 7 && ft is ThriftCompactReader.True or ThriftCompactReader.False) isCompressed = ThriftCompactReader.BoolOf(ft);
                        else r.Skip(ft);
                    }
                    r.EndStruct();
                    break;
                }
                default: r.Skip(t); break;
            }
        }
        if (type is null || uncompressed is null || compressed is null)
            throw new ParquetFormatException("page header without its type or sizes");
        if (uncompressed < 0 || compressed < 0) throw new ParquetFormatException($"page header with sizes {compressed}/{uncompressed}");
        var kind = (ParquetPageType)type.Value;
        bool needsSub = kind is ParquetPageType.DataPage or ParquetPageType.DictionaryPage or ParquetPageType.DataPageV2;
        if (needsSub && (!sub || numValues < 0 || encoding < 0))
            throw new ParquetFormatException($"{kind} header without its num_values or encoding");
        if (kind == ParquetPageType.DataPageV2 && (numRows < 0 || defBytes < 0 || repBytes < 0 || (long)defBytes + repBytes > compressed))
            throw new ParquetFormatException("data page v2 header with bad level sizes");
        return new(kind, uncompressed.Value, compressed.Value, r.Position, numValues, encoding, defEncoding, repEncoding, numRows,
            Math.Max(defBytes, 0), Math.Max(repBytes, 0), isCompressed);
    }
}

/// <summary>Where one column's chunk of one row group lies (ColumnMetaData in parquet.thrift), from the footer.</summary>
internal readonly record struct ParquetChunk(long NumRows, ParquetCodec Codec, long NumValues, long DataPageOffset, long? DictionaryPageOffset,
    long TotalCompressedSize, string Path, bool External)
{
    /// <summary>The first byte of the chunk: its dictionary page when there is one (writers that have none may leave the
    /// offset 0 or point it past the data), else its first data page.</summary>
    public long Start => DictionaryPageOffset is { } d && d > 0 && d < DataPageOffset ? d : DataPageOffset;
}

/// <summary>The footer (FileMetaData in parquet.thrift), as far as locating one column's chunks needs.</summary>
internal static class ParquetFooter
{
    /// <summary>"PAR1": the magic at both ends of an unencrypted parquet file.</summary>
    public static ReadOnlySpan<byte> Magic => "PAR1"u8;

    /// <summary>The largest footer read (the footer of a part of a million rows in a thousand row groups is a few MiB).</summary>
    public const int MaxFooterBytes = 256 << 20;

    /// <summary>The length of the footer from the file's last 8 bytes (footer length, then the magic).</summary>
    public static int FooterLength(ReadOnlySpan<byte> tail, long fileLength)
    {
        if (tail.Length != 8 || !tail[4..].SequenceEqual(Magic))
            throw new ParquetFormatException(tail.Length == 8 && tail[4..].SequenceEqual("PARE"u8)
                ? "encrypted footer" : "no parquet magic at the end of the file");
        int length = BitConverter.ToInt32(tail);
        if (length <= 0 || length > MaxFooterBytes || length > fileLength - 12)
            throw new ParquetFormatException($"footer length {length} does not fit a file of {fileLength} bytes");
        return length;
    }

    /// <summary>The chunk of leaf column <paramref name="column"/> in each row group.</summary>
    public static ParquetChunk[] Chunks(ReadOnlySpan<byte> footer, int column)
    {
        var r = new ThriftCompactReader(footer);
        ParquetChunk[]? chunks = null;
        short last = 0;
        while (r.NextField(ref last, out var id, out var t))
        {
            if (id != 4 || t != ThriftCompactReader.List)
            {
                r.Skip(t);
                continue;
            }
            var (element, groups) = r.ReadListHeader();
            if (element != ThriftCompactReader.Struct) throw new ParquetFormatException("row_groups is not a list of structs");
            chunks = new ParquetChunk[groups];
            for (int g = 0; g < groups; g++) chunks[g] = RowGroup(ref r, column, g);
        }
        return chunks ?? throw new ParquetFormatException("footer without row_groups");
    }

    private static ParquetChunk RowGroup(ref ThriftCompactReader r, int column, int group)
    {
        r.BeginStruct();
        ParquetChunk? chunk = null;
        long rows = -1;
        short last = 0;
        while (r.NextField(ref last, out var id, out var t))
        {
            if (id == 3 && t == ThriftCompactReader.I64) rows = r.ReadI64();
            else if (id == 1 && t == ThriftCompactReader.List)
            {
                var (element, count) = r.ReadListHeader();
                if (element != ThriftCompactReader.Struct) throw new ParquetFormatException($"row group {group}: columns is not a list of structs");
                if (column >= count) throw new ParquetFormatException($"row group {group} has {count} columns, not {column + 1}");
                for (int c = 0; c < count; c++)
                {
                    if (c == column) chunk = ColumnChunk(ref r, group);
                    else r.SkipStruct();
                }
            }
            else r.Skip(t);
        }
        r.EndStruct();
        if (chunk is not { } found || rows < 0) throw new ParquetFormatException($"row group {group} without its columns or num_rows");
        return found with { NumRows = rows };
    }

    private static ParquetChunk ColumnChunk(ref ThriftCompactReader r, int group)
    {
        r.BeginStruct();
        bool external = false, encrypted = false;
        ParquetChunk? meta = null;
        short last = 0;
        while (r.NextField(ref last, out var id, out var t))
        {
            switch (id)
            {
                case 1 when t == ThriftCompactReader.Binary: external = r.ReadBinary().Length > 0; break;
                case 3 when t == ThriftCompactReader.Struct: meta = ColumnMetaData(ref r, group); break;
                case 8 or 9: encrypted = true; r.Skip(t); break;
                default: r.Skip(t); break;
            }
        }
        r.EndStruct();
        if (meta is not { } m)
            return encrypted ? new ParquetChunk(0, ParquetCodec.Uncompressed, 0, 0, null, 0, "", External: true)
                : throw new ParquetFormatException($"row group {group}: column chunk without meta_data");
        return m with { External = external || encrypted };
    }

    private static ParquetChunk ColumnMetaData(ref ThriftCompactReader r, int group)
    {
        r.BeginStruct();
        int codec = -1;
        long values = -1, compressed = -1, data = -1;
        long? dictionary = null;
        var path = new List<string>();
        short last = 0;
        while (r.NextField(ref last, out var id, out var t))
        {
            switch (id)
            {
                case 3 when t == ThriftCompactReader.List:
                {
                    var (element, count) = r.ReadListHeader();
                    for (int i = 0; i < count; i++)
                    {
                        if (element == ThriftCompactReader.Binary) path.Add(System.Text.Encoding.UTF8.GetString(r.ReadBinary()));
                        else r.Skip(element, inCollection: true);
                    }
                    break;
                }
                case 4 when t == ThriftCompactReader.I32: codec = r.ReadI32(); break;
                case 5 when t == ThriftCompactReader.I64: values = r.ReadI64(); break;
                case 7 when t == ThriftCompactReader.I64: compressed = r.ReadI64(); break;
                case 9 when t == ThriftCompactReader.I64: data = r.ReadI64(); break;
                case 11 when t == ThriftCompactReader.I64: dictionary = r.ReadI64(); break;
                default: r.Skip(t); break;
            }
        }
        r.EndStruct();
        if (codec < 0 || values < 0 || compressed < 0 || data < 0)
            throw new ParquetFormatException($"row group {group}: column metadata without codec, sizes or data_page_offset");
        return new ParquetChunk(0, (ParquetCodec)codec, values, data, dictionary, compressed, string.Join('.', path), External: false);
    }
}
