// MultiSource: three generated sources mixed VGT-style. The experiment config lists them as ConcatDataset members,
// each {"base": "<source>.json", "repeat": n}, and FixedBatchMultiSourceSampler fills every batch from ONE source,
// cycling through the sources in order with n consecutive batches of each. Prints each batch's source and the
// per-source counts against the cycle's; exits 1 when a batch mixes sources or leaves the cycle.
//
//   dotnet run --project examples/MultiSource -c Release [-- --batches N]
using System.Diagnostics;
using VgtData.Config;
using VgtData.Datasets;
using VgtData.Preparation;
using VgtData.Sampling;

int batchesWanted = 120;
for (int i = 0; i < args.Length; i++)
{
    if (args[i] == "--batches" && i + 1 < args.Length) batchesWanted = int.Parse(args[++i]);
    else
    {
        Console.Error.WriteLine($"usage: MultiSource [--batches N] (unexpected '{args[i]}')");
        return 2;
    }
}

(string Name, int Count, int Repeat, (int, int) Size)[] sources =
[
    ("photos", 16, 1, (128, 128)),
    ("paintings", 24, 2, (96, 128)),
    ("sketches", 32, 3, (128, 96)),
];

var root = Directory.CreateTempSubdirectory("vgtdata-multi-source-").FullName;
try
{
    // data/<name>/{images/, data.json}, configs/datasets/<name>.json, configs/experiments/mix.json: the shipped layout.
    for (int s = 0; s < sources.Length; s++)
    {
        var (name, count, _, size) = sources[s];
        SyntheticDataset.Write(Path.Combine(root, "data", name), count, [size], seed: (ulong)s + 1);
        Write(Path.Combine(root, "configs", "datasets", $"{name}.json"), $$"""
            { "dataset": { "type": "CaptionDataset", "data_path": "../../data/{{name}}/data.json", "image_folder": "../../data/{{name}}", "max_length": 64 } }
            """);
    }
    var members = string.Join(",\n      ", sources.Select(s => $$"""{ "base": "../datasets/{{s.Name}}.json", "repeat": {{s.Repeat}} }"""));
    var experiment = Path.Combine(root, "configs", "experiments", "mix.json");
    Write(experiment, $$"""
        {
          "prompt_template": "internvl3",
          "tokenizer": "embedded:o200k",
          "image_size": 64,
          "seed": 7,
          "dataset": { "type": "ConcatDataset", "datasets": [
              {{members}} ] },
          "train_dataloader": {
            "batch_size": 4,
            "num_workers": 2,
            "sampler": { "type": "FixedBatchMultiSourceSampler", "shuffle": true },
            "collate_fn": { "type": "collate_func_gen", "resolutions": [[64, 64], [48, 64]], "resolutions_ratio": [0.5, 0.5] }
          }
        }
        """);

    using var pipeline = Pipeline.Build(ResolvedConfig.Load(experiment));
    var concat = (ConcatDataset)pipeline.Dataset;
    var sampler = (FixedBatchMultiSourceSampler)pipeline.Sampler;
    Console.WriteLine($"ConcatDataset cumulative_sizes [{string.Join(", ", concat.CumulativeSizes)}], batch_size {sampler.BatchSize}, {batchesWanted} batches");

    var counts = new int[sources.Length];
    var line = new List<string>();
    var timer = Stopwatch.StartNew();
    using var loader = pipeline.CreateLoader(pipeline.LoaderOptions with { MaxBatches = batchesWanted });
    foreach (var batch in loader)
    {
        using (batch)
        {
            var batchSources = batch.Samples.Select(x => x.Source).Distinct().ToList();
            if (batchSources.Count != 1 || batchSources[0] != sampler.SourceOf(batch.Number))
            {
                Console.Error.WriteLine($"FAIL: batch {batch.Number} holds sources [{string.Join(", ", batchSources)}], " +
                    $"the sampler picked {sampler.SourceOf(batch.Number)}");
                return 1;
            }
            int src = batchSources[0];
            counts[src]++;
            line.Add($"{batch.Number}:{sources[src].Name}@{batch.BatchResolution.Height}x{batch.BatchResolution.Width}");
            if (line.Count == 6)
            {
                Console.WriteLine("  " + string.Join("  ", line));
                line.Clear();
            }
        }
    }
    if (line.Count > 0) Console.WriteLine("  " + string.Join("  ", line));

    int total = counts.Sum();
    bool ok = total == batchesWanted;
    int cycle = sources.Sum(x => x.Repeat);
    Console.WriteLine($"{"source",-10} {"size",5} {"repeat",6} {"batches",7} {"expected",8}");
    for (int s = 0; s < sources.Length; s++)
    {
        // Whole cycles give each source `repeat` batches; the last partial cycle fills the sources in order.
        int expected = total / cycle * sources[s].Repeat
            + Math.Clamp(total % cycle - sources.Take(s).Sum(x => x.Repeat), 0, sources[s].Repeat);
        bool fine = counts[s] == expected;
        ok &= fine;
        Console.WriteLine($"{sources[s].Name,-10} {sources[s].Count,5} {sources[s].Repeat,6} {counts[s],7} {expected,8}{(fine ? "" : "  <- off")}");
    }
    Console.WriteLine($"{total * sampler.BatchSize} samples in {timer.Elapsed.TotalSeconds:0.00} s ({total * sampler.BatchSize / timer.Elapsed.TotalSeconds:0} samples/s)");
    if (!ok)
    {
        Console.Error.WriteLine("FAIL: per-source counts do not match the cycle");
        return 1;
    }
    Console.WriteLine("ok: every batch from one source, the sources in turn, repeat batches each");
    return 0;
}
catch (VgtData.VgtDataException e)
{
    Console.Error.WriteLine($"FAIL: {e.Message}");
    return 1;
}
finally
{
    Directory.Delete(root, recursive: true);
}

static void Write(string path, string text)
{
    Directory.CreateDirectory(Path.GetDirectoryName(path)!);
    File.WriteAllText(path, text);
}
