// Parquet.Net against ParquetSharp on one generated file shaped like the Hugging Face image parquet VGT's recipes
// download (imagenet1k-t2i): an image struct {bytes, path}, a caption string, an int; snappy, row groups of 100 rows.
//
//   dotnet run -c Release --project benchmarks/ParquetBench -- [--rows 2000] [--kb 100] [--group 100] [--random 300] [--dir DIR]
//
// Each measurement runs in a child process of its own, so peak RSS (VmHWM) is that library's alone; "idle" is a child
// that loads nothing (the runtime's own share).
//
//   dotnet run -c Release --project benchmarks/ParquetBench -- pack IMAGES_DIR OUT_DIR [--group 100]
// packs the images of a folder (sorted) into OUT_DIR/raw/00000.parquet as imagenet1k-t2i's download holds them, for
// `vgtdata prepare imagenet1k-t2i` and `vgtdata bench` in place against --extract (docs/vgt-datasets.md).
using System.Diagnostics;
using System.Globalization;
using Parquet;
using Parquet.Schema;

var inv = CultureInfo.InvariantCulture;
if (args.Length > 0 && args[0] == "child") return Child(args[1], args[2], args[3], int.Parse(args[4], inv));
if (args.Length > 2 && args[0] == "pack") return Pack(args[1], args[2], Arg("--group", 100));

int rows = Arg("--rows", 2000), kb = Arg("--kb", 100), group = Arg("--group", 100), random = Arg("--random", 300);
var dir = ArgS("--dir", Path.Combine(Path.GetTempPath(), "parquet-bench"));
Directory.CreateDirectory(dir);
var file = Path.Combine(dir, $"images-{rows}-{kb}kb-{group}.parquet");
if (!File.Exists(file))
{
    var sw = Stopwatch.StartNew();
    await Generate(file, rows, kb, group);
    Console.WriteLine($"generated {file} in {sw.Elapsed.TotalSeconds:F1} s");
}
Console.WriteLine($"file: {rows} rows, ~{kb} KB image bytes each, row groups of {group}, snappy, {new FileInfo(file).Length / 1048576.0:F1} MiB");
Console.WriteLine($"{"library",-12} {"task",-15} {"seconds",8} {"MiB/s",8} {"ms/read",8} {"peak RSS MiB",13} checksum");
foreach (var lib in new[] { "idle", "net", "sharp" })
foreach (var task in lib switch { "idle" => new[] { "-" }, "sharp" => new[] { "scan", "random", "random-buffered" }, _ => new[] { "scan", "random" } })
{
    var psi = new ProcessStartInfo(Environment.ProcessPath!) { RedirectStandardOutput = true };
    foreach (var a in new[] { typeof(Program).Assembly.Location, "child", lib, task, file, random.ToString(inv) })
        psi.ArgumentList.Add(a);
    if (Path.GetFileNameWithoutExtension(Environment.ProcessPath!) != "dotnet") psi.ArgumentList.RemoveAt(0);
    using var p = Process.Start(psi)!;
    Console.WriteLine(p.StandardOutput.ReadToEnd().TrimEnd());
    p.WaitForExit();
}
Console.WriteLine("package files loaded on linux-x64 (beside the app):");
foreach (var f in new[] { "Parquet.dll", "Snappier.dll", "ZstdSharp.dll", "K4os.Compression.LZ4.dll", "CommunityToolkit.HighPerformance.dll",
             "Microsoft.IO.RecyclableMemoryStream.dll", "ParquetSharp.dll", "runtimes/linux-x64/native/ParquetSharpNative.so" })
{
    var path = Path.Combine(AppContext.BaseDirectory, f);
    Console.WriteLine($"  {f,-50} {(File.Exists(path) ? new FileInfo(path).Length / 1048576.0 : double.NaN),8:F2} MiB");
}
return 0;

int Arg(string name, int fallback) => int.Parse(ArgS(name, fallback.ToString(inv)), inv);
string ArgS(string name, string fallback)
{
    int i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
}

static async Task Generate(string path, int rows, int kb, int group)
{
    var bytes = new DataField<byte[]>("bytes");
    var name = new DataField<string>("path");
    var caption = new DataField<string>("caption");
    var label = new DataField<long>("label");
    var schema = new ParquetSchema(new StructField("image", bytes, name), caption, label);
    var rng = new Random(1);
    await using var stream = File.Create(path);
    await using var writer = await ParquetWriter.CreateAsync(schema, stream, new ParquetOptions { CompressionMethod = CompressionMethod.Snappy });
    for (int start = 0; start < rows; start += group)
    {
        int n = Math.Min(group, rows - start);
        // Random bytes: compressed image data does not compress further, as JPEG/PNG cells do not.
        var images = Enumerable.Range(0, n).Select(_ =>
        {
            var b = new byte[kb * 1024 * 4 / 5 + rng.Next(kb * 1024 * 2 / 5)];
            rng.NextBytes(b);
            return b;
        }).ToArray();
        using var rg = writer.CreateRowGroup();
        await rg.WriteAsync(bytes, images, null);
        await rg.WriteAsync(name, Enumerable.Range(start, n).Select(i => $"{i:D8}.jpg").ToArray(), null);
        await rg.WriteAsync(caption, Enumerable.Range(start, n).Select(i => $"a photo number {i} of something").ToArray(), null);
        await rg.WriteAsync(label, (ReadOnlyMemory<long>)Enumerable.Range(start, n).Select(i => (long)(i % 1000)).ToArray(), null, null, default);
    }
}

static int Pack(string images, string output, int group)
{
    var files = Directory.EnumerateFiles(images).Order(StringComparer.Ordinal).ToList();
    var path = Path.Combine(output, "raw", "00000.parquet");
    Directory.CreateDirectory(Path.GetDirectoryName(path)!);
    using var text = ParquetSharp.LogicalType.String();
    using var none = ParquetSharp.LogicalType.None();
    using var list = ParquetSharp.LogicalType.List();
    ParquetSharp.Schema.Node Leaf(string name, ParquetSharp.LogicalType type) =>
        new ParquetSharp.Schema.PrimitiveNode(name, ParquetSharp.Repetition.Optional, type, ParquetSharp.PhysicalType.ByteArray);
    using var schema = new ParquetSharp.Schema.GroupNode("schema", ParquetSharp.Repetition.Required,
    [
        new ParquetSharp.Schema.GroupNode("image", ParquetSharp.Repetition.Optional, [Leaf("bytes", none), Leaf("path", text)]),
        new ParquetSharp.Schema.GroupNode("conversations", ParquetSharp.Repetition.Optional,
            [new ParquetSharp.Schema.GroupNode("list", ParquetSharp.Repetition.Repeated,
                [new ParquetSharp.Schema.GroupNode("element", ParquetSharp.Repetition.Optional, [Leaf("from", text), Leaf("value", text)])])], list),
    ]);
    using var properties = new ParquetSharp.WriterPropertiesBuilder().Compression(ParquetSharp.Compression.Snappy).Build();
    using var writer = new ParquetSharp.ParquetFileWriter(path, schema, properties);
    for (int start = 0; start < files.Count; start += group)
    {
        var batch = files.Skip(start).Take(group).ToList();
        using var rg = writer.AppendRowGroup();
        void Column<T>(IEnumerable<T> values)
        {
            using var c = rg.NextColumn().LogicalWriter<T>();
            c.WriteBatch(values.ToArray());
        }
        Column(batch.Select(f => (ParquetSharp.Nested<byte[]?>?)new ParquetSharp.Nested<byte[]?>(File.ReadAllBytes(f))));
        Column(batch.Select(f => (ParquetSharp.Nested<string?>?)new ParquetSharp.Nested<string?>(Path.GetFileName(f))));
        Column(batch.Select(_ => new ParquetSharp.Nested<string?>?[] { new("human"), new("gpt") }));
        Column(batch.Select(f => new ParquetSharp.Nested<string?>?[] { new($"a photo from {Path.GetFileNameWithoutExtension(f)}"), new("a reply") }));
    }
    writer.Close();
    Console.WriteLine($"packed {files.Count} images into {path} ({new FileInfo(path).Length / 1048576.0:F1} MiB, row groups of {group})");
    return 0;
}

static int Child(string lib, string task, string file, int randomReads)
{
    var sw = Stopwatch.StartNew();
    long bytes = 0, checksum = 0;
    int reads = 0;
    if (lib == "net") (bytes, checksum, reads) = task == "scan" ? NetScan(file).GetAwaiter().GetResult() : NetRandom(file, randomReads).GetAwaiter().GetResult();
    else if (lib == "sharp") (bytes, checksum, reads) = task == "scan" ? SharpScan(file) : SharpRandom(file, randomReads, buffered: task == "random-buffered");
    double s = sw.Elapsed.TotalSeconds;
    var hwm = File.ReadLines("/proc/self/status").First(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
    double rss = long.Parse(hwm.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024.0;
    string name = lib switch { "net" => "Parquet.Net", "sharp" => "ParquetSharp", _ => "idle" };
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"{name,-12} {task,-15} {s,8:F3} {bytes / 1048576.0 / s,8:F0} {(task.StartsWith("random", StringComparison.Ordinal) ? s * 1000 / reads : double.NaN),8:F2} {rss,13:F0} {checksum:X16}"));
    return 0;
}

static long Mix(long sum, byte[] b) => sum * 31 + b.Length + b[0] + b[^1];

static int[] RandomRows(long total, int count)
{
    var rng = new Random(7);
    return Enumerable.Range(0, count).Select(_ => rng.Next((int)total)).ToArray();
}

static DataField NetImageField(ParquetReader r) =>
    r.Schema.DataFields.First(f => f.Path.ToList() is ["image", "bytes"]);

static async Task<(long, long, int)> NetScan(string file)
{
    await using var reader = await ParquetReader.CreateAsync(file);
    var field = NetImageField(reader);
    long bytes = 0, sum = 0;
    int n = 0;
    for (int g = 0; g < reader.RowGroupCount; g++)
    {
        using var rg = reader.OpenRowGroupReader(g);
        var cells = new byte[rg.RowCount][];
        await rg.ReadAsync(field, cells, null);
        foreach (var c in cells) { bytes += c.Length; sum = Mix(sum, c); n++; }
    }
    return (bytes, sum, n);
}

static async Task<(long, long, int)> NetRandom(string file, int count)
{
    await using var reader = await ParquetReader.CreateAsync(file);
    var field = NetImageField(reader);
    var starts = new long[reader.RowGroupCount + 1];
    for (int g = 0; g < reader.RowGroupCount; g++) starts[g + 1] = starts[g] + reader.RowGroups[g].RowCount;
    long bytes = 0, sum = 0;
    foreach (var row in RandomRows(starts[^1], count))
    {
        int g = Array.BinarySearch(starts, (long)row);
        if (g < 0) g = ~g - 1;
        // The managed reader decodes a whole column chunk: one row costs its row group's image column.
        using var rg = reader.OpenRowGroupReader(g);
        var cells = new byte[rg.RowCount][];
        await rg.ReadAsync(field, cells, null);
        var c = cells[row - starts[g]];
        bytes += c.Length;
        sum = Mix(sum, c);
    }
    return (bytes, sum, count);
}

static int SharpImageColumn(ParquetSharp.ParquetFileReader r) => r.FileMetaData.Schema.ColumnIndex("image.bytes");

static (long, long, int) SharpScan(string file)
{
    using var reader = new ParquetSharp.ParquetFileReader(file);
    int column = SharpImageColumn(reader);
    long bytes = 0, sum = 0;
    int n = 0;
    for (int g = 0; g < reader.FileMetaData.NumRowGroups; g++)
    {
        using var rg = reader.RowGroup(g);
        using var col = rg.Column(column).LogicalReader<byte[]?>();
        foreach (var c in col.ReadAll((int)rg.MetaData.NumRows)) { bytes += c!.Length; sum = Mix(sum, c); n++; }
    }
    return (bytes, sum, n);
}

static (long, long, int) SharpRandom(string file, int count, bool buffered)
{
    // Buffered: pages are read as the reader reaches them instead of the whole column chunk at once.
    using var properties = ParquetSharp.ReaderProperties.GetDefaultReaderProperties();
    if (buffered) properties.EnableBufferedStream();
    using var reader = new ParquetSharp.ParquetFileReader(file, properties);
    int column = SharpImageColumn(reader);
    int groups = reader.FileMetaData.NumRowGroups;
    var starts = new long[groups + 1];
    for (int g = 0; g < groups; g++)
    {
        using var rg = reader.RowGroup(g);
        starts[g + 1] = starts[g] + rg.MetaData.NumRows;
    }
    long bytes = 0, sum = 0;
    var one = new byte[1][];
    foreach (var row in RandomRows(starts[^1], count))
    {
        int g = Array.BinarySearch(starts, (long)row);
        if (g < 0) g = ~g - 1;
        using var rg = reader.RowGroup(g);
        using var col = rg.Column(column).LogicalReader<byte[]?>();
        col.Skip(row - starts[g]);
        col.ReadBatch(one!, 0, 1);
        var c = one[0]!;
        bytes += c.Length;
        sum = Mix(sum, c);
    }
    return (bytes, sum, count);
}
