using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using VgtData.Datasets;
using VgtData.Images;
using VgtData.Loading;

namespace VgtData.Config;

/// <summary>
/// One config key: its JSON name, help, and the rules <see cref="ConfigSchema"/> derives from it. The kind follows from
/// the property's type unless <see cref="Kind"/> names it (paths, name-or-object, resolutions). The default is the
/// property's initial value; <see cref="Default"/> is only for defaults that are not a value ("required", "CPU count").
/// </summary>
[AttributeUsage(AttributeTargets.Property)]
internal sealed class ConfigKeyAttribute(string name, string help) : Attribute
{
    public string Name { get; } = name;
    public string Help { get; } = help;

    /// <summary>The value kind when the property's type does not tell it (the default, <c>-1</c>, infers it).</summary>
    public ValueKind Kind { get; set; } = (ValueKind)(-1);

    /// <summary>Range of numbers (and of every item of a number list); NaN: unbounded.</summary>
    public double Min { get; set; } = double.NaN;
    public double Max { get; set; } = double.NaN;

    public string[]? Allowed { get; set; }

    /// <summary>The default as the reference prints it, when it is not the property's initial value.</summary>
    public string? Default { get; set; }

    /// <summary>A dataset key that falls back to the enclosing dataset's, then to the top level's value.</summary>
    public bool Inherited { get; set; }

    /// <summary>For name-or-object keys: the record the object form holds.</summary>
    public Type? Children { get; set; }

    /// <summary>See <see cref="ConfigField.NullOnly"/>, <see cref="ConfigField.Format"/>, <see cref="ConfigField.Removed"/>.</summary>
    public bool NullOnly { get; set; }
    public string? Format { get; set; }
    public string? Removed { get; set; }

    /// <summary>The key this one is another name for (declared before it; its allowed names are taken from there).</summary>
    public string? AliasOf { get; set; }
}

/// <summary>The help of the keys the top level and every dataset both hold (a dataset inherits what it leaves unset).</summary>
internal static class TextKeys
{
    public const string Template = "a built-in name (internvl3, qwen25vl), a .json file, or VGT's dict";
    public const string Tokenizer = "folder with tokenizer.json, VGT's AutoTokenizer dict, or \"" + ConfigSchema.EmbeddedTokenizer + "\" for the embedded vocabulary";
    public const string Kwargs = "keyword arguments of tokenizer.encode";
    public const string ImageSize = "side of the square pixel_values";
    public const string MaxLength = "input_ids are cut to this many tokens (VGT's CaptionDataset truncates by default)";
    public const string ImageLength = "accepted (number of image tokens; model side)";
}

/// <summary>The typed config: the top level after base composition and <c>--set</c> overrides.</summary>
internal sealed record RootConfig
{
    [ConfigKey("prompt_template", TextKeys.Template, Kind = ValueKind.StringOrObject, Children = typeof(PromptTemplateConfig))]
    public JsonNode PromptTemplate { get; init; } = "qwen25vl";

    [ConfigKey("tokenizer", TextKeys.Tokenizer,
        Kind = ValueKind.StringOrObject, Children = typeof(TokenizerConfig), Default = "required (here or on every dataset)")]
    public JsonNode? Tokenizer { get; init; }

    [ConfigKey("tokenizer_kwargs", TextKeys.Kwargs)]
    public TokenizerKwargsConfig? TokenizerKwargs { get; init; }

    [ConfigKey("image_size", TextKeys.ImageSize, Min = ConfigSchema.MinImageSize, Max = ConfigSchema.MaxImageSize)]
    public int ImageSize { get; init; } = CaptionDefaults.ImageSize;

    [ConfigKey("max_length", TextKeys.MaxLength, Min = 1, Max = 1_000_000)]
    public int MaxLength { get; init; } = 128;

    [ConfigKey("image_length", TextKeys.ImageLength, Min = 1, Max = 1_000_000)]
    public int? ImageLength { get; init; }

    [ConfigKey("base", "config files this one extends (later keys override)")]
    public List<string>? Base { get; init; }

    [ConfigKey("pad_index", "shorthand for train_dataloader.collate_fn.pad_index (VGT's processors.py variable)", Min = 0, Max = int.MaxValue)]
    public long PadIndex { get; init; }

    [ConfigKey("seed", "seed of every random draw", Min = int.MinValue, Max = int.MaxValue)]
    public int Seed { get; init; }

    [ConfigKey("dataset", "the dataset (VGT writes it as train_dataloader.dataset; either place works)")]
    public DatasetConfig? Dataset { get; init; }

    [ConfigKey("train_dataloader", "VGT's train_dataloader")]
    public LoaderConfig TrainDataloader { get; init; } = new();

    [ConfigKey("bad_samples", "bad-sample budget")]
    public BadSamplesConfig BadSamples { get; init; } = new();

    /// <summary>The library's own defaults, read here so each is written once (in the options records); only their
    /// default values are read.</summary>
    internal static readonly CaptionDatasetOptions CaptionDefaults = new() { DataPath = "", Text = null! };
    internal static readonly DataLoaderOptions LoaderDefaults = new();
}

/// <summary>A dataset, or a ConcatDataset member: text keys it leaves unset are the enclosing dataset's.</summary>
internal sealed record DatasetConfig
{
    [ConfigKey("prompt_template", TextKeys.Template, Kind = ValueKind.StringOrObject, Children = typeof(PromptTemplateConfig), Inherited = true)]
    public JsonNode? PromptTemplate { get; init; }

    [ConfigKey("tokenizer", TextKeys.Tokenizer,
        Kind = ValueKind.StringOrObject, Children = typeof(TokenizerConfig), Default = "the enclosing value; one is required")]
    public JsonNode? Tokenizer { get; init; }

    [ConfigKey("tokenizer_kwargs", TextKeys.Kwargs)]
    public TokenizerKwargsConfig? TokenizerKwargs { get; init; }

    [ConfigKey("image_size", TextKeys.ImageSize, Min = ConfigSchema.MinImageSize, Max = ConfigSchema.MaxImageSize, Inherited = true)]
    public int? ImageSize { get; init; }

    [ConfigKey("max_length", TextKeys.MaxLength, Min = 1, Max = 1_000_000, Inherited = true)]
    public int? MaxLength { get; init; }

    [ConfigKey("image_length", TextKeys.ImageLength, Min = 1, Max = 1_000_000)]
    public int? ImageLength { get; init; }

    [ConfigKey("type", "dataset class", Allowed = new[] { "CaptionDataset", "BLIP3oDataset", "ConcatDataset" })]
    public string Type { get; init; } = "CaptionDataset";

    [ConfigKey("data_path", "data.json, a folder of *.json, or a .jsonl file", Kind = ValueKind.Path, Default = "required, unless shards is set")]
    public string? DataPath { get; init; }

    [ConfigKey("shards", "webdataset tar shards read as the entries, with no data_path: brace ranges and globs, e.g. DIR/train-{0000..0252}.tar (docs/webdataset.md)", Kind = ValueKind.Path)]
    public string? Shards { get; init; }

    [ConfigKey("image_folder", "where the entries' image paths are relative to", Kind = ValueKind.Path, Default = "data_path's folder")]
    public string? ImageFolder { get; init; }

    [ConfigKey("cap_folder", "where annotation files are relative to", Kind = ValueKind.Path)]
    public string? CapFolder { get; init; }

    [ConfigKey("cap_source", "the entry (or annotation) key holding the caption")]
    public string CapSource { get; init; } = RootConfig.CaptionDefaults.CapSource;

    [ConfigKey("unconditional", "probability of the CFG prompt instead of the caption", Min = 0, Max = 1)]
    public double Unconditional { get; init; } = RootConfig.CaptionDefaults.Unconditional;

    [ConfigKey("truncate", "how max_length cuts: the token ids' tail, or the caption inside the frame", Allowed = new[] { "ids", "caption" })]
    public string Truncate { get; init; } = "ids";

    [ConfigKey("min_image_size", "images with a smaller side are bad samples", Min = 0, Max = ConfigSchema.MaxImageSize)]
    public int MinImageSize { get; init; } = ImageLimits.Default.MinImageSize;

    [ConfigKey("crop2square", "random square crop along the long side before the resize")]
    public bool Crop2Square { get; init; } = RootConfig.CaptionDefaults.Crop2Square;

    [ConfigKey("jpeg_draft", "decode JPEGs DCT-scaled as Pillow's draft('RGB', (image_size, image_size)) before the crop")]
    public bool JpegDraft { get; init; } = RootConfig.CaptionDefaults.JpegDraft;

    [ConfigKey("max_file_mb", "image files larger than this many MiB are bad samples (refused unread)", Min = 1, Max = 1 << 20)]
    public int MaxFileMb { get; init; } = (int)(ImageLimits.DefaultMaxFileBytes >> 20);

    [ConfigKey("max_decode_mb", "images whose decode needs more MiB than this (width × height × 4) are bad samples", Min = 1, Max = 1 << 20)]
    public int MaxDecodeMb { get; init; } = (int)(ImageLimits.DefaultMaxDecodeBytes >> 20);

    [ConfigKey("decoder", "removed: each image format has one decoder (docs/images.md); a value is refused",
        Removed = "the key is gone, each image format has one decoder (docs/images.md); remove it")]
    public string? Decoder { get; init; }

    [ConfigKey("train_number_samples", "use only the first N entries", Min = 1, Max = int.MaxValue)]
    public int? TrainNumberSamples { get; init; }

    [ConfigKey("index", "read the entries through the memory-mapped index built beside data_path (docs/memory.md); false parses the JSON every start")]
    public bool Index { get; init; } = RootConfig.CaptionDefaults.Index;

    [ConfigKey("debug", "every index serves entry 0")]
    public bool Debug { get; init; } = RootConfig.CaptionDefaults.Debug;

    [ConfigKey("repeat", "FixedBatchMultiSourceSampler: consecutive batches of this member per cycle (a whole number, VGT's sampler repeat); WeightedMultiSourceSampler: its weight", Min = 0, Max = 1_000_000)]
    public double Repeat { get; init; } = 1;

    [ConfigKey("image_latents_folder", "read <image>.pt latents instead of decoding images", Kind = ValueKind.Path)]
    public string? ImageLatentsFolder { get; init; }

    [ConfigKey("image_tokens_folder", "read int64 <image>.pt tokens instead of decoding images", Kind = ValueKind.Path)]
    public string? ImageTokensFolder { get; init; }

    [ConfigKey("ceph_folder", "object storage: s3://bucket/prefix (or cluster:s3://…) holding the images, read when ceph_config or the AWS environment gives credentials")]
    public string? CephFolder { get; init; }

    [ConfigKey("ceph_config", "object storage: petrel-style INI ([DEFAULT] default_cluster; per cluster access_key, secret_key, host_base)", Kind = ValueKind.Path, Default = "the AWS environment")]
    public string? CephConfig { get; init; }

    [ConfigKey("latents_ceph_folder", "object storage: s3:// prefix holding <image>.pt latents (instead of image_latents_folder)")]
    public string? LatentsCephFolder { get; init; }

    [ConfigKey("image_source", "where image bytes come from")]
    public ImageSourceConfig? ImageSource { get; init; }

    [ConfigKey("datasets", "ConcatDataset members (each a dataset, or {\"base\": FILE, ...})")]
    public List<DatasetConfig>? Datasets { get; init; }
}

internal sealed record ImageSourceConfig
{
    [ConfigKey("type", "folder: files below image_folder; tar: members of tar parts", Allowed = new[] { "folder", "tar" })]
    public string Type { get; init; } = "folder";

    [ConfigKey("parts", "glob of tar parts, relative to the config, or s3://bucket/prefix/part_*.tar", Kind = ValueKind.Path)]
    public string? Parts { get; init; }
}

/// <summary>VGT's <c>train_dataloader</c>.</summary>
internal sealed record LoaderConfig
{
    [ConfigKey("batch_size", "samples per batch", Min = 1, Max = 65_536)]
    public int BatchSize { get; init; } = RootConfig.LoaderDefaults.BatchSize;

    [ConfigKey("num_workers", "decode workers (0: on the consumer's thread)", Min = 0, Max = DataLoaderOptions.MaxWorkers, Default = "CPU count")]
    public int? NumWorkers { get; init; }

    [ConfigKey("prefetch_factor", "batches in flight per worker", Min = 0, Max = DataLoaderOptions.MaxPrefetchFactor)]
    public int PrefetchFactor { get; init; } = RootConfig.LoaderDefaults.PrefetchFactor;

    [ConfigKey("drop_last", "finite samplers: drop a short last batch")]
    public bool DropLast { get; init; } = RootConfig.LoaderDefaults.DropLast;

    [ConfigKey("persistent_workers", "accepted (workers always persist)")]
    public bool? PersistentWorkers { get; init; }

    [ConfigKey("pin_memory", "accepted (host staging for the device is chosen by device and uint8_transfer)")]
    public bool? PinMemory { get; init; }

    [ConfigKey("device", "where batches are delivered: cpu, cuda, cuda:N or auto", Format = "device")]
    public string Device { get; init; } = "cpu";

    [ConfigKey("dtype", "pixel_values dtype", Allowed = new[] { "float32", "bfloat16" })]
    public string Dtype { get; init; } = "float32";

    [ConfigKey("uint8_transfer", "copy uint8 to the device and normalise there", Default = "on for CUDA")]
    public bool? Uint8Transfer { get; init; }

    [ConfigKey("resize_on", "where the crop is resized to image_size: cpu (Pillow-exact, in the workers) or device (a torch bicubic on the batch's device, close to Pillow but not equal)",
        Allowed = new[] { "cpu", "device" })]
    public string ResizeOn { get; init; } = "cpu";

    [ConfigKey("dataset", "VGT's place for the dataset; the same as the root dataset")]
    public DatasetConfig? Dataset { get; init; }

    [ConfigKey("sampler", "VGT's sampler")]
    public SamplerConfig Sampler { get; init; } = new();

    [ConfigKey("collate_fn", "VGT's collate_fn")]
    public CollateConfig CollateFn { get; init; } = new();
}

internal sealed record SamplerConfig
{
    [ConfigKey("type", "sampler class", Allowed = new[] { "InfiniteSampler", "DefaultSampler", "FixedBatchMultiSourceSampler", "WeightedMultiSourceSampler" })]
    public string Type { get; init; } = "InfiniteSampler";

    [ConfigKey("shuffle", "shuffle the indices")]
    public bool Shuffle { get; init; } = true;

    [ConfigKey("seed", "sampler seed", Min = int.MinValue, Max = int.MaxValue, Default = "seed")]
    public int? Seed { get; init; }

    [ConfigKey("round_up", "DefaultSampler: pad the last rank's share")]
    public bool RoundUp { get; init; } = true;

    [ConfigKey("repeat", "FixedBatchMultiSourceSampler: consecutive batches per source, one per ConcatDataset member", Min = 0, Max = 1_000_000, Default = "members' repeat, else 1")]
    public List<int>? Repeat { get; init; }

    [ConfigKey("batch_size", "multi-source samplers: batch size of their batches", Min = 1, Max = 65_536, Default = "train_dataloader.batch_size")]
    public int? BatchSize { get; init; }
}

internal sealed record CollateConfig
{
    [ConfigKey("type", "collate function", Allowed = new[] { "collate_func_gen", "collate_func_img2img" })]
    public string Type { get; init; } = "collate_func_gen";

    [ConfigKey("resolutions", "(h, w) or a list of (h, w); one is drawn per batch", Kind = ValueKind.ResolutionList,
        Min = ConfigSchema.MinImageSize, Max = ConfigSchema.MaxImageSize, Default = "the samples' size")]
    [JsonConverter(typeof(ResolutionsConverter))]
    public List<(int Height, int Width)>? Resolutions { get; init; }

    [ConfigKey("resolutions_ratio", "weights of resolutions", Min = 0, Max = 1e9, Default = "uniform")]
    public List<double>? ResolutionsRatio { get; init; }

    [ConfigKey("pad_index", "id that pads input_ids", Min = 0, Max = int.MaxValue, Default = "pad_index, else 0")]
    public long? PadIndex { get; init; }

    [ConfigKey("crop_mode", "how a sample is fitted to a batch resolution that differs from its size", Allowed = new[] { "center", "random", "pad", "center_crop", "random_crop", "pad_resize" })]
    public string CropMode { get; init; } = "center";

    [ConfigKey("resize_mode", "older name of crop_mode", AliasOf = "crop_mode")]
    public string? ResizeMode { get; init; }

    [ConfigKey("padding_side", "side input_ids are padded on", Allowed = new[] { "right", "left" }, Default = "right (left for collate_func_img2img)")]
    public string? PaddingSide { get; init; }
}

internal sealed record BadSamplesConfig
{
    [ConfigKey("budget", "fraction of the window that may fail before the run stops", Min = 0, Max = 1)]
    public double Budget { get; init; } = RootConfig.CaptionDefaults.FailureBudget;

    [ConfigKey("window", "number of recent reads the budget counts over", Min = 1, Max = 100_000_000)]
    public int Window { get; init; } = RootConfig.CaptionDefaults.FailureWindow;

    [ConfigKey("max_replacements", "replacements tried for one index", Min = 0, Max = 1_000_000)]
    public int MaxReplacements { get; init; } = RootConfig.CaptionDefaults.MaxReplacements;
}

/// <summary>VGT's prompt_template dict; the loader uses the first six keys, the others are accepted as VGT writes them.</summary>
internal sealed record PromptTemplateConfig
{
    [ConfigKey("name", "a label for messages", Default = "custom")] public string? Name { get; init; }
    [ConfigKey("INSTRUCTION", "the chat frame; {input} is replaced by GENERATION or CFG", Default = "required")] public string? Instruction { get; init; }
    [ConfigKey("GENERATION", "the caption's frame; {input} is the stripped caption", Default = "required")] public string? Generation { get; init; }
    [ConfigKey("CFG", "the unconditional prompt (drawn with probability unconditional)", Default = "required")] public string? Cfg { get; init; }
    [ConfigKey("IMG_START_TOKEN", "appended after the prompt when IMG_START_TOKEN_FOR_GENERATION", Default = "required")] public string? ImgStartToken { get; init; }
    [ConfigKey("IMG_START_TOKEN_FOR_GENERATION", "append IMG_START_TOKEN to every prompt", Default = "true")] public bool? ImgStartTokenForGeneration { get; init; }
    [ConfigKey("IMG_END_TOKEN", "accepted (model side; not used by the data loader)")] public string? ImgEndToken { get; init; }
    [ConfigKey("IMG_CONTEXT_TOKEN", "accepted (model side; not used by the data loader)")] public string? ImgContextToken { get; init; }
    [ConfigKey("SYSTEM", "accepted (VGT's text-to-image datasets do not use it)")] public string? System { get; init; }
    [ConfigKey("SUFFIX", "accepted (VGT's text-to-image datasets do not use it)")] public string? Suffix { get; init; }
    [ConfigKey("SUFFIX_AS_EOS", "accepted (VGT's text-to-image datasets do not use it)")] public bool? SuffixAsEos { get; init; }
    [ConfigKey("SEP", "accepted (VGT's text-to-image datasets do not use it)")] public string? Sep { get; init; }
    [ConfigKey("STOP_WORDS", "accepted (generation side; not used by the data loader)")] public List<string>? StopWords { get; init; }
}

/// <summary>VGT's <c>dict(type=AutoTokenizer.from_pretrained, ...)</c>.</summary>
internal sealed record TokenizerConfig
{
    [ConfigKey("type", "how VGT builds it", Allowed = new[] { "AutoTokenizer.from_pretrained" })]
    public string Type { get; init; } = "AutoTokenizer.from_pretrained";

    [ConfigKey("pretrained_model_name_or_path", "local folder holding tokenizer.json (relative to the file)", Kind = ValueKind.Path, Default = "required")]
    public string? PretrainedModelNameOrPath { get; init; }

    [ConfigKey("trust_remote_code", "accepted (no code is run)")] public bool? TrustRemoteCode { get; init; }

    [ConfigKey("padding_side", "accepted (the collate pads; see collate_fn.padding_side)", Allowed = new[] { "right", "left" })]
    public string? PaddingSide { get; init; }

    [ConfigKey("use_fast", "accepted (tokenizer.json is always the fast tokenizer)")] public bool? UseFast { get; init; }
}

internal sealed record TokenizerKwargsConfig
{
    [ConfigKey("add_special_tokens", "VGT passes True; the byte-level post-processors of Qwen/InternVL tokenizers add no token either way")]
    public bool AddSpecialTokens { get; init; } = true;
}

/// <summary><c>448</c>, <c>[h, w]</c> or <c>[[h, w], ...]</c> as (height, width) pairs; the schema check refused anything else.</summary>
internal sealed class ResolutionsConverter : JsonConverter<List<(int Height, int Width)>>
{
    public override List<(int Height, int Width)> Read(ref Utf8JsonReader reader, Type type, JsonSerializerOptions options) =>
        ConfigLoader.ParseResolutions(JsonNode.Parse(ref reader)) ?? throw new JsonException("expected [h, w] or a list of [h, w] pairs");

    public override void Write(Utf8JsonWriter writer, List<(int Height, int Width)> value, JsonSerializerOptions options) =>
        JsonSerializer.Serialize(writer, value.Select(r => new[] { r.Height, r.Width }), options);
}
