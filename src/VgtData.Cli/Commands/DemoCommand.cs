using System.Diagnostics;
using VgtData.Config;
using VgtData.Preparation;

namespace VgtData.Cli.Commands;

/// <summary>The main job on an embedded default: generate a tiny dataset, load it with the built-in tokenizer, print batches.</summary>
[Option("dir", "DIR", "vgtdata-demo in the temp folder", "where the generated dataset is written")]
[Option("count", "N", "48", "images to generate")]
[Option("batches", "N", "6", "batches to load")]
[Option("workers", "W", "the loader's default", "loader worker threads")]
[Option("set", "KEY.PATH=VALUE", "none", "override one config value", Repeatable = true)]
public sealed class DemoCommand : ICommand
{
    public string Name => "demo";
    public string Summary => "generate a tiny dataset and run the loader on it with the embedded tokenizer (no downloads)";
    public string Usage => "demo [--dir DIR] [--count N] [--batches N] [--workers W] [--set KEY=VALUE ...]";

    /// <summary>The embedded default config: the seed's CaptionDataset over generated images, o200k tokens, qwen25vl prompts.</summary>
    public const string DefaultConfig = """
        {
          "prompt_template": "qwen25vl",
          "tokenizer": "embedded:o200k",
          "image_size": 448,
          "pad_index": 0,
          "seed": 0,
          "dataset": { "type": "CaptionDataset", "data_path": "data.json", "image_folder": ".", "unconditional": 0.1, "max_length": 128 },
          "train_dataloader": {
            "batch_size": 8,
            "prefetch_factor": 2,
            "sampler": { "type": "InfiniteSampler", "shuffle": true },
            "collate_fn": { "type": "collate_func_gen", "resolutions": [448, 448] }
          }
        }
        """;

    public int Run(CommandArgs args, CliContext context)
    {
        var dir = args.Option("dir") ?? Path.Combine(Path.GetTempPath(), "vgtdata-demo");
        int count = args.Int("count", 48);
        int batches = args.Int("batches", 6);
        var workersText = args.Option("workers");
        var overrides = args.Options("set");
        args.RejectUnknown();
        if (args.Positionals.Count > 0) throw new UsageException($"unexpected argument '{args.Positionals[0]}'");

        OutputPaths.CreateDirectory(dir, "--dir");
        var clock = Stopwatch.StartNew();
        SyntheticDataset.Write(dir, count, [(512, 512), (512, 768), (768, 512)]);
        var configPath = Path.Combine(dir, "demo-config.json");
        File.WriteAllText(configPath, DefaultConfig);
        context.Out.WriteLine($"demo: {count} generated images in {dir} ({clock.Elapsed.TotalSeconds:0.0} s), embedded o200k tokenizer, qwen25vl template");

        var config = ConfigLoader.Load(configPath, overrides);
        using var pipeline = PipelineFactory.Build(config);
        var options = pipeline.LoaderOptions with
        {
            MaxBatches = batches,
            NumWorkers = workersText is null ? pipeline.LoaderOptions.NumWorkers : args.Int("workers", 1),
        };
        using var loader = pipeline.CreateLoader(options);
        long samples = 0;
        clock.Restart();
        foreach (var batch in loader)
        {
            using (batch)
            {
                samples += batch.Size;
                var first = batch.Samples[0];
                context.Out.WriteLine($"batch {batch.Number}: pixel_values [{string.Join(", ", batch.PixelValues!.shape)}] {batch.PixelValues.dtype}, " +
                    $"input_ids [{string.Join(", ", batch.InputIds.shape)}], attention_mask [{string.Join(", ", batch.AttentionMask.shape)}], " +
                    $"batch_resolution {batch.BatchResolution.Height}x{batch.BatchResolution.Width}, cfg {batch.Samples.Count(s => s.Cfg)}/{batch.Size}; " +
                    $"first: {first.ImageFile} \"{first.Caption}\"");
            }
        }
        double seconds = clock.Elapsed.TotalSeconds;
        context.Out.WriteLine($"throughput: {samples / seconds:0.0} samples/s ({samples} samples in {seconds:0.00} s, {options.NumWorkers} workers); " +
            $"bad samples: {pipeline.Dataset.Failures.Failures}");
        return 0;
    }
}
