using System.Text.Json.Nodes;
using TorchSharp;
using VgtData.Collate;
using VgtData.Datasets;
using VgtData.Images;
using VgtData.Loading;
using VgtData.Sampling;
using VgtData.Sources;
using VgtData.Storage;
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
    /// <summary>The pad id when the config sets none (every VGT config passes <c>pad_index=0</c>).</summary>
    public const long DefaultPadIndex = ConfigSchema.DefaultPadIndex;

    public static Pipeline Build(ResolvedConfig config, long? seedOverride = null, string? deviceOverride = null)
    {
        var root = new ConfigSection(config.Root);
        long seed = seedOverride ?? root.Int("seed") ?? 0;
        var datasetSection = root.Section("dataset");
        if (datasetSection.Object is null) throw Error(config, "dataset", "a config needs a \"dataset\" block");
        var cache = new TextCache(config);
        var rootText = TextSettings.Of(root, "", null);
        var dataset = BuildDataset(config, datasetSection, "dataset", rootText, cache, seed);

        var loader = root.Section("train_dataloader");
        var options = new DataLoaderOptions
        {
            BatchSize = loader.Int("batch_size") ?? 32,
            NumWorkers = loader.Int("num_workers") ?? new DataLoaderOptions().NumWorkers,
            PrefetchFactor = loader.Int("prefetch_factor") ?? 2,
            DropLast = loader.Bool("drop_last") ?? false,
        };
        var sampler = BuildSampler(config, loader.Section("sampler"), dataset, options.BatchSize, seed);
        var collator = new Collator(BuildCollate(config, loader, root, seed, deviceOverride));
        if (collator.Options.ResizeOnDevice) CheckResizeOnDevice(config, dataset, collator.Options);
        var (template, tokenizer) = cache.First!.Value;
        return new Pipeline
        {
            Dataset = dataset, Sampler = sampler, Collator = collator, LoaderOptions = options,
            Tokenizer = tokenizer, Template = template, Seed = seed,
        };
    }

    /// <summary>The root prompt template (a built-in name, a JSON file, or VGT's dict); qwen25vl when absent.</summary>
    public static PromptTemplate LoadTemplate(ResolvedConfig config) => LoadTemplate(config, config.Node("prompt_template"), "prompt_template");

    /// <summary>The root tokenizer; a config without one is an error naming the key.</summary>
    public static ITextTokenizer LoadTokenizer(ResolvedConfig config, PromptTemplate template) =>
        LoadTokenizer(config, config.Node("tokenizer"), "tokenizer", template);

    internal static PromptTemplate LoadTemplate(ResolvedConfig config, JsonNode? node, string keyPath)
    {
        try
        {
            if (node is null) return PromptTemplate.Get("qwen25vl");
            if (node is JsonObject obj)
            {
                // VGT's dict carries keys for the model and for chat (SYSTEM, SUFFIX, STOP_WORDS...); the prompt uses these.
                var used = new JsonObject();
                foreach (var key in new[] { "name", "INSTRUCTION", "GENERATION", "CFG", "IMG_START_TOKEN", "IMG_START_TOKEN_FOR_GENERATION" })
                    if (obj[key] is JsonNode v) used[key] = v.DeepClone();
                using var doc = System.Text.Json.JsonDocument.Parse(used.ToJsonString());
                return PromptTemplate.FromJson(doc.RootElement, $"{config.SourceOf(keyPath)}: {keyPath}");
            }
            return PromptTemplate.Load(node.GetValue<string>());
        }
        catch (VgtDataException e) when (e is not ConfigException)
        {
            throw Error(config, keyPath, e.Message);
        }
    }

    /// <summary>The folder a tokenizer value names: the string itself, or the dict's <c>pretrained_model_name_or_path</c>.</summary>
    public static string? TokenizerFolder(JsonNode? node) => node switch
    {
        JsonObject o => o["pretrained_model_name_or_path"]?.GetValue<string>(),
        JsonValue v when v.GetValueKind() == System.Text.Json.JsonValueKind.String => v.GetValue<string>(),
        _ => null,
    };

    internal static ITextTokenizer LoadTokenizer(ResolvedConfig config, JsonNode? node, string keyPath, PromptTemplate template)
    {
        if (node is null)
            throw Error(config, keyPath, $"is required: a folder holding tokenizer.json, VGT's AutoTokenizer dict, or \"{ConfigSchema.EmbeddedTokenizer}\" for the embedded vocabulary");
        var dir = TokenizerFolder(node) ?? throw Error(config, keyPath, "pretrained_model_name_or_path is required");
        if (dir == ConfigSchema.EmbeddedTokenizer) return DefaultTokenizer.O200k(template);
        if (dir.StartsWith("embedded:", StringComparison.Ordinal))
            throw Error(config, keyPath, $"unknown embedded tokenizer '{dir}' (known: {ConfigSchema.EmbeddedTokenizer})");
        try
        {
            return HfTokenizer.Load(dir);
        }
        catch (VgtDataException e)
        {
            throw Error(config, keyPath, e.Message);
        }
    }

    /// <summary>The per-dataset text keys, inherited from the root and any enclosing ConcatDataset, each with the key
    /// path that set it (for errors and provenance).</summary>
    private sealed record TextSettings(
        JsonNode? Template, string TemplatePath, JsonNode? Tokenizer, string TokenizerPath,
        int? ImageSize, int? MaxLength)
    {
        public static TextSettings Of(ConfigSection s, string path, TextSettings? parent)
        {
            string P(string key) => path.Length == 0 ? key : $"{path}.{key}";
            return new TextSettings(
                s.Node("prompt_template") ?? parent?.Template, s.Node("prompt_template") is null && parent is not null ? parent.TemplatePath : P("prompt_template"),
                s.Node("tokenizer") ?? parent?.Tokenizer, s.Node("tokenizer") is null && parent is not null ? parent.TokenizerPath : P("tokenizer"),
                s.Int("image_size") ?? parent?.ImageSize, s.Int("max_length") ?? parent?.MaxLength);
        }

        public TextSettings Resolve(ConfigSection d, string path) => Of(d, path, this);
    }

    /// <summary>Templates and tokenizers built once per distinct config value, shared by the members that use them.</summary>
    private sealed class TextCache(ResolvedConfig config)
    {
        private readonly Dictionary<string, PromptTemplate> _templates = new(StringComparer.Ordinal);
        private readonly Dictionary<string, ITextTokenizer> _tokenizers = new(StringComparer.Ordinal);

        /// <summary>The first dataset's template and tokenizer (the pipeline's, for callers that tokenize outside it).</summary>
        public (PromptTemplate, ITextTokenizer)? First { get; private set; }

        public (PromptTemplate, ITextTokenizer) Get(TextSettings t)
        {
            var result = GetCore(t);
            First ??= result;
            return result;
        }

        private (PromptTemplate, ITextTokenizer) GetCore(TextSettings t)
        {
            var templateKey = t.Template?.ToJsonString() ?? "";
            if (!_templates.TryGetValue(templateKey, out var template))
                _templates[templateKey] = template = LoadTemplate(config, t.Template, t.TemplatePath);
            // The embedded vocabulary registers the template's specials, so it is built per template.
            var tokenizerKey = (TokenizerFolder(t.Tokenizer) ?? "") + (TokenizerFolder(t.Tokenizer) == ConfigSchema.EmbeddedTokenizer ? "|" + templateKey : "");
            if (!_tokenizers.TryGetValue(tokenizerKey, out var tokenizer))
                _tokenizers[tokenizerKey] = tokenizer = LoadTokenizer(config, t.Tokenizer, t.TokenizerPath, template);
            return (template, tokenizer);
        }
    }

    /// <summary>One dataset's text settings as the config resolves them: its template and tokenizer values and the key
    /// paths that set them.</summary>
    internal sealed record DatasetText(string DatasetPath, JsonNode? Template, string TemplatePath, JsonNode? Tokenizer, string TokenizerPath);

    /// <summary>The text settings of every leaf dataset (the root's alone when the config has no dataset).</summary>
    internal static IReadOnlyList<DatasetText> LeafTexts(ResolvedConfig config)
    {
        var root = new ConfigSection(config.Root);
        var rootText = TextSettings.Of(root, "", null);
        var list = new List<DatasetText>();
        void Walk(ConfigSection d, string path, TextSettings parent)
        {
            var t = parent.Resolve(d, path);
            if (d.String("type") == "ConcatDataset" && d.Node("datasets") is JsonArray members)
            {
                for (int i = 0; i < members.Count; i++)
                    if (members[i] is JsonObject m) Walk(new ConfigSection(m), $"{path}.datasets[{i}]", t);
                return;
            }
            list.Add(new DatasetText(path, t.Template, t.TemplatePath, t.Tokenizer, t.TokenizerPath));
        }
        if (root.Section("dataset").Object is { } ds) Walk(new ConfigSection(ds), "dataset", rootText);
        else list.Add(new DatasetText("", rootText.Template, rootText.TemplatePath, rootText.Tokenizer, rootText.TokenizerPath));
        return list;
    }

    private static ISampleDataset BuildDataset(ResolvedConfig config, ConfigSection d, string path, TextSettings inherited, TextCache cache, long seed)
    {
        var type = d.String("type") ?? "CaptionDataset";
        var text = inherited.Resolve(d, path);
        if (type == "ConcatDataset")
        {
            var list = d.Node("datasets") as JsonArray;
            if (list is null || list.Count == 0) throw Error(config, $"{path}.datasets", "ConcatDataset needs a non-empty \"datasets\" list");
            var members = new List<ISampleDataset>();
            for (int i = 0; i < list.Count; i++)
                members.Add(BuildDataset(config, new ConfigSection((JsonObject)list[i]!), $"{path}.datasets[{i}]", text, cache, seed + i * 1_000_003L));
            return new ConcatDataset(members);
        }
        if (type is not ("CaptionDataset" or "BLIP3oDataset"))
            throw Error(config, $"{path}.type", $"unknown dataset type '{type}' (known: CaptionDataset, BLIP3oDataset, ConcatDataset)");
        var shards = d.String("shards");
        if (shards is not null && d.Has("data_path")) throw Error(config, $"{path}.shards", ConfigValidator.ShardsWithDataPath);
        var dataPath = shards ?? d.String("data_path") ?? throw Error(config, $"{path}.data_path", "is required (or shards: webdataset tar parts)");
        var truncate = d.String("truncate") switch
        {
            null or "ids" => TruncateMode.Ids,
            "caption" => TruncateMode.Caption,
            var other => throw Error(config, $"{path}.truncate", $"expected \"ids\" or \"caption\", got \"{other}\""),
        };
        var (template, tokenizer) = cache.Get(text);
        var bad = new ConfigSection(config.Root).Section("bad_samples");
        var limits = ImageLimits.Default with
        {
            MinImageSize = d.Int("min_image_size") ?? ConfigSchema.DefaultMinImageSize,
            MaxFileBytes = Mib("max_file_mb", ImageLimits.DefaultMaxFileBytes),
            MaxDecodeBytes = Mib("max_decode_mb", ImageLimits.DefaultMaxDecodeBytes),
        };
        long Mib(string key, long fallback) => d.Int(key) switch
        {
            null => fallback,
            > 0 and var v => (long)v << 20,
            var v => throw Error(config, $"{path}.{key}", $"must be a positive number of MiB, got {v}"),
        };
        var storage = BuildStorage(config, d, path, limits.MaxFileBytes);
        var capSource = d.String("cap_source") ?? "caption";
        WebDatasetShards? shardEntries = null;
        try
        {
            if (shards is not null) shardEntries = WebDatasetShards.Open(shards, capSource, d.Int("train_number_samples"), storage: storage);
        }
        catch (VgtDataException e) when (e is not ConfigException)
        {
            throw Error(config, $"{path}.shards", e.Message);
        }
        try
        {
            return new CaptionDataset(new CaptionDatasetOptions
            {
                DataPath = dataPath,
                ImageFolder = d.String("image_folder") ?? Path.GetDirectoryName(dataPath) ?? ".",
                CapFolder = d.String("cap_folder"),
                CapSource = capSource,
                TextAnnotations = type == "BLIP3oDataset",
                Unconditional = d.Number("unconditional") ?? ConfigSchema.DefaultUnconditional,
                ImageSize = text.ImageSize ?? ConfigSchema.DefaultImageSize,
                Crop2Square = d.Bool("crop2square") ?? true,
                JpegDraft = d.Bool("jpeg_draft") ?? false,
                ResizeOnDevice = new ConfigSection(config.Root).Section("train_dataloader").String("resize_on") == "device",
                Limits = limits,
                TrainNumberSamples = d.Int("train_number_samples"),
                Index = d.Bool("index") ?? true,
                Debug = d.Bool("debug") ?? false,
                Seed = seed,
                ImageLatentsFolder = storage.LatentsFolder ?? d.String("image_latents_folder"),
                ImageTokensFolder = d.String("image_tokens_folder"),
                FailureBudget = bad.Number("budget") ?? 0.1,
                FailureWindow = bad.Int("window") ?? 1000,
                MaxReplacements = bad.Int("max_replacements") ?? 32,
                ImageSource = shardEntries ?? storage.ImageSource ?? BuildSource(config, d.Section("image_source"), $"{path}.image_source", storage),
                Files = storage.Files,
                Text = new CaptionTokenizer(tokenizer, template, text.MaxLength ?? ConfigSchema.DefaultMaxLength, truncate),
            }, shardEntries);
        }
        catch (VgtDataException e) when (e is not ConfigException)
        {
            shardEntries?.Dispose();
            throw Error(config, path, e.Message);
        }
    }

    /// <summary>Object storage (ceph_folder, ceph_config, latents_ceph_folder, s3:// paths): see <see cref="DatasetStorage.Resolve"/>.</summary>
    private static DatasetStorage BuildStorage(ResolvedConfig config, ConfigSection d, string path, long maxFileBytes)
    {
        int workers = new ConfigSection(config.Root).Section("train_dataloader").Int("num_workers") ?? Environment.ProcessorCount;
        try
        {
            return DatasetStorage.Resolve(d.String("ceph_folder"), d.String("ceph_config"), d.String("latents_ceph_folder"),
                new Dictionary<string, string?>
                {
                    ["data_path"] = d.String("data_path"), ["cap_folder"] = d.String("cap_folder"),
                    ["image_latents_folder"] = d.String("image_latents_folder"),
                    ["image_source.parts"] = d.Section("image_source").String("parts"),
                    ["shards"] = d.String("shards"),
                },
                hasLocalImages: d.Has("image_folder"), readAhead: Math.Max(1, workers) * 16, maxFileBytes: maxFileBytes);
        }
        catch (StorageConfigException e)
        {
            throw Error(config, $"{path}.{e.Key}", e.Message);
        }
    }

    private static IImageSource OpenS3TarParts(ResolvedConfig config, DatasetStorage storage, string parts, string keyPath)
    {
        try
        {
            return storage.OpenTarParts(parts);
        }
        catch (VgtDataException e) when (e is not ConfigException)
        {
            throw Error(config, keyPath, e.Message);
        }
    }

    private static IImageSource? BuildSource(ResolvedConfig config, ConfigSection s, string path, DatasetStorage storage)
    {
        if (s.Object is null) return null;
        switch (s.String("type") ?? "folder")
        {
            case "folder": return null;
            case "tar":
                var parts = s.String("parts") ?? throw Error(config, $"{path}.parts", "a tar image_source needs \"parts\" (a glob)");
                if (S3Location.IsUrl(parts)) return OpenS3TarParts(config, storage, parts, $"{path}.parts");
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
            case "FixedBatchMultiSourceSampler" or "WeightedMultiSourceSampler" when dataset is not ConcatDataset:
                throw Error(config, "train_dataloader.sampler.type", $"{s.String("type")} needs a ConcatDataset");
            case "FixedBatchMultiSourceSampler":
                var sizes = ((ConcatDataset)dataset).Datasets.Select(d => d.Count).ToList();
                return new FixedBatchMultiSourceSampler(sizes, IntRepeats(config, s, sizes.Count), s.Int("batch_size") ?? batchSize, shuffle, samplerSeed);
            case "WeightedMultiSourceSampler":
                var list = (System.Text.Json.Nodes.JsonArray)config.Node("dataset.datasets")!;
                var weights = list.Select(n => new ConfigSection((System.Text.Json.Nodes.JsonObject)n!).Number("repeat") ?? 1.0).ToList();
                return new WeightedMultiSourceSampler(((ConcatDataset)dataset).Datasets.Select(d => d.Count).ToList(), weights,
                    s.Int("batch_size") ?? batchSize, shuffle, samplerSeed);
            case var other:
                throw Error(config, "train_dataloader.sampler.type",
                    $"unknown sampler '{other}' (known: InfiniteSampler, DefaultSampler, FixedBatchMultiSourceSampler, WeightedMultiSourceSampler)");
        }
    }

    // VGT's sampler.repeat (one integer per dataset); else each dataset's own "repeat", default 1.
    private static List<int> IntRepeats(ResolvedConfig config, ConfigSection sampler, int sources)
    {
        var (key, nodes) = sampler.Node("repeat") is System.Text.Json.Nodes.JsonArray a
            ? ("train_dataloader.sampler.repeat", a.ToList())
            : ("dataset.datasets[].repeat", ((System.Text.Json.Nodes.JsonArray)config.Node("dataset.datasets")!).Select(n => n?["repeat"]).ToList());
        if (nodes.Count != sources) throw Error(config, key, $"has {nodes.Count} values for {sources} datasets");
        return nodes.Select(n =>
        {
            var v = n?.GetValue<double>() ?? 1.0;
            if (v != Math.Floor(v) || v < 0 || v > int.MaxValue)
                throw Error(config, key, $"repeat must be a whole number of batches >= 0, got {v}");
            return (int)v;
        }).ToList();
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
        var modeKey = c.Has("crop_mode") || !c.Has("resize_mode") ? "crop_mode" : "resize_mode";
        var mode = c.String(modeKey) switch
        {
            null or "center" or "center_crop" => ResizeMode.CenterCrop,
            "random" or "random_crop" => ResizeMode.RandomCrop,
            "pad" or "pad_resize" => ResizeMode.PadResize,
            var other => throw Error(config, $"train_dataloader.collate_fn.{modeKey}", $"expected one of {string.Join(", ", ConfigSchema.CropModes)}, got \"{other}\""),
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
            PadIndex = c.Int("pad_index") ?? root.Int("pad_index") ?? DefaultPadIndex,
            Device = ParseDevice(config, deviceOverride ?? loader.String("device") ?? "cpu"),
            DType = dtype,
            Uint8Transfer = loader.Bool("uint8_transfer"),
            ResizeOnDevice = loader.String("resize_on") switch
            {
                null or "cpu" => false,
                "device" => true,
                var other => throw Error(config, "train_dataloader.resize_on", $"expected one of {string.Join(", ", ConfigSchema.ResizeOn)}; got \"{other}\""),
            },
            Seed = seed,
        };
    }

    /// <summary>resize_on: device resizes each crop straight to its dataset's <c>image_size</c> square, so every batch
    /// must be that square: no other <c>collate_fn.resolutions</c>, no ConcatDataset members of different sizes.</summary>
    private static void CheckResizeOnDevice(ResolvedConfig config, ISampleDataset dataset, CollateOptions options)
    {
        var sizes = new SortedSet<int>();
        void Walk(ISampleDataset d)
        {
            if (d is ConcatDataset concat) foreach (var member in concat.Datasets) Walk(member);
            else if (d is IHasSampleSize { SampleSize: { } size }) sizes.Add(size.Height);
        }
        Walk(dataset);
        string? problem = null;
        if (sizes.Count > 1)
            problem = $"the datasets' image_size differ ({string.Join(", ", sizes)}) and samples would need a second resize to the batch's size";
        else if (sizes.Count == 1 && options.Resolutions.FirstOrDefault(r => r != (sizes.Min, sizes.Min)) is var (h, w) && h != 0)
            problem = $"collate_fn.resolutions asks for {h}x{w}, but the device resizes each crop to image_size ({sizes.Min}x{sizes.Min})";
        if (problem is null) return;
        (dataset as IDisposable)?.Dispose();
        throw Error(config, "train_dataloader.resize_on", $"\"device\" needs every batch at image_size: {problem}; use resize_on: cpu");
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
