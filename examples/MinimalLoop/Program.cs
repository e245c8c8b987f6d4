// MinimalLoop: a config in, batches out. With no CONFIG argument it generates a small dataset in a temp folder and
// writes a config next to it that extends the shipped configs/train/dataloader_default.json (VGT's train_dataloader)
// with smaller batches and images, so the loop runs in seconds without downloads.
//
//   dotnet run --project examples/MinimalLoop -c Release [-- [CONFIG] [--batches N] [--set KEY.PATH=VALUE ...]]
using System.Diagnostics;
using VgtData.Config;
using VgtData.Preparation;

int batchesWanted = 8;
string? configPath = null;
var overrides = new List<string>();
for (int i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--batches" when i + 1 < args.Length: batchesWanted = int.Parse(args[++i]); break;
        case "--set" when i + 1 < args.Length: overrides.Add(args[++i]); break;
        case var a when !a.StartsWith("--") && configPath is null: configPath = a; break;
        default:
            Console.Error.WriteLine($"usage: MinimalLoop [CONFIG] [--batches N] [--set KEY.PATH=VALUE ...] (unexpected '{args[i]}')");
            return 2;
    }
}

string? tempDir = null;
try
{
    if (configPath is null)
    {
        tempDir = Directory.CreateTempSubdirectory("vgtdata-minimal-loop-").FullName;
        var clock = Stopwatch.StartNew();
        SyntheticDataset.Write(tempDir, 64, [(384, 384), (256, 384), (384, 256)]);
        configPath = Path.Combine(tempDir, "config.json");
        File.WriteAllText(configPath, TinyConfig(FindShippedConfig("configs/train/dataloader_default.json")));
        Console.WriteLine($"generated 64 images in {tempDir} ({clock.Elapsed.TotalSeconds:0.0} s)");
    }

    ResolvedConfig config;
    try
    {
        config = ResolvedConfig.Load(configPath, overrides);
    }
    catch (ConfigException e)
    {
        foreach (var issue in e.Issues) Console.Error.WriteLine(issue);
        return 1;
    }
    // Strict: data the config names but that is not there is an error here, before any loading starts.
    var issues = config.Validate(strict: true);
    foreach (var issue in issues) Console.Error.WriteLine(issue);
    if (issues.Any(i => !i.IsWarning)) return 1;

    using var pipeline = Pipeline.Build(config);
    var options = pipeline.LoaderOptions with { MaxBatches = batchesWanted };
    Console.WriteLine($"config {Path.GetFileName(configPath)}: {pipeline.Dataset.Count} samples, template {pipeline.Template.Name}, " +
        $"batch_size {options.BatchSize}, num_workers {options.NumWorkers}, sampler {pipeline.Sampler.GetType().Name}");

    using var loader = pipeline.CreateLoader(options);
    long samples = 0, batches = 0;
    var timer = Stopwatch.StartNew();
    foreach (var batch in loader)
    {
        using (batch)
        {
            var pixels = batch.PixelValues ?? batch.ImageLatents ?? batch.ImageTokens!;
            Console.WriteLine($"batch {batch.Number}: pixel_values [{string.Join(", ", pixels.shape)}] {pixels.dtype}, " +
                $"input_ids [{string.Join(", ", batch.InputIds.shape)}], attention_mask [{string.Join(", ", batch.AttentionMask.shape)}], " +
                $"cfg {batch.Samples.Count(s => s.Cfg)}/{batch.Size}");
            if (pixels.shape[0] != batch.Size || batch.InputIds.shape[0] != batch.Size || !batch.AttentionMask.shape.SequenceEqual(batch.InputIds.shape))
            {
                Console.Error.WriteLine("FAIL: tensor shapes disagree with the batch size");
                return 1;
            }
            samples += batch.Size;
            batches++;
        }
    }
    double seconds = timer.Elapsed.TotalSeconds;
    Console.WriteLine($"throughput: {samples / seconds:0.0} samples/s, {batches / seconds:0.00} batches/s " +
        $"({samples} samples in {seconds:0.00} s; bad samples: {pipeline.Dataset.Failures.Failures})");
    if (batches != batchesWanted)
    {
        Console.Error.WriteLine($"FAIL: expected {batchesWanted} batches, got {batches}");
        return 1;
    }
    return 0;
}
catch (VgtData.VgtDataException e)
{
    Console.Error.WriteLine($"FAIL: {e.Message}");
    return 1;
}
finally
{
    if (tempDir is not null) Directory.Delete(tempDir, recursive: true);
}

// The shipped loader defaults, overridden for a small machine: the same keys a user would change with --set.
static string TinyConfig(string? shippedDefaults) => $$"""
    {
      {{(shippedDefaults is null ? "" : $"\"base\": {System.Text.Json.JsonSerializer.Serialize(shippedDefaults)},")}}
      "prompt_template": "qwen25vl",
      "tokenizer": "embedded:o200k",
      "image_size": 256,
      "seed": 0,
      "dataset": { "type": "CaptionDataset", "data_path": "data.json", "image_folder": ".", "unconditional": 0.1, "max_length": 128 },
      "train_dataloader": {
        "batch_size": 8,
        "num_workers": 2,
        "sampler": { "type": "InfiniteSampler", "shuffle": true },
        "collate_fn": { "type": "collate_func_gen", "resolutions": [256, 256] }
      }
    }
    """;

// configs/... of the checkout this example was built from (null when run elsewhere; the tiny config then stands alone).
static string? FindShippedConfig(string relative)
{
    for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
    {
        var candidate = Path.Combine(dir.FullName, relative);
        if (File.Exists(Path.Combine(dir.FullName, "VgtData.sln")) && File.Exists(candidate)) return candidate;
    }
    return null;
}
