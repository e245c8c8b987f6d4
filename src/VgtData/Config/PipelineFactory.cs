using TorchSharp;
using VgtData.Collate;
using VgtData.Datasets;
using VgtData.Images;
using VgtData.Loading;
using VgtData.Sampling;
using VgtData.Sources;
using VgtData.Text;
using static TorchSharp.torch;

namespace VgtData.Config;

/// <summary>Everything a resolved config describes, built: dataset, sampler, collator and loader options.</summary>
public sealed class Pipeline : IDisposable
{
    public required ISampleDataset Dataset { get; init; }
    public required object Sampler { get; init; }
    public required Collator Collator { get; init; }
    public required DataLoaderOptions LoaderOptions { get; init; }
    public required ITextTokenizer Tokenizer { get; init; }
    public required PromptTemplate Template { get; init; }
    public required long Seed { get; init; }

    /// <summary>A loader over this pipeline; <paramref name="options"/> replaces the configured loader options.</summary>
    public DataLoader CreateLoader(DataLoaderOptions? options = null) => new(Dataset, Sampler, Collator, options ?? LoaderOptions);

    public void Dispose() => (Dataset as IDisposable)?.Dispose();
}

/// <summary>Turns a resolved config into a <see cref="Pipeline"/>. The config is read once, here, into plain options.</summary>
public static class PipelineFactory
{
    public const long DefaultPadIndex = 151643;

    public static Pipeline Build(ResolvedConfig config, long? seedOverride = null, string? deviceOverride = null)
    {
        var root = new ConfigSection(config.Root);
        long seed = seedOverride ?? root.Int("seed") ?? 0;
        var template = LoadTemplate(config);
        var tokenizer = LoadTokenizer(config, template);
        int imageSize = root.Int("image_size") ?? 448;
        var datasetSection = root.Section("dataset");
        if (datasetSection.Object is null) throw Error(config, "dataset", "a config needs a \"dataset\" block");
        var dataset = BuildDataset(config, datasetSection, "dataset", template, tokenizer, imageSize, seed);

        var loader = root.Section("train_dataloader");
        var options = new DataLoaderOptions
        {
            BatchSize = loader.Int("batch_size") ?? 32,
            NumWorkers = loader.Int("num_workers") ?? Math.Max(1, Environment.ProcessorCount),
            PrefetchFactor = loader.Int("prefetch_factor") ?? 2,
            DropLast = loader.Bool("drop_last") ?? false,
        };
        var sampler = BuildSampler(config, loader.Section("sampler"), dataset, options.BatchSize, seed);
        var collator = new Collator(BuildCollate(config, loader, root, seed, deviceOverride));
        return new Pipeline
        {
            Dataset = dataset, Sampler = sampler, Collator = collator, LoaderOptions = options,
            Tokenizer = tokenizer, Template = template, Seed = seed,
        };
    }

    public static PromptTemplate LoadTemplate(ResolvedConfig config)
    {
        var node = config.Node("prompt_template");
        try
        {
            if (node is null) return PromptTemplate.Get("qwen25vl");
            if (node is System.Text.Json.Nodes.JsonObject)
            {
                using var doc = System.Text.Json.JsonDocument.Parse(node.ToJsonString());
                return PromptTemplate.FromJson(doc.RootElement, $"{config.SourceOf("prompt_template")}: prompt_template");
            }
            return PromptTemplate.Load(node.GetValue<string>());
        }
        catch (VgtDataException e) when (e is not ConfigException)
        {
            throw Error(config, "prompt_template", e.Message);
        }
    }

    public static ITextTokenizer LoadTokenizer(ResolvedConfig config, PromptTemplate template)
    {
        var dir = new ConfigSection(config.Root).String("tokenizer");
        if (dir is null) return DefaultTokenizer.O200k(template);
        try
        {
            return HfTokenizer.Load(dir);
        }
        catch (VgtDataException e)
        {
            throw Error(config, "tokenizer", e.Message);
        }
    }

    private static ISampleDataset BuildDataset(ResolvedConfig config, ConfigSection d, string path, PromptTemplate template,
        ITextTokenizer tokenizer, int imageSize, long seed)
    {
        var type = d.String("type") ?? "CaptionDataset";
        if (type == "ConcatDataset")
        {
            var list = d.Node("datasets") as System.Text.Json.Nodes.JsonArray;
            if (list is null || list.Count == 0) throw Error(config, $"{path}.datasets", "ConcatDataset needs a non-empty \"datasets\" list");
            var members = new List<ISampleDataset>();
            for (int i = 0; i < list.Count; i++)
                members.Add(BuildDataset(config, new ConfigSection((System.Text.Json.Nodes.JsonObject)list[i]!), $"{path}.datasets[{i}]",
                    template, tokenizer, imageSize, seed + i * 1_000_003L));
            return new ConcatDataset(members);
        }
        if (type is not ("CaptionDataset" or "BLIP3oDataset"))
            throw Error(config, $"{path}.type", $"unknown dataset type '{type}' (known: CaptionDataset, BLIP3oDataset, ConcatDataset)");
        var dataPath = d.String("data_path") ?? throw Error(config, $"{path}.data_path", "is required");
        int? maxLength = d.Int("max_length");
        var truncate = d.String("truncate") switch
        {
            null or "ids" => TruncateMode.Ids,
            "caption" => TruncateMode.Caption,
            var other => throw Error(config, $"{path}.truncate", $"expected \"ids\" or \"caption\", got \"{other}\""),
        };
        var decoderName = d.String("decoder") ?? ImageDecoders.DefaultName;
        var decoder = ImageDecoders.TryCreate(decoderName)
            ?? throw Error(config, $"{path}.decoder", $"unknown decoder '{decoderName}' (known: {string.Join(", ", ImageDecoders.Names)})");
        var bad = new ConfigSection(config.Root).Section("bad_samples");
        var limits = ImageLimits.Default with
        {
            MinImageSize = d.Int("min_image_size") ?? ImageLimits.Default.MinImageSize,
            MaxFileBytes = Mib("max_file_mb", ImageLimits.DefaultMaxFileBytes),
            MaxDecodeBytes = Mib("max_decode_mb", ImageLimits.DefaultMaxDecodeBytes),
        };
        long Mib(string key, long fallback) => d.Int(key) switch
        {
            null => fallback,
            > 0 and var v => (long)v << 20,
            var v => throw Error(config, $"{path}.{key}", $"must be a positive number of MiB, got {v}"),
        };
        try
        {
            return new CaptionDataset(new CaptionDatasetOptions
            {
                DataPath = dataPath,
                ImageFolder = d.String("image_folder") ?? Path.GetDirectoryName(dataPath) ?? ".",
                CapFolder = d.String("cap_folder"),
                CapSource = d.String("cap_source") ?? "caption",
                TextAnnotations = type == "BLIP3oDataset",
                Unconditional = d.Number("unconditional") ?? 0.1,
                ImageSize = d.Int("image_size") ?? imageSize,
                Crop2Square = d.Bool("crop2square") ?? true,
                JpegDraft = d.Bool("jpeg_draft") ?? false,
                Limits = limits,
                TrainNumberSamples = d.Int("train_number_samples"),
                Debug = d.Bool("debug") ?? false,
                Seed = seed,
                ImageLatentsFolder = d.String("image_latents_folder"),
                ImageTokensFolder = d.String("image_tokens_folder"),
                FailureBudget = bad.Number("budget") ?? 0.1,
                FailureWindow = bad.Int("window") ?? 1000,
                MaxReplacements = bad.Int("max_replacements") ?? 32,
                Decoder = decoder,
                ImageSource = BuildSource(config, d.Section("image_source"), $"{path}.image_source"),
                Text = new CaptionTokenizer(tokenizer, template, maxLength, truncate),
            });
        }
        catch (VgtDataException e) when (e is not ConfigException)
        {
            throw Error(config, path, e.Message);
        }
    }

    private static IImageSource? BuildSource(ResolvedConfig config, ConfigSection s, string path)
    {
        if (s.Object is null) return null;
        switch (s.String("type") ?? "folder")
        {
            case "folder": return null;
            case "tar":
                var parts = s.String("parts") ?? throw Error(config, $"{path}.parts", "a tar image_source needs \"parts\" (a glob)");
                return TarImageSource.FromGlob(Path.GetDirectoryName(parts)!, Path.GetFileName(parts));
            case var other:
                throw Error(config, $"{path}.type", $"unknown image_source type '{other}' (known: folder, tar)");
        }
    }

    private static object BuildSampler(ResolvedConfig config, ConfigSection s, ISampleDataset dataset, int batchSize, long seed)
    {
        int samplerSeed = (int)(s.Int("seed") ?? seed);
        bool shuffle = s.Bool("shuffle") ?? true;
        switch (s.String("type") ?? "InfiniteSampler")
        {
            case "InfiniteSampler": return new InfiniteSampler(dataset.Count, shuffle, samplerSeed);
            case "DefaultSampler": return new DefaultSampler(dataset.Count, shuffle, samplerSeed, s.Bool("round_up") ?? true);
            case "FixedBatchMultiSourceSampler":
                if (dataset is not ConcatDataset concat)
                    throw Error(config, "train_dataloader.sampler.type", "FixedBatchMultiSourceSampler needs a ConcatDataset");
                var list = (System.Text.Json.Nodes.JsonArray)config.Node("dataset.datasets")!;
                var repeats = list.Select(n => new ConfigSection((System.Text.Json.Nodes.JsonObject)n!).Number("repeat") ?? 1.0).ToList();
                return new FixedBatchMultiSourceSampler(concat.Datasets.Select(d => d.Count).ToList(), repeats, batchSize, shuffle, samplerSeed);
            case var other:
                throw Error(config, "train_dataloader.sampler.type",
                    $"unknown sampler '{other}' (known: InfiniteSampler, DefaultSampler, FixedBatchMultiSourceSampler)");
        }
    }

    private static CollateOptions BuildCollate(ResolvedConfig config, ConfigSection loader, ConfigSection root, long seed, string? deviceOverride)
    {
        var c = loader.Section("collate_fn");
        var type = c.String("type") ?? "collate_func_gen";
        if (type is not ("collate_func_gen" or "collate_func_img2img"))
            throw Error(config, "train_dataloader.collate_fn.type", $"unknown collate '{type}' (known: collate_func_gen, collate_func_img2img)");
        var resolutions = c.Has("resolutions") ? ConfigLoader.ParseResolutions(c.Node("resolutions"))! : new List<(int, int)>();
        var ratio = c.Node("resolutions_ratio") is System.Text.Json.Nodes.JsonArray r ? r.Select(x => x!.GetValue<double>()).ToList() : new List<double>();
        if (ratio.Count > 0 && ratio.Count != resolutions.Count)
            throw Error(config, "train_dataloader.collate_fn.resolutions_ratio", $"has {ratio.Count} weights for {resolutions.Count} resolutions");
        var mode = c.String("resize_mode") switch
        {
            null or "center_crop" => ResizeMode.CenterCrop,
            "random_crop" => ResizeMode.RandomCrop,
            "pad_resize" => ResizeMode.PadResize,
            var other => throw Error(config, "train_dataloader.collate_fn.resize_mode", $"expected center_crop, random_crop or pad_resize, got \"{other}\""),
        };
        var padding = c.String("padding_side") switch
        {
            null => type == "collate_func_img2img" ? PaddingSide.Left : PaddingSide.Right,
            "right" => PaddingSide.Right,
            "left" => PaddingSide.Left,
            var other => throw Error(config, "train_dataloader.collate_fn.padding_side", $"expected right or left, got \"{other}\""),
        };
        var dtype = loader.String("dtype") switch
        {
            null or "float32" => ScalarType.Float32,
            "bfloat16" => ScalarType.BFloat16,
            var other => throw Error(config, "train_dataloader.dtype", $"expected float32 or bfloat16, got \"{other}\""),
        };
        return new CollateOptions
        {
            Resolutions = resolutions,
            ResolutionsRatio = ratio,
            ResizeMode = mode,
            Padding = padding,
            PadIndex = root.Int("pad_index") ?? DefaultPadIndex,
            Device = ParseDevice(config, deviceOverride ?? loader.String("device") ?? "cpu"),
            DType = dtype,
            Uint8Transfer = loader.Bool("uint8_transfer"),
            Seed = seed,
        };
    }

    /// <summary><c>cpu</c>, <c>cuda</c>, <c>cuda:N</c> or <c>auto</c> (CUDA when TorchSharp sees a GPU).</summary>
    public static Device ParseDevice(ResolvedConfig? config, string text)
    {
        if (text == "auto") return cuda.is_available() ? CUDA : CPU;
        if (text == "cpu") return CPU;
        if (text == "cuda" || text.StartsWith("cuda:", StringComparison.Ordinal))
        {
            if (!cuda.is_available())
                throw config is null ? new VgtDataException($"device '{text}': CUDA is not available (this TorchSharp build uses libtorch-cpu; build with -p:VgtTorchBackend=cuda)")
                    : Error(config, "train_dataloader.device", $"'{text}': CUDA is not available (build with -p:VgtTorchBackend=cuda and a CUDA libtorch)");
            return new Device(text);
        }
        throw config is null ? new VgtDataException($"unknown device '{text}'")
            : Error(config, "train_dataloader.device", $"expected cpu, cuda, cuda:N or auto, got \"{text}\"");
    }

    private static ConfigException Error(ResolvedConfig config, string keyPath, string message) =>
        new([new ConfigIssue(config.SourceOf(keyPath), keyPath, message)]);
}
