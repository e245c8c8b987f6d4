using ParquetSharp;
using ParquetSharp.Schema;
using VgtData.Sources;
using VgtData.Storage;

namespace VgtData.Tests.Sources;

/// <summary>
/// The page route of <see cref="ParquetImageSource"/>: each row read as one page (its page headers walked once) must
/// give exactly the bytes ParquetSharp's own read of that row gives, for every codec, dictionary on and off, data pages
/// v1 and v2, pages of a few rows, several row groups, nulls, binary and base64 text; what it does not decode takes the
/// library's route, decided per column chunk. Damaged headers, pages and snappy data are bad samples with one line.
/// </summary>
public sealed class ParquetPageRouteTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("vgtdata-pages-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { }
    }

    /// <summary>How a test part is written.</summary>
    internal sealed record Shape(Compression Codec, bool Dictionary, ParquetDataPageVersion Version, bool Base64 = false, bool Required = false,
        Encoding? Encoding = null, long PageBytes = 2048, long WriteBatch = 3, long DictionaryBytes = 16 << 10);

    /// <summary>Cells of 50-6,000 random bytes, some repeated (so a dictionary holds fewer values than rows), about one
    /// in eight null (the struct or its bytes) unless the column is required.</summary>
    internal static byte[]?[] Cells(int count, int seed, bool nulls = true, int maxBytes = 6000)
    {
        var rng = new Random(seed);
        var cells = new byte[]?[count];
        for (int i = 0; i < count; i++)
        {
            if (nulls && rng.Next(8) == 0) continue;
            if (i > 3 && rng.Next(5) == 0)
            {
                cells[i] = cells[rng.Next(i)];
                continue;
            }
            var bytes = new byte[rng.Next(50, maxBytes)];
            // Half the cells compress (runs), half do not (noise), as PNG and JPEG data differ.
            if (rng.Next(2) == 0) rng.NextBytes(bytes);
            else for (int b = 0; b < bytes.Length; b++) bytes[b] = (byte)(b / 97 + i);
            cells[i] = bytes;
        }
        return cells;
    }

    /// <summary>An HF-shaped part (<c>image {bytes, path}</c>) with <paramref name="cells"/> in row groups of the given
    /// sizes; a null struct for every other null cell, null bytes for the rest.</summary>
    internal static void WritePart(string path, byte[]?[] cells, int[] groups, Shape shape)
    {
        var repetition = shape.Required ? Repetition.Required : Repetition.Optional;
        var image = new GroupNode("image", repetition, [
            new PrimitiveNode("bytes", repetition, shape.Base64 ? LogicalType.String() : LogicalType.None(), PhysicalType.ByteArray),
            new PrimitiveNode("path", Repetition.Optional, LogicalType.String(), PhysicalType.ByteArray)]);
        using var schema = new GroupNode("schema", Repetition.Required, [image]);
        var builder = new WriterPropertiesBuilder().Compression(shape.Codec).DataPageVersion(shape.Version).DataPagesize(shape.PageBytes)
            .WriteBatchSize(shape.WriteBatch).DictionaryPagesizeLimit(shape.DictionaryBytes);
        builder = shape.Dictionary ? builder.EnableDictionary() : builder.DisableDictionary();
        if (shape.Encoding is { } encoding) builder = builder.Encoding(encoding);
        using var properties = builder.Build();
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using var writer = new ParquetFileWriter(path, schema, properties);
        int start = 0;
        foreach (int size in groups)
        {
            var group = cells.Skip(start).Take(size).ToArray();
            using var rg = writer.AppendRowGroup();
            if (shape.Required)
            {
                using (var c = rg.NextColumn().LogicalWriter<Nested<byte[]>>()) c.WriteBatch(group.Select(b => new Nested<byte[]>(b!)).ToArray());
            }
            else if (shape.Base64)
            {
                using var c = rg.NextColumn().LogicalWriter<Nested<string?>?>();
                c.WriteBatch(group.Select((b, i) => b is null ? (start + i) % 2 == 0 ? (Nested<string?>?)null : new Nested<string?>(null)
                    // Every third cell wrapped in lines as MIME writes it: the whitespace b64decode skips.
                    : new Nested<string?>(Convert.ToBase64String(b, (start + i) % 3 == 0 ? Base64FormattingOptions.InsertLineBreaks : Base64FormattingOptions.None))).ToArray());
            }
            else
            {
                using var c = rg.NextColumn().LogicalWriter<Nested<byte[]?>?>();
                c.WriteBatch(group.Select((b, i) => b is null ? (start + i) % 2 == 0 ? (Nested<byte[]?>?)null : new Nested<byte[]?>(null)
                    : new Nested<byte[]?>(b)).ToArray());
            }
            if (shape.Required)
            {
                using var c = rg.NextColumn().LogicalWriter<Nested<string?>>();
                c.WriteBatch(group.Select((_, i) => new Nested<string?>($"{start + i}.png")).ToArray());
            }
            else
            {
                using var c = rg.NextColumn().LogicalWriter<Nested<string?>?>();
                c.WriteBatch(group.Select((b, i) => b is not null ? new Nested<string?>($"{start + i}.png") : (Nested<string?>?)null).ToArray());
            }
            start += size;
        }
        writer.Close();
    }

    /// <summary>Every cell as ParquetSharp reads it (the row groups front to back, as prepare does).</summary>
    internal static List<byte[]?> LibraryCells(string path)
    {
        using var reader = ParquetImageSource.OpenReader(path);
        var (column, base64) = ParquetImageSource.FindImageColumn(reader, path);
        var cells = new List<byte[]?>();
        for (int g = 0; g < reader.FileMetaData.NumRowGroups; g++)
        {
            using var group = reader.RowGroup(g);
            using var images = ParquetImageSource.ImageReader(group, column, base64);
            for (long r = 0; r < group.MetaData.NumRows; r++) cells.Add(ParquetImageSource.CellBytes(images, base64));
        }
        return cells;
    }

    /// <summary>A dataset folder holding <c>raw/00000.parquet</c> and the index prepare writes for it.</summary>
    internal static string Dataset(string root, byte[]?[] cells, int[] groups, Shape shape)
    {
        var part = Path.Combine(root, "raw", "00000.parquet");
        WritePart(part, cells, groups, shape);
        using var index = File.Create(Path.Combine(root, ParquetImageSource.IndexFileName));
        ParquetImageSource.WriteIndex(index, "images", [new ParquetImageSource.Part("raw/00000.parquet", "00000", cells.Length, new FileInfo(part).Length)]);
        return part;
    }

    private static string Name(int row) => "images/" + ParquetImageSource.ImageName("00000", row);

    public static TheoryData<string, Compression, bool, ParquetDataPageVersion, bool> Shapes()
    {
        var data = new TheoryData<string, Compression, bool, ParquetDataPageVersion, bool>();
        foreach (var codec in new[] { Compression.Uncompressed, Compression.Snappy, Compression.Gzip, Compression.Brotli, Compression.Zstd, Compression.Lz4 })
        foreach (var dictionary in new[] { false, true })
        foreach (var version in new[] { ParquetDataPageVersion.V1, ParquetDataPageVersion.V2 })
            data.Add(codec == Compression.Lz4 ? "library: codec LZ4_RAW" : "pages", codec, dictionary, version, false);
        data.Add("pages", Compression.Snappy, true, ParquetDataPageVersion.V1, true);
        data.Add("pages", Compression.Zstd, false, ParquetDataPageVersion.V2, true);
        return data;
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void EveryRowEqualsTheLibrarysRead_ByteForByte(string route, Compression codec, bool dictionary, ParquetDataPageVersion version, bool base64)
    {
        var shape = new Shape(codec, dictionary, version, base64);
        var cells = Cells(120, seed: (int)codec * 10 + (dictionary ? 1 : 0) + (int)version * 3);
        var part = Dataset(_root, cells, [37, 1, 52, 30], shape);
        var expected = LibraryCells(part);
        Assert.Equal(cells.Length, expected.Count);
        for (int i = 0; i < cells.Length; i++) Assert.Equal(cells[i], expected[i]);

        using var source = ParquetImageSource.OpenPrepared(_root)!;
        foreach (int row in new[] { 0, 37, 38, 90 }) Assert.Equal(route, source.RouteOf(Name(row)));
        // Random order, each row twice: the pages cached per row group serve any row in any order.
        foreach (int row in Enumerable.Range(0, cells.Length).Concat(Enumerable.Range(0, cells.Length)).OrderBy(r => (r * 7919) % 241))
        {
            if (expected[row] is null)
            {
                var e = Assert.Throws<SampleException>(() => source.Read(Name(row)).Dispose());
                Assert.Equal($"sample ({part}:row {row} ({Name(row)})): missing file: the image cell is null", e.Message);
                continue;
            }
            using var bytes = source.Read(Name(row));
            Assert.True(expected[row].AsSpan().SequenceEqual(bytes.Span), $"row {row} differs ({codec}, dictionary {dictionary}, {version})");
        }
        if (route != "pages") return;
        // Pages of a few rows: a row group of 52 holds many, and each row was read from its own.
        using var file = new LocalParquetBytes(part);
        var chunk = ParquetImageSource.ReadChunks(file, 0)[2];
        var pages = ParquetChunkPages.Walk(file, chunk, maxDef: 2, out var unsupported)!;
        Assert.Null(unsupported);
        Assert.True(pages.Pages >= 8, $"{pages.Pages} pages");
        Assert.Equal(dictionary, pages.DictionaryHeader is not null);
        // With a dictionary, the writer fell back to PLAIN once its dictionary filled: both kinds of page in one chunk.
        var encodings = pages.Headers.Select(h => h.Encoding).Distinct().Order().ToArray();
        Assert.Equal(dictionary ? [ParquetEncoding.Plain, ParquetEncoding.RleDictionary] : [ParquetEncoding.Plain], encodings);
    }

    /// <summary>
    /// Arrow (pyarrow, ParquetSharp) checks its dictionary's size only between write batches, so with row groups of 100
    /// images, as Hugging Face writes them, one dictionary page can hold every image of the row group (the replica
    /// benchmarks/ParquetBench packs with the writer's defaults does: 20 MB pages); here a large dictionary limit does it. Stored uncompressed or as snappy, such a page is indexed once and each value read alone (from the snappy
    /// checkpoint before it); other codecs keep it decoded. Every row equals the library's read.
    /// </summary>
    [Theory]
    [InlineData(Compression.Snappy, false)]
    [InlineData(Compression.Uncompressed, false)]
    [InlineData(Compression.Zstd, true)]
    public void WholeRowGroupInOneDictionaryPage_EveryRowEqualsTheLibrarysRead(Compression codec, bool resident)
    {
        var cells = Cells(70, seed: 14, maxBytes: 150_000);
        var part = Dataset(_root, cells, [40, 30], new Shape(codec, true, ParquetDataPageVersion.V1, PageBytes: 1 << 20, DictionaryBytes: 64 << 20));
        var expected = LibraryCells(part);
        using (var file = new LocalParquetBytes(part))
        {
            var chunk = ParquetImageSource.ReadChunks(file, 0)[0];
            var pages = ParquetChunkPages.Walk(file, chunk, 2, out _)!;
            Assert.All(pages.Headers, h => Assert.Equal(ParquetEncoding.RleDictionary, h.Encoding));
            Assert.True(pages.DictionaryHeader!.Value.UncompressedSize > 2 * ParquetDictionary.ResidentBytes);
            var dictionary = pages.ReadDictionary(file);
            Assert.Equal(resident, dictionary.Resident);
            Assert.True(resident || dictionary.Bytes < 4096, $"{dictionary.Bytes} bytes kept");
        }
        using var source = ParquetImageSource.OpenPrepared(_root)!;
        foreach (int row in Enumerable.Range(0, cells.Length).OrderBy(r => (r * 31) % 71))
        {
            if (expected[row] is null) continue;
            using var bytes = source.Read(Name(row));
            Assert.True(expected[row].AsSpan().SequenceEqual(bytes.Span), $"row {row} differs");
        }
        Assert.Equal(2, source.DictionaryReads);
    }

    [Fact]
    public void SnappyCheckpoints_EachRangeDecodesAlone_AndACopyReachingBackDropsOne()
    {
        // Google's compressor (through ParquetSharp) compresses 64 KiB fragments independently: a checkpoint at each.
        var rng = new Random(15);
        var data = new byte[300_000];
        for (int i = 0; i < data.Length; i++) data[i] = (byte)(rng.Next(3) == 0 ? rng.Next(256) : i / 300);
        var part = Path.Combine(_root, "one.parquet");
        WritePart(part, [data], [1], new Shape(Compression.Snappy, false, ParquetDataPageVersion.V2, Required: true, PageBytes: 1 << 20));
        using var file = new LocalParquetBytes(part);
        var pages = ParquetChunkPages.Walk(file, ParquetImageSource.ReadChunks(file, 0)[0], 0, out _)!;
        var h = pages.Headers[0];
        using var raw = file.Read(pages.Offsets[0] + h.Length, h.CompressedSize);
        var output = new byte[h.UncompressedSize];
        var checkpoints = new List<SnappyCheckpoint>();
        SnappyRaw.Decompress(raw.Span, output, checkpoints);
        Assert.Equal(Enumerable.Range(0, (output.Length + 65535) / 65536).Select(i => i * 65536), checkpoints.Select(c => c.Output));
        checkpoints.Add(new SnappyCheckpoint(output.Length, raw.Length));
        for (int i = 0; i + 1 < checkpoints.Count; i++)
        {
            var piece = new byte[checkpoints[i + 1].Output - checkpoints[i].Output];
            SnappyRaw.DecompressFrom(raw.Span[checkpoints[i].Input..checkpoints[i + 1].Input], piece);
            Assert.True(piece.AsSpan().SequenceEqual(output.AsSpan(checkpoints[i].Output, piece.Length)), $"range {i}");
        }

        // A block whose copy reaches back across 64 KiB: that checkpoint is not kept.
        var block = new List<byte> { 0x84, 0x80, 0x04 }; // declared 65540 (a varint)
        for (int left = 65536; left > 0; left -= 60)
        {
            int n = Math.Min(60, left);
            block.Add((byte)((n - 1) << 2));
            block.AddRange(Enumerable.Repeat((byte)7, n));
        }
        block.AddRange([0b10 | 3 << 2, 0x00, 0x01]); // copy 4 bytes from 256 back, starting at output 65536
        var marks = new List<SnappyCheckpoint>();
        SnappyRaw.Decompress(block.ToArray(), new byte[65540], marks);
        Assert.Equal([0], marks.Select(c => c.Output));
    }

    [Fact]
    public void RequiredColumn_NoDefinitionLevels_ReadFromPages()
    {
        var cells = Cells(40, seed: 5, nulls: false);
        Dataset(_root, cells, [25, 15], new Shape(Compression.Snappy, false, ParquetDataPageVersion.V1, Required: true));
        using var source = ParquetImageSource.OpenPrepared(_root)!;
        Assert.Equal("pages", source.RouteOf(Name(30)));
        for (int row = 0; row < cells.Length; row++)
            using (var bytes = source.Read(Name(row))) Assert.Equal(cells[row], bytes.Span.ToArray());
    }

    [Fact]
    public void DeltaEncodedChunk_TakesTheLibrarysRoute_SameBytes()
    {
        var cells = Cells(30, seed: 6);
        var part = Dataset(_root, cells, [30], new Shape(Compression.Snappy, false, ParquetDataPageVersion.V1, Encoding: Encoding.DeltaLengthByteArray));
        var expected = LibraryCells(part);
        using var source = ParquetImageSource.OpenPrepared(_root)!;
        Assert.Equal("library: data page in DELTA_LENGTH_BYTE_ARRAY", source.RouteOf(Name(3)));
        for (int row = 0; row < cells.Length; row++)
        {
            if (expected[row] is null) continue;
            using var bytes = source.Read(Name(row));
            Assert.Equal(expected[row], bytes.Span.ToArray());
        }
    }

    [Fact]
    public void DictionaryPage_ReadOncePerRowGroup_WhileCached()
    {
        var cells = Cells(60, seed: 7);
        Dataset(_root, cells, [30, 30], new Shape(Compression.Snappy, true, ParquetDataPageVersion.V1, PageBytes: 1 << 20));
        using var source = ParquetImageSource.OpenPrepared(_root)!;
        for (int pass = 0; pass < 3; pass++)
            for (int row = 0; row < cells.Length; row++)
                if (cells[row] is not null) source.Read(Name(row)).Dispose();
        Assert.Equal(2, source.DictionaryReads);
    }

    [Fact]
    public void TooLargeCell_IsABadSample_NamingTheLimit()
    {
        var cells = Cells(10, seed: 8, nulls: false);
        var part = Dataset(_root, cells, [10], new Shape(Compression.Snappy, false, ParquetDataPageVersion.V1));
        using var source = ParquetImageSource.OpenPrepared(_root, maxFileBytes: 100)!;
        var e = Assert.Throws<SampleException>(() => source.Read(Name(4)).Dispose());
        Assert.Equal(SampleFailureReason.FileTooLarge, e.Reason);
        Assert.Equal($"sample ({part}:row 4 ({Name(4)})): file too large: image is {cells[4]!.Length} bytes (limit 100)", e.Message);
    }

    /// <summary>The file offset of the first data page of row group <paramref name="group"/>'s image chunk, and the walk.</summary>
    private static (long Offset, ParquetChunkPages Pages) FirstPage(string part, int group)
    {
        using var file = new LocalParquetBytes(part);
        var chunk = ParquetImageSource.ReadChunks(file, 0)[group];
        var pages = ParquetChunkPages.Walk(file, chunk, 2, out _)!;
        return (pages.Offsets[0], pages);
    }

    [Fact]
    public void DamagedPageHeader_RowsOfItsChunkAreBadSamples_NamingTheOffset_OtherGroupsRead()
    {
        var cells = Cells(40, seed: 9, nulls: false);
        var part = Dataset(_root, cells, [20, 20], new Shape(Compression.Snappy, false, ParquetDataPageVersion.V1));
        var (offset, pages) = FirstPage(part, 1);
        Assert.True(pages.Pages > 2);
        // The second page's header overwritten (same size, so the part still matches its index).
        long at = pages.Offsets[1];
        using (var f = File.OpenWrite(part))
        {
            f.Position = at;
            f.Write([0xff, 0xff, 0xff, 0xff]);
        }
        using var source = ParquetImageSource.OpenPrepared(_root)!;
        var e = Assert.Throws<SampleException>(() => source.Read(Name(25)).Dispose());
        Assert.Equal(SampleFailureReason.Undecodable, e.Reason);
        Assert.StartsWith($"sample ({part}:row 25 ({Name(25)})): undecodable: cannot read the parquet cell: damaged page header at byte {at}: ", e.Message);
        Assert.StartsWith("damaged: damaged page header at byte", source.RouteOf(Name(20)));
        Assert.True(offset < at);
        // Row group 0 is untouched.
        using (var b = source.Read(Name(3))) Assert.Equal(cells[3], b.Span.ToArray());
    }

    [Fact]
    public void DamagedSnappyData_IsABadSample_NamingThePage()
    {
        var cells = Cells(20, seed: 10, nulls: false);
        var part = Dataset(_root, cells, [20], new Shape(Compression.Snappy, false, ParquetDataPageVersion.V1));
        var (offset, pages) = FirstPage(part, 0);
        // The body's first bytes: the declared length, then the first tag: a copy reaching before the start.
        long body = offset + pages.Headers[0].Length;
        var bytes = File.ReadAllBytes(part);
        int preamble = 0;
        while ((bytes[body + preamble] & 0x80) != 0) preamble++;
        bytes[body + preamble + 1] = 0b0000_0010; // copy with a 2-byte offset
        bytes[body + preamble + 2] = 9;
        bytes[body + preamble + 3] = 0;
        File.WriteAllBytes(part, bytes);
        using var source = ParquetImageSource.OpenPrepared(_root)!;
        var e = Assert.Throws<SampleException>(() => source.Read(Name(0)).Dispose());
        Assert.Equal($"sample ({part}:row 0 ({Name(0)})): undecodable: cannot read the parquet cell: page at byte {offset}: cannot decompress its SNAPPY data: " +
                     $"copy offset 9 at input byte {preamble + 1} reaches before the start (output at 0)", e.Message);
    }

    [Fact]
    public void TruncatedFile_TheWalkStopsWithOneLine()
    {
        var cells = Cells(20, seed: 11, nulls: false);
        var part = Dataset(_root, cells, [20], new Shape(Compression.Snappy, false, ParquetDataPageVersion.V1));
        ParquetChunk chunk;
        using (var file = new LocalParquetBytes(part)) chunk = ParquetImageSource.ReadChunks(file, 0)[0];
        var cut = Path.Combine(_root, "cut.parquet");
        File.WriteAllBytes(cut, File.ReadAllBytes(part)[..(int)(chunk.Start + chunk.TotalCompressedSize / 2)]);
        using var truncated = new LocalParquetBytes(cut);
        // The chunk's extent is checked against the file first; a file whose length lies about its end fails at a read.
        var e = Assert.Throws<ParquetFormatException>(() => ParquetChunkPages.Walk(truncated, chunk, 2, out _));
        Assert.Equal($"column chunk at bytes {chunk.Start}-{chunk.Start + chunk.TotalCompressedSize} does not fit a file of {truncated.Length} bytes", e.Message);
        var lying = new LyingLength(truncated, new FileInfo(part).Length);
        var e2 = Assert.Throws<ParquetFormatException>(() => ParquetChunkPages.Walk(lying, chunk, 2, out _));
        Assert.StartsWith("the file ends at byte ", e2.Message);
    }

    private sealed class LyingLength(IParquetBytes inner, long length) : IParquetBytes
    {
        public string Name => inner.Name;
        public long Length => length;
        public PooledBytes Read(long offset, int count) => inner.Read(offset, count);
        public Task<PooledBytes> ReadAsync(long offset, int count) => inner.ReadAsync(offset, count);
        public void Dispose() { }
    }

    [Fact]
    public void PageHeaderParser_MutatedHeaders_ParseOrFailWithOneLine_NeverHang()
    {
        var cells = Cells(20, seed: 12, nulls: false);
        var part = Dataset(_root, cells, [20], new Shape(Compression.Snappy, true, ParquetDataPageVersion.V2));
        var (offset, pages) = FirstPage(part, 0);
        var header = File.ReadAllBytes(part).AsSpan((int)offset, pages.Headers[0].Length + 16).ToArray();
        Assert.Equal(pages.Headers[0], ParquetPageHeader.Parse(header));
        var rng = new Random(13);
        int failed = 0;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        for (int i = 0; i < 20000; i++)
        {
            var mutated = (byte[])header.Clone();
            for (int k = rng.Next(1, 4); k > 0; k--) mutated[rng.Next(mutated.Length)] = (byte)rng.Next(256);
            if (rng.Next(4) == 0) mutated = mutated[..rng.Next(mutated.Length)];
            try
            {
                ParquetPageHeader.Parse(mutated);
            }
            catch (ParquetFormatException e)
            {
                Assert.False(string.IsNullOrWhiteSpace(e.Message));
                failed++;
            }
        }
        Assert.True(failed > 1000, $"{failed} failed");
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"{clock.Elapsed}");
    }

    [Fact]
    public void Thrift_HugeLengthsAndCounts_RefusedBeforeAllocating()
    {
        // type=0 (i32), then field 5 as a list header claiming 2^31 elements, then a binary claiming 2^40 bytes.
        byte[] hugeList = [0x15, 0x00, 0x09 << 4 | 0x09, 0xf5, 0x80, 0x80, 0x80, 0x80, 0x08];
        var e = Assert.Throws<ParquetFormatException>(() => ParquetPageHeader.Parse(hugeList));
        Assert.Equal("list of 2147483648 elements at byte 9", e.Message);
        byte[] hugeBinary = [0x15, 0x00, 0x08 << 4 | 0x08, 0x80, 0x80, 0x80, 0x80, 0x80, 0x20];
        var e2 = Assert.Throws<ParquetFormatException>(() => ParquetPageHeader.Parse(hugeBinary));
        Assert.Equal("binary of 1099511627776 bytes at byte 9", e2.Message);
        // Structs nested without end.
        var deep = new byte[1000];
        deep[0] = 0x15;
        for (int i = 2; i < deep.Length; i++) deep[i] = 0x1c;
        var e3 = Assert.Throws<ParquetFormatException>(() => ParquetPageHeader.Parse(deep));
        Assert.StartsWith("structs nested over 64 deep", e3.Message);
    }
}

/// <summary>The raw snappy decompressor: ParquetSharp's snappy pages are its parity test (above); here, hostile blocks.</summary>
public sealed class SnappyRawTests
{
    private static string Refusal(byte[] block, int expected)
    {
        var e = Assert.Throws<SnappyException>(() => SnappyRaw.Decompress(block, new byte[expected]));
        return e.Message;
    }

    [Fact]
    public void LiteralsAndOverlappingCopies_Decode()
    {
        // "abcabcabcab": literal "abc", then a copy of 8 bytes at offset 3 (overlapping).
        byte[] block = [11, 2 << 2, (byte)'a', (byte)'b', (byte)'c', 0b001 | (8 - 4) << 2, 3];
        var output = new byte[11];
        SnappyRaw.Decompress(block, output);
        Assert.Equal("abcabcabcab", System.Text.Encoding.ASCII.GetString(output));
    }

    [Fact]
    public void HostileBlocks_RefusedWithTheirReason()
    {
        Assert.Equal("truncated: literal of 4 bytes at input byte 1, 2 left", Refusal([4, 3 << 2, 1, 2], 4));
        Assert.Equal("copy offset 5 at input byte 3 reaches before the start (output at 1)", Refusal([5, 0, 7, 0b001 | 0 << 2, 5], 5));
        Assert.Equal("declared length 3, expected 4", Refusal([3, 2 << 2, 1, 2, 3], 4));
        Assert.Equal("literal of 3 bytes at input byte 1 runs past the declared length 2", Refusal([2, 2 << 2, 1, 2, 3], 2));
        Assert.Equal("copy of 8 bytes at input byte 3 runs past the declared length 4", Refusal([4, 0, 9, 0b001 | 4 << 2, 1], 4));
        // A 4-byte literal length of 2^32-1: refused as an overflow, nothing allocated.
        Assert.Equal("literal length overflows at input byte 1", Refusal([4, 63 << 2, 0xff, 0xff, 0xff, 0xff], 4));
        Assert.Equal("truncated: 1 of the declared 4 bytes", Refusal([4, 0, 9], 4));
        Assert.Equal("declared length is longer than 5 bytes", Refusal([0xff, 0xff, 0xff, 0xff, 0xff, 0x01], 4));
        Assert.Equal("truncated: copy at input byte 1", Refusal([4, 0b011], 4));
    }
}

