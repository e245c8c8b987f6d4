using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using VgtData.Collate;
using VgtData.Config;
using VgtData.Datasets;
using VgtData.Loading;
using VgtData.Sampling;
using static TorchSharp.torch;

namespace VgtData.Cli.Commands;

/// <summary>Throughput of the configured pipeline: a progress line per batch, then one JSON line with the numbers.</summary>
[Option("batches", "N", "20", "timed batches")]
[Option("workers", "W", "the config's num_workers", "loader worker threads")]
[Option("prefetch", "P", "the config's prefetch_factor", "batches prefetched per worker")]
[Option("warmup", "K", "2 + the batches the loader keeps in flight", "untimed batches first")]
[Option("loader", "vgtdata|torchsharp|plain", "vgtdata", "which loader to time")]
[Option("device", "D", "the config's device", "where batches are staged: cpu, cuda, cuda:N")]
[Flag("json", "print the numbers as one JSON line")]
[Option("set", "KEY.PATH=VALUE", "none", "override one config value", Repeatable = true)]
public sealed class BenchCommand : ICommand
{
    public string Name => "bench";
    public string Summary => "measure loader throughput (samples/s, batch wait, per-stage time, peak RSS, checksum)";
    public string Usage => "bench CONFIG [--batches N] [--workers W] [--prefetch P] [--warmup K] [--loader vgtdata|torchsharp|plain] [--device D] [--json] [--set KEY=VALUE ...]";

    public int Run(CommandArgs args, CliContext context)
    {
        var config = ConfigArgs.Load(args);
        int batches = args.Int("batches", 20);
        int? workers = args.Option("workers") is null ? null : InRange(args, "workers", DataLoaderOptions.MaxWorkers);
        int? prefetch = args.Option("prefetch") is null ? null : InRange(args, "prefetch", DataLoaderOptions.MaxPrefetchFactor);
        var warmupText = args.Option("warmup");
        var loaderKind = args.Option("loader") ?? "vgtdata";
        var device = args.Option("device");
        bool json = args.Flag("json");
        args.RejectUnknown();
        if (batches < 1) throw new UsageException("--batches must be positive");

        using var pipeline = PipelineFactory.Build(config, deviceOverride: device);
        var options = pipeline.LoaderOptions with
        {
            NumWorkers = workers ?? pipeline.LoaderOptions.NumWorkers,
            PrefetchFactor = prefetch ?? pipeline.LoaderOptions.PrefetchFactor,
        };
        // Batches a loader can have ready before the clock starts would flatter it: skip them (and two more) as warm-up.
        int warmup = warmupText is null ? 2 + options.BatchesInFlight : args.Int("warmup", 0);
        options = options with { MaxBatches = warmup + batches };
        context.Error.WriteLine($"bench: {loaderKind} loader, {pipeline.Dataset.Count} samples, batch {options.BatchSize}, " +
            $"{options.NumWorkers} workers, {warmup} warm-up + {batches} timed batches");

        var result = loaderKind switch
        {
            "vgtdata" => RunVgtData(pipeline, options, warmup, batches, context),
            "torchsharp" => RunTorchSharp(pipeline, options, warmup, batches, context, plain: false),
            "plain" => RunTorchSharp(pipeline, options, warmup, batches, context, plain: true),
            _ => throw new UsageException($"--loader expects vgtdata, torchsharp or plain, got '{loaderKind}'"),
        };
        result["loader"] = loaderKind;
        result["workers"] = options.NumWorkers;
        result["batch_size"] = options.BatchSize;
        result["warmup_batches"] = warmup;
        result["checksum_batches"] = batches;
        result["peak_rss_mb"] = Math.Round(PeakRssMb(), 1);
        if (!result.ContainsKey("bad_samples")) result["bad_samples"] = BadSamples(pipeline);
        if (json) context.Out.WriteLine(JsonSerializer.Serialize(result));
        else foreach (var (k, v) in result) context.Out.WriteLine($"{k}: {(v is IDictionary<string, double> d ? JsonSerializer.Serialize(d) : v)}");
        return 0;
    }

    /// <summary>--workers / --prefetch within the limits the config's num_workers / prefetch_factor have, refused in its words.</summary>
    private static int InRange(CommandArgs args, string name, int max)
    {
        int value = args.Int(name, 0);
        return value is >= 0 && value <= max ? value : throw new VgtDataException($"--{name}: {value} is out of range: expected [0, {max}]");
    }

    private static long BadSamples(Pipeline pipeline) =>
        pipeline.Dataset is ConcatDataset c ? c.TotalFailures : pipeline.Dataset.Failures.Failures;

    // The checksum covers the first `hashed` batches (as many as are timed) from the very first one, warm-up or not, so
    // it names the same batches whatever --workers, --prefetch and --warmup are. Hashing is kept out of the timed window:
    // batches are hashed during the warm-up, and when more are to be hashed than the warm-up has, a second, untimed pass
    // from the start hashes them all (the loader gives the same batches on every pass).
    private static Dictionary<string, object> RunVgtData(Pipeline pipeline, DataLoaderOptions options, int warmup, int hashed, CliContext context)
    {
        var result = TimeVgtData(pipeline, options, warmup, hashed <= warmup ? hashed : 0, context, out var checksum, out var start);
        if (hashed > warmup)
        {
            result["bad_samples"] = BadSamples(pipeline);
            context.Error.WriteLine($"bench: checksum pass over the first {hashed} batches (untimed)");
            using var again = pipeline.CreateLoader(options with { MaxBatches = hashed });
            again.Restore(start);   // the pipeline's sampler moved on during the timed pass
            checksum = new BatchChecksum();
            foreach (var batch in again) using (batch) checksum.Add(batch);
            result["checksum"] = checksum.Hex;
        }
        return result;
    }

    private static Dictionary<string, object> TimeVgtData(Pipeline pipeline, DataLoaderOptions options, int warmup, int hashed, CliContext context, out BatchChecksum checksum, out LoaderState start)
    {
        using var loader = pipeline.CreateLoader(options);
        start = loader.State;
        checksum = new BatchChecksum();
        var waits = new List<double>();
        long samples = 0, total = 0;
        var clock = Stopwatch.StartNew();
        double timedStart = 0, firstBatch = 0;
        var last = Stopwatch.GetTimestamp();
        foreach (var batch in loader)
        {
            using (batch)
            {
                double wait = Stopwatch.GetElapsedTime(last).TotalMilliseconds;
                if (total < hashed) checksum.Add(batch);
                total++;
                if (total == 1) firstBatch = (DateTime.Now - Process.GetCurrentProcess().StartTime).TotalSeconds;
                if (total == warmup) { timedStart = clock.Elapsed.TotalSeconds; loader.Stats.Reset(); }
                else if (total > warmup) { samples += batch.Size; waits.Add(wait); }
                context.Error.WriteLine($"batch {total}/{options.MaxBatches}{(total <= warmup ? " (warm-up)" : "")}  wait_ms={wait:0.0}  " +
                    $"pixel_values=[{string.Join(",", batch.PixelValues?.shape ?? [])}] input_ids=[{string.Join(",", batch.InputIds.shape)}]");
            }
            last = Stopwatch.GetTimestamp();
        }
        if (warmup == 0) timedStart = 0;
        double seconds = clock.Elapsed.TotalSeconds - timedStart;
        var result = Report(samples, total - warmup, seconds, waits, checksum, loader.Stats.ToDictionary());
        // From the process's start (runtime, config, dataset open, index map) to the first batch in hand.
        result["first_batch_s"] = Math.Round(firstBatch, 3);
        return result;
    }

    /// <summary>The C# baselines: TorchSharp's own DataLoader (each batch fetched in parallel, then a wait) over our
    /// CaptionDataset (<c>torchsharp</c>), or over a hand-written ImageSharp dataset (<c>plain</c>).</summary>
    private static Dictionary<string, object> RunTorchSharp(Pipeline pipeline, DataLoaderOptions options, int warmup, int hashed, CliContext context, bool plain)
    {
        if (pipeline.Dataset is not CaptionDataset captions) throw new VgtDataException("--loader torchsharp|plain needs a single CaptionDataset");
        TorchSharp.torch.utils.data.Dataset dataset = plain
            ? new PlainImageSharpDataset(captions.Options.DataPath, captions.Options.ImageFolder, captions.Options.ImageSize, captions.Options.Text)
            : captions;
        int count = (int)(options.MaxBatches!.Value * options.BatchSize);
        var order = ((InfiniteSampler)pipeline.Sampler).Indices().Take(count).ToList();
        var pad = pipeline.Collator.Options.PadIndex;
        using var loader = new TorchSharp.Modules.DataLoader<Dictionary<string, Tensor>, Dictionary<string, Tensor>>(
            dataset, options.BatchSize, (items, dev) => CollatePlain(items.ToList(), pad), order, CPU, options.NumWorkers, true, true, false);
        var checksum = new BatchChecksum();
        var waits = new List<double>();
        long samples = 0, total = 0;
        var clock = Stopwatch.StartNew();
        double timedStart = 0;
        var last = Stopwatch.GetTimestamp();
        foreach (var batch in loader)
        {
            double wait = Stopwatch.GetElapsedTime(last).TotalMilliseconds;
            if (total < hashed)
                foreach (var key in new[] { "pixel_values", "input_ids", "attention_mask" }) checksum.Add(batch[key]);
            total++;
            long b = batch["input_ids"].shape[0];
            if (total == warmup) timedStart = clock.Elapsed.TotalSeconds;
            else if (total > warmup) { samples += b; waits.Add(wait); }
            context.Error.WriteLine($"batch {total}/{options.MaxBatches}{(total <= warmup ? " (warm-up)" : "")}  wait_ms={wait:0.0}");
            if (total >= options.MaxBatches) break;
            last = Stopwatch.GetTimestamp();
        }
        double seconds = clock.Elapsed.TotalSeconds - timedStart;
        return Report(samples, total - warmup, seconds, waits, checksum, new Dictionary<string, double>());
    }

    private static Dictionary<string, Tensor> CollatePlain(List<Dictionary<string, Tensor>> items, long pad)
    {
        var (ids, mask) = TokenPadding.Pad(items.Select(i => i["input_ids"].data<long>().ToArray()).ToList(), pad, PaddingSide.Right);
        var pixels = stack(items.Select(i => i["pixel_values"]).ToArray());
        foreach (var item in items) foreach (var t in item.Values) t.Dispose();
        return new Dictionary<string, Tensor> { ["pixel_values"] = pixels, ["input_ids"] = ids, ["attention_mask"] = mask };
    }

    private static Dictionary<string, object> Report(long samples, long batches, double seconds, List<double> waits,
        BatchChecksum checksum, IReadOnlyDictionary<string, double> stages)
    {
        waits.Sort();
        double Pct(double p) => waits.Count == 0 ? 0 : waits[Math.Min(waits.Count - 1, (int)Math.Ceiling(p * waits.Count) - 1)];
        return new Dictionary<string, object>
        {
            ["impl"] = "csharp",
            ["samples_per_s"] = Math.Round(samples / Math.Max(seconds, 1e-9), 2),
            ["batches"] = batches,
            ["seconds"] = Math.Round(seconds, 3),
            ["p50_wait_ms"] = Math.Round(Pct(0.5), 1),
            ["p95_wait_ms"] = Math.Round(Pct(0.95), 1),
            ["stage_seconds"] = stages.ToDictionary(kv => kv.Key, kv => Math.Round(kv.Value, 3)),
            ["checksum"] = checksum.Hex,
        };
    }

    private static double PeakRssMb()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/self/status"))
                if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                    return double.Parse(line[6..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) / 1024.0;
        }
        catch (IOException) { }
        return Process.GetCurrentProcess().PeakWorkingSet64 / 1048576.0;
    }
}
