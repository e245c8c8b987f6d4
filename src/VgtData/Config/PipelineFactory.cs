using System.Text.Json;
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

    /// <summary>Builds what <paramref name="config"/> describes; <paramref name="seedOverride"/> replaces <c>seed</c> and
    /// <paramref name="deviceOverride"/> <c>train_dataloader.device</c>. A config that cannot be built throws
    /// <see cref="ConfigException"/> naming the file and key.</summary>
    public static Pipeline Build(ResolvedConfig config, long? seedOverride = null, string? deviceOverride = null) =>
        PipelineFactory.Build(config, seedOverride, deviceOverride);

    /// <summary>A loader over this pipeline; <paramref name="options"/> replaces the configured loader options.</summary>
    public DataLoader CreateLoader(DataLoaderOptions? options = null) => new(Dataset, Sampler, Collator, options ?? LoaderOptions);

    public void Dispose() => (Dataset as IDisposable)?.Dispose();
}

/// <summary>Turns a resolved config's records into a <see cref="Pipeline"/>.</summary>
internal static class PipelineFactory
{
    public static Pipeline Build(ResolvedConfig config, long? seedOverride = null, string? deviceOverride = null)
    {
        var root = config.Settings;
        long seed = seedOverride ?? root.Seed;
        var datasetConfig = root.Dataset ?? throw Error(config, "dataset", "a config needs a \"dataset\" block");
        var loader = root.TrainDataloader;
        if (loader.ResizeOn == "device") CheckResizeOnDevice(config);
        var cache = new TextCache(config);
        var dataset = BuildDataset(config, datasetConfig, "dataset", TextSettings.Of(root), cache, seed);
        var options = new DataLoaderOptions
        {
            BatchSize = loader.BatchSize,
            NumWorkers = loader.NumWorkers ?? RootConfig.LoaderDefaults.NumWorkers,
            PrefetchFactor = loader.PrefetchFactor,
            DropLast = loader.DropLast,
        };
        object sampler;
        CollateOptions collateOptions;
        try
        {
            sampler = BuildSampler(config, dataset, options.BatchSize, seed);
            collateOptions = BuildCollate(config, root, seed, deviceOverride);
        }
        catch
        {
            (dataset as IDisposable)?.Dispose();
            throw;
        }
        var (template, tokenizer) = cache.First!.Value;
        return new Pipeline
        {
            Dataset = dataset, Sampler = sampler, Collator = new Collator(collateOptions), LoaderOptions = options,
            Tokenizer = tokenizer, Template = template, Seed = seed,
        };
    }

    /// <summary>A prompt template: a built-in name, a JSON file, or VGT's dict.</summary>
    internal static PromptTemplate LoadTemplate(ResolvedConfig config, JsonNode node, string keyPath)
    {
        try
        {
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
        JsonObject o => o.Deserialize<TokenizerConfig>(ConfigSchema.Json)!.PretrainedModelNameOrPath,
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

    /// <summary>The text keys a dataset inherits from the root and any enclosing ConcatDataset, each with the key path
    /// that set it (for errors and provenance).</summary>
    internal sealed record TextSettings(JsonNode Template, string TemplatePath, JsonNode? Tokenizer, string TokenizerPath, int ImageSize, int MaxLength)
    {
        public static TextSettings Of(RootConfig r) => new(r.PromptTemplate, "prompt_template", r.Tokenizer, "tokenizer", r.ImageSize, r.MaxLength);

        public TextSettings Resolve(DatasetConfig d, string path) => new(
            d.PromptTemplate ?? Template, d.PromptTemplate is null ? TemplatePath : $"{path}.prompt_template",
            d.Tokenizer ?? Tokenizer, d.Tokenizer is null ? TokenizerPath : $"{path}.tokenizer",
            d.ImageSize ?? ImageSize, d.MaxLength ?? MaxLength);
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
            var templateKey = t.Template.ToJsonString();
            if (!_templates.TryGetValue(templateKey, out var template))
                _templates[templateKey] = template = LoadTemplate(config, t.Template, t.TemplatePath);
            // The embedded vocabulary registers the template's specials, so it is built per template.
            var tokenizerKey = (TokenizerFolder(t.Tokenizer) ?? "") + (TokenizerFolder(t.Tokenizer) == ConfigSchema.EmbeddedTokenizer ? "|" + templateKey : "");
            if (!_tokenizers.TryGetValue(tokenizerKey, out var tokenizer))
                _tokenizers[tokenizerKey] = tokenizer = LoadTokenizer(config, t.Tokenizer, t.TokenizerPath, template);
            return (template, tokenizer);
        }
    }

    /// <summary>One leaf dataset (not a ConcatDataset) with its key path and its resolved text settings.</summary>
    internal sealed record Leaf(DatasetConfig Dataset, string Path, TextSettings Text)
    {
        /// <summary>Its samples' pixel size: image_size square, or none when it serves latents or tokens.</summary>
        public int? PixelSize => Dataset.ImageLatentsFolder is null && Dataset.LatentsCephFolder is null && Dataset.ImageTokensFolder is null ? Text.ImageSize : null;
    }

    /// <summary>Every leaf dataset of the config, depth first (none when it has no dataset).</summary>
    internal static IReadOnlyList<Leaf> Leaves(RootConfig root)
    {
        var list = new List<Leaf>();
        void Walk(DatasetConfig d, string path, TextSettings parent)
        {
            var t = parent.Resolve(d, path);
            if (d.Type == "ConcatDataset" && d.Datasets is { } members)
                for (int i = 0; i < members.Count; i++) Walk(members[i], $"{path}.datasets[{i}]", t);
            else list.Add(new Leaf(d, path, t));
        }
        if (root.Dataset is { } ds) Walk(ds, "dataset", TextSettings.Of(root));
        return list;
    }

    private static ISampleDataset BuildDataset(ResolvedConfig config, DatasetConfig d, string path, TextSettings inherited, TextCache cache, long seed)
    {
        var text = inherited.Resolve(d, path);
        if (d.Type == "ConcatDataset")
        {
            if (d.Datasets is not { Count: > 0 } list) throw Error(config, $"{path}.datasets", "ConcatDataset needs a non-empty \"datasets\" list");
            var members = new List<ISampleDataset>();
            try
            {
                for (int i = 0; i < list.Count; i++)
                    members.Add(BuildDataset(config, list[i], $"{path}.datasets[{i}]", text, cache, seed + i * 1_000_003L));
            }
            catch
            {
                foreach (var m in members) (m as IDisposable)?.Dispose();
                throw;
            }
            return new ConcatDataset(members);
        }
        if (d.Shards is not null && d.DataPath is not null) throw Error(config, $"{path}.shards", ConfigValidator.ShardsWithDataPath);
        var dataPath = d.Shards ?? d.DataPath ?? throw Error(config, $"{path}.data_path", "is required (or shards: webdataset tar parts)");
        var (template, tokenizer) = cache.Get(text);
        var bad = config.Settings.BadSamples;
        var limits = ImageLimits.Default with
        {
            MinImageSize = d.MinImageSize,
            MaxFileBytes = (long)d.MaxFileMb << 20,
            MaxDecodeBytes = (long)d.MaxDecodeMb << 20,
        };
        var loader = config.Settings.TrainDataloader;
        var storage = BuildStorage(config, d, path, limits.MaxFileBytes);
        WebDatasetShards? shardEntries = null;
        try
        {
            if (d.Shards is not null) shardEntries = WebDatasetShards.Open(d.Shards, d.CapSource, d.TrainNumberSamples, storage: storage);
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
                ImageFolder = d.ImageFolder ?? Path.GetDirectoryName(dataPath) ?? ".",
                CapFolder = d.CapFolder,
                CapSource = d.CapSource,
                TextAnnotations = d.Type == "BLIP3oDataset",
                Unconditional = d.Unconditional,
                ImageSize = text.ImageSize,
                Crop2Square = d.Crop2Square,
                JpegDraft = d.JpegDraft,
                ResizeOnDevice = loader.ResizeOn == "device",
                Limits = limits,
                TrainNumberSamples = d.TrainNumberSamples,
                Index = d.Index,
                Debug = d.Debug,
                Seed = seed,
                ImageLatentsFolder = storage.LatentsFolder ?? d.ImageLatentsFolder,
                ImageTokensFolder = d.ImageTokensFolder,
                FailureBudget = bad.Budget,
                FailureWindow = bad.Window,
                MaxReplacements = bad.MaxReplacements,
                ImageSource = shardEntries ?? BuildSource(config, d.ImageSource, $"{path}.image_source", storage),
                Stores = storage,
                Text = new CaptionTokenizer(tokenizer, template, text.MaxLength, d.Truncate == "caption" ? TruncateMode.Caption : TruncateMode.Ids),
            }, shardEntries);
        }
        catch (VgtDataException e) when (e is not ConfigException)
        {
            shardEntries?.Dispose();
            throw Error(config, path, e.Message);
        }
    }

    /// <summary>Object storage (ceph_folder, ceph_config, latents_ceph_folder, s3:// paths): see <see cref="DatasetStorage.Resolve"/>.</summary>
    private static DatasetStorage BuildStorage(ResolvedConfig config, DatasetConfig d, string path, long maxFileBytes)
    {
        int workers = config.Settings.TrainDataloader.NumWorkers ?? Environment.ProcessorCount;
        try
        {
            return DatasetStorage.Resolve(d.CephFolder, d.CephConfig, d.LatentsCephFolder,
                new Dictionary<string, string?>
                {
                    ["data_path"] = d.DataPath, ["cap_folder"] = d.CapFolder,
                    ["image_latents_folder"] = d.ImageLatentsFolder,
                    ["image_source.parts"] = d.ImageSource?.Parts,
                    ["shards"] = d.Shards,
                },
                hasLocalImages: d.ImageFolder is not null, readAhead: Math.Max(1, workers) * 16, maxFileBytes: maxFileBytes);
        }
        catch (StorageConfigException e)
        {
            throw Error(config, $"{path}.{e.Key}", e.Message);
        }
    }

    private static IImageSource? BuildSource(ResolvedConfig config, ImageSourceConfig? s, string path, DatasetStorage storage)
    {
        try
        {
            return storage.OpenImages(s?.Type ?? "folder", s?.Parts);
        }
        catch (StorageConfigException e)
        {
            throw Error(config, $"{path[..path.LastIndexOf('.')]}.{e.Key}", e.Message);
        }
    }

    private static object BuildSampler(ResolvedConfig config, ISampleDataset dataset, int batchSize, long seed)
    {
        var s = config.Settings.TrainDataloader.Sampler;
        int samplerSeed = (int)(s.Seed ?? seed);
        if (s.Type is "InfiniteSampler") return new InfiniteSampler(dataset.Count, s.Shuffle, samplerSeed);
        if (s.Type is "DefaultSampler") return new DefaultSampler(dataset.Count, s.Shuffle, samplerSeed, s.RoundUp);
        if (dataset is not ConcatDataset concat) throw Error(config, "train_dataloader.sampler.type", $"{s.Type} needs a ConcatDataset");
        var sizes = concat.Datasets.Select(d => d.Count).ToList();
        var members = config.Settings.Dataset!.Datasets!;
        if (s.Type is "FixedBatchMultiSourceSampler")
            return new FixedBatchMultiSourceSampler(sizes, IntRepeats(config, s, members), s.BatchSize ?? batchSize, s.Shuffle, samplerSeed);
        return new WeightedMultiSourceSampler(sizes, members.Select(m => m.Repeat).ToList(), s.BatchSize ?? batchSize, s.Shuffle, samplerSeed);
    }

    // VGT's sampler.repeat (one integer per dataset); else each dataset's own "repeat", default 1.
    private static List<int> IntRepeats(ResolvedConfig config, SamplerConfig sampler, List<DatasetConfig> members)
    {
        var (key, values) = sampler.Repeat is { } r
            ? ("train_dataloader.sampler.repeat", r.Select(x => (double)x).ToList())
            : ("dataset.datasets[].repeat", members.Select(m => m.Repeat).ToList());
        if (values.Count != members.Count) throw Error(config, key, $"has {values.Count} values for {members.Count} datasets");
        return values.Select(v =>
        {
            if (v != Math.Floor(v) || v < 0 || v > int.MaxValue)
                throw Error(config, key, $"repeat must be a whole number of batches >= 0, got {v}");
            return (int)v;
        }).ToList();
    }

    private static List<(int Height, int Width)> Resolutions(ResolvedConfig config) => config.Settings.TrainDataloader.CollateFn.Resolutions ?? [];

    private static CollateOptions BuildCollate(ResolvedConfig config, RootConfig root, long seed, string? deviceOverride)
    {
        var loader = root.TrainDataloader;
        var c = loader.CollateFn;
        var resolutions = Resolutions(config);
        var ratio = c.ResolutionsRatio ?? [];
        if (ratio.Count > 0 && ratio.Count != resolutions.Count)
            throw Error(config, "train_dataloader.collate_fn.resolutions_ratio", $"has {ratio.Count} weights for {resolutions.Count} resolutions");
        return new CollateOptions
        {
            Resolutions = resolutions,
            ResolutionsRatio = ratio,
            ResizeMode = (c.ResizeMode ?? c.CropMode) switch
            {
                "random" or "random_crop" => ResizeMode.RandomCrop,
                "pad" or "pad_resize" => ResizeMode.PadResize,
                _ => ResizeMode.CenterCrop,
            },
            Padding = (c.PaddingSide ?? (c.Type == "collate_func_img2img" ? "left" : "right")) == "left" ? PaddingSide.Left : PaddingSide.Right,
            PadIndex = c.PadIndex ?? root.PadIndex,
            Device = ParseDevice(config, deviceOverride ?? loader.Device),
            DType = loader.Dtype == "bfloat16" ? ScalarType.BFloat16 : ScalarType.Float32,
            Uint8Transfer = loader.Uint8Transfer,
            ResizeOnDevice = loader.ResizeOn == "device",
            Seed = seed,
        };
    }

    /// <summary>resize_on: device resizes each crop straight to its dataset's <c>image_size</c> square, so every batch
    /// must be that square: no other <c>collate_fn.resolutions</c>, no ConcatDataset members of different sizes.
    /// Read from the records, before any dataset is opened.</summary>
    private static void CheckResizeOnDevice(ResolvedConfig config)
    {
        var resolutions = Resolutions(config);
        var sizes = new SortedSet<int>(Leaves(config.Settings).Select(l => l.PixelSize).OfType<int>());
        string? problem = null;
        if (sizes.Count > 1)
            problem = $"the datasets' image_size differ ({string.Join(", ", sizes)}) and samples would need a second resize to the batch's size";
        else if (sizes.Count == 1 && resolutions.FirstOrDefault(r => r != (sizes.Min, sizes.Min)) is var (h, w) && h != 0)
            problem = $"collate_fn.resolutions asks for {h}x{w}, but the device resizes each crop to image_size ({sizes.Min}x{sizes.Min})";
        if (problem is null) return;
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
