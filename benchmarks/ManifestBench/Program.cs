// Indexing a large data.json: writes an N-entry manifest in the seed's schema (ShareGPT-4o-Image-like captions),
// then loads it several times and prints the median time and the memory the table holds.
// With --index, also the memory-mapped entry index (EntryIndex), side by side in one run: build time, bytes per entry,
// open time (hashing the whole file, and once this node has checked it; warm page cache, and cold: the index's pages
// dropped with posix_fadvise), random lookups per second on one thread (the first 2M after open, then 2M more), and 8
// processes holding it open at once (without and with a recorded check) with each one's RSS split from
// /proc/PID/smaps_rollup; with --python,
// Python's json.load of the same file (time and peak RSS).
// With --dataset DIR the entries point at 64 synthetic images written there (images/000000.png…), and DIR gets
// bench-N.json / bench-1000.json configs over the N entries and a 1,000-entry copy, for `vgtdata bench CONFIG`.
// Usage: dotnet run -c Release --project benchmarks/ManifestBench -- [--entries 1000000] [--runs 5] [--json-runs R] [--file PATH]
//        [--index] [--python] [--dataset DIR]
// (/proc/sys/vm/drop_caches is not used: on a shared machine it would evict everyone's pages, not just the index's.)
using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text.Json;
using VgtData.Manifests;
using VgtData.Preparation;

if (args.Length == 3 && args[0] == "--child") return Child(args[1], args[2]);

int entries = 1_000_000, runs = 5, jsonRuns = -1;
string? file = null, dataset = null;
bool index = false, python = false;
for (int i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--entries": entries = int.Parse(args[++i]); break;
        case "--runs": runs = int.Parse(args[++i]); break;
        case "--json-runs": jsonRuns = int.Parse(args[++i]); break;
        case "--file": file = args[++i]; break;
        case "--index": index = true; break;
        case "--python": python = true; break;
        case "--dataset": dataset = Path.GetFullPath(args[++i]); break;
        default: Console.Error.WriteLine($"unknown option {args[i]}"); return 2;
    }
}
if (jsonRuns < 0) jsonRuns = runs;
const int Images = 64;
if (dataset != null)
{
    SyntheticDataset.Write(dataset, Images, [(512, 384), (384, 512), (448, 448)], seed: 1);
    file ??= Path.Combine(dataset, $"data-{entries}.json");
    Generate(Path.Combine(dataset, "data-1000.json"), Math.Min(1000, entries));
    foreach (var (name, manifest) in new[] { ($"bench-{entries}.json", file), ("bench-1000.json", Path.Combine(dataset, "data-1000.json")) })
        File.WriteAllText(Path.Combine(dataset, name), $$"""
            { "prompt_template": "qwen25vl", "tokenizer": "embedded:o200k", "image_size": 256, "pad_index": 0,
              "dataset": { "type": "CaptionDataset", "data_path": {{JsonSerializer.Serialize(manifest)}}, "image_folder": {{JsonSerializer.Serialize(dataset)}} },
              "train_dataloader": { "batch_size": 32, "num_workers": 2, "sampler": { "type": "InfiniteSampler", "shuffle": true } } }
            """);
}
file ??= Path.Combine(Path.GetTempPath(), $"vgtdata-manifest-{entries}.json");
if (!File.Exists(file)) Generate(file, entries);

void Generate(string path, int count)
{
    var sw = Stopwatch.StartNew();
    using (var stream = File.Create(path + ".tmp"))
    using (var json = new Utf8JsonWriter(stream))
    {
        json.WriteStartArray();
        for (int i = 0; i < count; i++)
        {
            json.WriteStartObject();
            // With --dataset the entries cycle over the images written there; otherwise each names its own file.
            json.WriteString("image", dataset != null ? $"images/{i % Images:D6}.png" : $"images/{i}.png");
            // Real ShareGPT-4o-Image prompts run to a few hundred characters; three generated captions make ~150-200.
            json.WriteString("caption", $"{SyntheticDataset.Caption(i, 1)}. {SyntheticDataset.Caption(i, 2)}. {SyntheticDataset.Caption(i, 3)}.");
            json.WriteNumber("width", 1024);
            json.WriteNumber("height", i % 2 == 0 ? 1024 : 1536);
            json.WriteEndObject();
            if (i % 100_000 == 0) json.Flush();   // the writer buffers in memory until flushed
        }
        json.WriteEndArray();
    }
    File.Move(path + ".tmp", path, overwrite: true);
    Console.WriteLine($"wrote {path}: {count} entries, {new FileInfo(path).Length / 1e6:0.0} MB in {sw.Elapsed.TotalSeconds:0.0} s");
}

var times = new List<double>();
long tableBytes = 0, heapAfter = 0;
// --json-runs 0 skips the JSON side (and an index already built from this file is reused): the index measured alone.
for (int r = 0; r < jsonRuns; r++)
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
if (jsonRuns > 0) Console.WriteLine($"load seconds: median {times[times.Count / 2]:0.000}, min {times[0]:0.000}, max {times[^1]:0.000} over {runs} runs");
if (jsonRuns > 0) Console.WriteLine($"table memory: {tableBytes / 1e6:0.0} MB; managed heap retained: {heapAfter / 1e6:0.0} MB; " +
    $"process peak RSS (all runs): {Process.GetCurrentProcess().PeakWorkingSet64 / 1e6:0.0} MB");
if (python) Python(file);
var indexPath = file + EntryIndex.Extension;
var meta = new EntryIndex.Meta("caption", [EntryIndex.SourceStamp.Of(file)]);
bool reuse = false;
if (jsonRuns == 0 && File.Exists(indexPath) && StoredMeta(indexPath) is { } stored)
{
    using var existing = EntryIndex.TryOpen(indexPath, stored, null, out _);
    if (existing?.Count == entries) (reuse, meta) = (true, stored);
}
if (!index) return 0;

GC.Collect(2, GCCollectionMode.Forced, true, true);
long indexBytes;
if (reuse) Console.WriteLine("index: reused (built earlier from this file)");
else
{
    var build = Stopwatch.StartNew();
    var table = Manifest.Load(file);
    var parsed = build.Elapsed.TotalSeconds;
    EntryIndex.Write(indexPath, table, meta);
    build.Stop();
    table = null;
    GC.Collect(2, GCCollectionMode.Forced, true, true);
    indexBytes = new FileInfo(indexPath).Length;
    Console.WriteLine($"index: built in {build.Elapsed.TotalSeconds:0.00} s ({parsed:0.00} s JSON load, {build.Elapsed.TotalSeconds - parsed:0.00} s write), " +
        $"{indexBytes / 1e6:0.0} MB, {(double)indexBytes / entries:0.0} bytes/entry");
}

indexBytes = new FileInfo(indexPath).Length;
// Opens that hash the whole file (no record of an earlier check on this node: an empty record folder, nothing recorded),
// then opens once this node has checked it (the loader's usual case after the first process: CheckedStamp).
var noRecords = Directory.CreateTempSubdirectory("vgtdata-bench-none-").FullName;
var records = Directory.CreateTempSubdirectory("vgtdata-bench-checked-").FullName;
void Hashing() => (CheckedStamp.Folder, CheckedStamp.Settle) = (noRecords, TimeSpan.MaxValue);
void Checked() => (CheckedStamp.Folder, CheckedStamp.Settle) = (records, TimeSpan.Zero);
Hashing();
double openCpu = 0;
double Open()
{
    var cpu = Process.GetCurrentProcess().TotalProcessorTime;
    var sw = Stopwatch.StartNew();
    using var opened = EntryIndex.TryOpen(indexPath, meta, null, out var why) ?? throw new Exception($"index not opened: {why}");
    openCpu = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds;
    return sw.Elapsed.TotalSeconds;
}
var opens = Enumerable.Range(0, runs).Select(_ => Open()).Order().ToList();
Console.WriteLine($"index open (checksum of the whole file), warm page cache: median {opens[opens.Count / 2]:0.000} s over {runs} runs ({openCpu:0.000} CPU s, last)");
Checked();
Open();   // hashes once and records the check
opens = Enumerable.Range(0, runs).Select(_ => Open()).Order().ToList();
Console.WriteLine($"index open, checked before on this node (no hashing), warm page cache: median {opens[opens.Count / 2]:0.000} s over {runs} runs ({openCpu:0.000} CPU s, last)");
Console.WriteLine(DropCaches() is { } droppedChecked
    ? $"index open, checked before on this node, cold (its pages dropped; {droppedChecked}): {Open():0.000} s"
    : "index open, checked, cold: the pages could not be dropped");
Hashing();
Console.WriteLine(DropCaches() is { } dropped
    ? $"index open, cold (its pages dropped from the page cache with posix_fadvise DONTNEED; {dropped}): {Open():0.000} s"
    : "index open, cold: the pages could not be dropped");
using (var mapped = EntryIndex.TryOpen(indexPath, meta, null, out _)!)
{
    // The first pass faults the pages it touches into this process's map; the second finds most of them mapped.
    foreach (var (pass, seed) in new[] { ("first 2M after open", 1), ("next 2M", 2) })
    {
        long faults = MinorFaults();
        var (rate, chars, cpuRate) = Lookups(mapped, 2_000_000, seed);
        Console.WriteLine($"index random lookups (image + caption strings), {pass}: {rate / 1e6:0.00} M/s on one thread, {cpuRate / 1e6:0.00} M per CPU second " +
            $"({chars} chars, {MinorFaults() - faults} page faults)");
    }
}

// 8 processes open the index at once, look up entries, then hold it while their memory is read: first with no check
// recorded on the node (each hashes the file), then with this process's record (none hashes).
foreach (var (round, folder) in new[] { ("no check recorded on this node", "-"), ("checked before on this node", records) })
    if (Processes(round, folder) != 0) return 1;
Directory.Delete(noRecords, true);
Directory.Delete(records, true);
return 0;

int Processes(string round, string folder)
{
    var self = Environment.ProcessPath!;
    var childArgs = self.EndsWith("dotnet", StringComparison.Ordinal) ? $"{typeof(Program).Assembly.Location} --child {indexPath} {folder}" : $"--child {indexPath} {folder}";
    // A ninth process does the same but never opens the index: what the runtime alone costs.
    var children = Enumerable.Range(0, 9).Select(c => Process.Start(new ProcessStartInfo(self, c < 8 ? childArgs : childArgs.Replace(indexPath, "none"))
        { RedirectStandardInput = true, RedirectStandardOutput = true, UseShellExecute = false })!).ToList();
    // Each opens, says so and waits; then all look up at once (an open is timed without the others' lookups beside it).
    var opened = children.Select(c => c.StandardOutput.ReadLine() ?? throw new Exception("a child process ended early")).ToList();
    foreach (var c in children) c.StandardInput.WriteLine();
    var ready = children.Select((c, i) => opened[i] + (c.StandardOutput.ReadLine() ?? throw new Exception("a child process ended early"))).ToList();
    Console.WriteLine($"8 processes, {round}, each: open (s), lookups (M/s); then /proc/PID/smaps_rollup (MB): Rss, Pss, Shared_Clean, Private_Clean, Private_Dirty, Anonymous");
    double pssSum = 0;
    for (int c = 0; c < children.Count; c++)
    {
        var m = SmapsRollup(children[c].Id);
        if (c < 8) pssSum += m["Pss"];
        Console.WriteLine($"  {ready[c]}; Rss {m["Rss"]:0.0}, Pss {m["Pss"]:0.0}, Shared_Clean {m["Shared_Clean"]:0.0}, Private_Clean {m["Private_Clean"]:0.0}, " +
            $"Private_Dirty {m["Private_Dirty"]:0.0}, Anonymous {m["Anonymous"]:0.0}");
    }
    Console.WriteLine($"8 processes together: Pss {pssSum:0.0} MB (the index file is {indexBytes / 1e6:0.0} MB; the last line is a process that never opened it)");
    foreach (var c in children)
    {
        c.StandardInput.WriteLine();
        c.WaitForExit();
    }
    return 0;
}

static int Child(string indexPath, string records)
{
    if (records == "-") (CheckedStamp.Folder, CheckedStamp.Settle) = (Path.Combine(Path.GetTempPath(), "vgtdata-bench-no-records"), TimeSpan.MaxValue);
    else CheckedStamp.Folder = records;
    if (indexPath == "none")
    {
        Console.WriteLine($"pid {Environment.ProcessId}: no index (runtime alone)");
        Console.ReadLine();
        Console.WriteLine("");
        Console.ReadLine();
        return 0;
    }
    var sw = Stopwatch.StartNew();
    var meta = StoredMeta(indexPath)!;
    using var index = EntryIndex.TryOpen(indexPath, meta, null, out var why) ?? throw new Exception($"index not opened: {why}");
    Console.WriteLine($"pid {Environment.ProcessId}: open {sw.Elapsed.TotalSeconds:0.000} s{(index.Hashed ? " (hashed)" : "")}");
    Console.Out.Flush();
    Console.ReadLine();
    var (rate, _, _) = Lookups(index, 500_000, 1);
    // The lookups' strings are garbage: collected, so what stays private is what the process holds, not the GC's budget.
    GC.Collect(2, GCCollectionMode.Aggressive, blocking: true, compacting: true);
    Console.WriteLine($", {rate / 1e6:0.00} M lookups/s");
    Console.Out.Flush();
    Console.ReadLine();
    return 0;
}

// The source list an index was built with (the loader's includes how annotations are read): the bench opens what is there.
static EntryIndex.Meta? StoredMeta(string indexPath)
{
    using var stream = File.OpenRead(indexPath);
    var header = new byte[EntryIndex.HeaderBytes];
    stream.ReadExactly(header);
    var json = new byte[BitConverter.ToInt32(header, 48)];
    stream.ReadExactly(json);
    return JsonSerializer.Deserialize<EntryIndex.Meta>(json);
}

static (double Rate, long Chars, double CpuRate) Lookups(EntryIndex index, int lookups, int seed)
{
    var random = new Random(seed);
    long chars = 0;
    var cpu = Process.GetCurrentProcess().TotalProcessorTime;
    var sw = Stopwatch.StartNew();
    for (int i = 0; i < lookups; i++)
    {
        var e = index[random.Next(index.Count)];
        chars += e.Image.Length + (e.Caption?.Length ?? 0);
    }
    // Per CPU second too: on a shared, oversubscribed machine the wall clock counts other people's work.
    return (lookups / sw.Elapsed.TotalSeconds, chars, lookups / (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds);
}

// This process's minor page faults so far (/proc/self/stat, field 10).
static long MinorFaults()
{
    var stat = File.ReadAllText("/proc/self/stat");
    return long.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[7]);
}

static Dictionary<string, double> SmapsRollup(int pid)
{
    var values = new Dictionary<string, double>();
    foreach (var line in File.ReadLines($"/proc/{pid}/smaps_rollup"))
    {
        var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length == 3 && parts[2] == "kB") values[parts[0].TrimEnd(':')] = double.Parse(parts[1]) / 1024;
    }
    return values;
}

// Evicts the index's clean pages from the page cache (what an unprivileged process can do for one file).
string? DropCaches()
{
    using var handle = File.OpenHandle(indexPath);
    int rc = posix_fadvise((int)handle.DangerousGetHandle(), 0, 0, 4);
    return rc == 0 ? "POSIX_FADV_DONTNEED" : null;
}

static void Python(string file)
{
    var psi = new ProcessStartInfo("/usr/bin/python3", ["-c",
        "import json, resource, sys, time; t = time.perf_counter(); d = json.load(open(sys.argv[1])); " +
        "print(f'python json.load: {time.perf_counter() - t:.2f} s, {len(d)} entries, peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB')",
        file]) { RedirectStandardOutput = true };
    using var p = Process.Start(psi)!;
    Console.WriteLine(p.StandardOutput.ReadToEnd().TrimEnd());
    p.WaitForExit();
}

[DllImport("libc", SetLastError = true)]
static extern int posix_fadvise(int fd, long offset, long length, int advice);
