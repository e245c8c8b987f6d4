// Indexing a large data.json: writes an N-entry manifest in the seed's schema (ShareGPT-4o-Image-like captions),
// then loads it several times and prints the median time and the memory the table holds.
// With --index, also the memory-mapped entry index (EntryIndex): its build time, bytes per entry, open time (warm page
// cache) and random lookups per second on one thread, beside the JSON load.
// Usage: dotnet run -c Release --project benchmarks/ManifestBench -- [--entries 1000000] [--runs 5] [--file PATH] [--index]
using System.Diagnostics;
using System.Text.Json;
using VgtData.Manifests;
using VgtData.Preparation;

int entries = 1_000_000, runs = 5;
string? file = null;
bool index = false;
for (int i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--entries": entries = int.Parse(args[++i]); break;
        case "--runs": runs = int.Parse(args[++i]); break;
        case "--file": file = args[++i]; break;
        case "--index": index = true; break;
        default: Console.Error.WriteLine($"unknown option {args[i]}"); return 2;
    }
}
file ??= Path.Combine(Path.GetTempPath(), $"vgtdata-manifest-{entries}.json");
if (!File.Exists(file))
{
    var sw = Stopwatch.StartNew();
    using (var stream = File.Create(file + ".tmp"))
    using (var json = new Utf8JsonWriter(stream))
    {
        json.WriteStartArray();
        for (int i = 0; i < entries; i++)
        {
            json.WriteStartObject();
            json.WriteString("image", $"images/{i}.png");
            // Real ShareGPT-4o-Image prompts run to a few hundred characters; three generated captions make ~150-200.
            json.WriteString("caption", $"{SyntheticDataset.Caption(i, 1)}. {SyntheticDataset.Caption(i, 2)}. {SyntheticDataset.Caption(i, 3)}.");
            json.WriteNumber("width", 1024);
            json.WriteNumber("height", i % 2 == 0 ? 1024 : 1536);
            json.WriteEndObject();
            if (i % 100_000 == 0) json.Flush();   // the writer buffers in memory until flushed
        }
        json.WriteEndArray();
    }
    File.Move(file + ".tmp", file, overwrite: true);
    Console.WriteLine($"wrote {file}: {entries} entries, {new FileInfo(file).Length / 1e6:0.0} MB in {sw.Elapsed.TotalSeconds:0.0} s");
}
var times = new List<double>();
long tableBytes = 0, heapAfter = 0;
for (int r = 0; r < runs; r++)
{
    GC.Collect(2, GCCollectionMode.Forced, true, true);
    long before = GC.GetTotalMemory(true);
    var sw = Stopwatch.StartNew();
    var manifest = Manifest.Load(file);
    sw.Stop();
    times.Add(sw.Elapsed.TotalSeconds);
    if (manifest.Count != entries) throw new Exception($"read {manifest.Count} entries, expected {entries}");
    tableBytes = manifest.MemoryBytes;
    heapAfter = GC.GetTotalMemory(true) - before;
    GC.KeepAlive(manifest);
}
times.Sort();
Console.WriteLine($"entries: {entries}, file: {new FileInfo(file).Length / 1e6:0.0} MB");
Console.WriteLine($"load seconds: median {times[times.Count / 2]:0.000}, min {times[0]:0.000}, max {times[^1]:0.000} over {runs} runs");
Console.WriteLine($"table memory: {tableBytes / 1e6:0.0} MB; managed heap retained: {heapAfter / 1e6:0.0} MB; " +
    $"process peak RSS (all runs): {Process.GetCurrentProcess().PeakWorkingSet64 / 1e6:0.0} MB");
if (!index) return 0;

var indexPath = file + EntryIndex.Extension;
var meta = new EntryIndex.Meta("caption", [EntryIndex.SourceStamp.Of(file)]);
var build = Stopwatch.StartNew();
var table = Manifest.Load(file);
EntryIndex.Write(indexPath, table, meta);
build.Stop();
table = null;
long indexBytes = new FileInfo(indexPath).Length;
var opens = new List<double>();
for (int r = 0; r < runs; r++)
{
    var sw = Stopwatch.StartNew();
    using var opened = EntryIndex.TryOpen(indexPath, meta, null, out var why) ?? throw new Exception($"index not opened: {why}");
    opens.Add(sw.Elapsed.TotalSeconds);
}
opens.Sort();
using var mapped = EntryIndex.TryOpen(indexPath, meta, null, out _)!;
var random = new Random(1);
int lookups = 2_000_000;
long chars = 0;
var look = Stopwatch.StartNew();
for (int i = 0; i < lookups; i++)
{
    var e = mapped[random.Next(mapped.Count)];
    chars += e.Image.Length + (e.Caption?.Length ?? 0);
}
look.Stop();
Console.WriteLine($"index: built in {build.Elapsed.TotalSeconds:0.00} s (JSON load + write), {indexBytes / 1e6:0.0} MB, {(double)indexBytes / entries:0.0} bytes/entry");
Console.WriteLine($"index open (checksum of the whole file, warm page cache): median {opens[opens.Count / 2]:0.000} s over {runs} runs");
Console.WriteLine($"index random lookups (image + caption strings): {lookups / look.Elapsed.TotalSeconds / 1e6:0.00} M/s on one thread ({chars} chars)");
return 0;
