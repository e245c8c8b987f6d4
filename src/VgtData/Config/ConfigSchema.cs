using VgtData.Loading;

namespace VgtData.Config;

/// <summary>The kinds of value a config key may hold.</summary>
internal enum ValueKind { String, Int, Number, Bool, Object, StringOrObject, Resolution, ResolutionList, NumberList, IntList, StringList, ObjectList, Path }

/// <summary>
/// One key of the config: its kind, its range or allowed names, its default (as documentation), and for objects the
/// keys it may hold. <see cref="ConfigLoader"/> checks every rule here; <see cref="ConfigReference"/> prints them.
/// </summary>
internal sealed record ConfigField(ValueKind Kind, IReadOnlyDictionary<string, ConfigField>? Children = null, string? Help = null)
{
    /// <summary>Smallest value allowed (numbers, and every item of a number list).</summary>
    public double? Min { get; init; }

    /// <summary>Largest value allowed.</summary>
    public double? Max { get; init; }

    /// <summary>The names a string may take (null: any).</summary>
    public IReadOnlyList<string>? Allowed { get; init; }

    /// <summary>The default when the key is absent, as the reference prints it (null: none, or "required").</summary>
    public string? Default { get; init; }

    /// <summary>The value may only be null: the key is accepted for VGT's configs, a value is "not supported yet".</summary>
    public bool NullOnly { get; init; }

    /// <summary>A named format a string must follow (<c>device</c>: cpu, cuda, cuda:N or auto).</summary>
    public string? Format { get; init; }

    /// <summary>The key is gone: any value is refused with this reason.</summary>
    public string? Removed { get; init; }

    /// <summary>Another name for <see cref="AliasOf"/>; both may not be set together.</summary>
    public string? AliasOf { get; init; }
}

/// <summary>
/// Every key a VgtData config may hold, with VGT's names. Anything else is an error naming the key, so a typo
/// (<c>batchsize</c>) fails before a long run instead of silently using a default.
/// </summary>
internal static class ConfigSchema
{
    /// <summary>Image sizes outside this range are refused before any tensor is allocated.</summary>
    public const int MinImageSize = 16, MaxImageSize = 8192;

    /// <summary>The spelling that selects the embedded o200k vocabulary (never chosen silently).</summary>
    public const string EmbeddedTokenizer = "embedded:o200k";

    /// <summary>VGT's <c>CaptionDataset</c> defaults.</summary>
    public const int DefaultMaxLength = 128, DefaultMinImageSize = 80, DefaultImageSize = 448;
    public const double DefaultUnconditional = 0.1;

    /// <summary>The pad id when neither <c>collate_fn.pad_index</c> nor <c>pad_index</c> is set (every VGT config passes 0).</summary>
    public const long DefaultPadIndex = 0;

    public static readonly string[] DatasetTypes = ["CaptionDataset", "BLIP3oDataset", "ConcatDataset"];
    public static readonly string[] SamplerTypes = ["InfiniteSampler", "DefaultSampler", "FixedBatchMultiSourceSampler", "WeightedMultiSourceSampler"];
    public static readonly string[] CollateTypes = ["collate_func_gen", "collate_func_img2img"];
    public static readonly string[] ResizeOn = ["cpu", "device"];
    public static readonly string[] CropModes = ["center", "random", "pad", "center_crop", "random_crop", "pad_resize"];

    private static ConfigField F(ValueKind kind, string help, string? dflt = null) => new(kind, null, help) { Default = dflt };
    private static ConfigField Int(string help, double min, double max, string? dflt = null) => new(ValueKind.Int, null, help) { Min = min, Max = max, Default = dflt };
    private static ConfigField Num(string help, double min, double max, string? dflt = null) => new(ValueKind.Number, null, help) { Min = min, Max = max, Default = dflt };
    private static ConfigField Names(string help, IReadOnlyList<string> allowed, string? dflt = null) => new(ValueKind.String, null, help) { Allowed = allowed, Default = dflt };
    private static ConfigField O(string help, Dictionary<string, ConfigField> children) => new(ValueKind.Object, children, help);

    /// <summary>VGT's prompt_template dict; the loader uses the first six keys, the others are accepted as VGT writes them.</summary>
    public static IReadOnlyDictionary<string, ConfigField> PromptTemplate { get; } = new Dictionary<string, ConfigField>
    {
        ["name"] = F(ValueKind.String, "a label for messages", "custom"),
        ["INSTRUCTION"] = F(ValueKind.String, "the chat frame; {input} is replaced by GENERATION or CFG", "required"),
        ["GENERATION"] = F(ValueKind.String, "the caption's frame; {input} is the stripped caption", "required"),
        ["CFG"] = F(ValueKind.String, "the unconditional prompt (drawn with probability unconditional)", "required"),
        ["IMG_START_TOKEN"] = F(ValueKind.String, "appended after the prompt when IMG_START_TOKEN_FOR_GENERATION", "required"),
        ["IMG_START_TOKEN_FOR_GENERATION"] = F(ValueKind.Bool, "append IMG_START_TOKEN to every prompt", "true"),
        ["IMG_END_TOKEN"] = F(ValueKind.String, "accepted (model side; not used by the data loader)"),
        ["IMG_CONTEXT_TOKEN"] = F(ValueKind.String, "accepted (model side; not used by the data loader)"),
        ["SYSTEM"] = F(ValueKind.String, "accepted (VGT's text-to-image datasets do not use it)"),
        ["SUFFIX"] = F(ValueKind.String, "accepted (VGT's text-to-image datasets do not use it)"),
        ["SUFFIX_AS_EOS"] = F(ValueKind.Bool, "accepted (VGT's text-to-image datasets do not use it)"),
        ["SEP"] = F(ValueKind.String, "accepted (VGT's text-to-image datasets do not use it)"),
        ["STOP_WORDS"] = F(ValueKind.StringList, "accepted (generation side; not used by the data loader)"),
    };

    /// <summary>VGT's <c>dict(type=AutoTokenizer.from_pretrained, ...)</c>.</summary>
    public static IReadOnlyDictionary<string, ConfigField> TokenizerObject { get; } = new Dictionary<string, ConfigField>
    {
        ["type"] = Names("how VGT builds it", ["AutoTokenizer.from_pretrained"], "AutoTokenizer.from_pretrained"),
        ["pretrained_model_name_or_path"] = F(ValueKind.Path, "local folder holding tokenizer.json (relative to the file)", "required"),
        ["trust_remote_code"] = F(ValueKind.Bool, "accepted (no code is run)"),
        ["padding_side"] = Names("accepted (the collate pads; see collate_fn.padding_side)", ["right", "left"]),
        ["use_fast"] = F(ValueKind.Bool, "accepted (tokenizer.json is always the fast tokenizer)"),
    };

    private static readonly Dictionary<string, ConfigField> TokenizerKwargs = new()
    {
        ["add_special_tokens"] = F(ValueKind.Bool, "VGT passes True; the byte-level post-processors of Qwen/InternVL tokenizers add no token either way", "true"),
    };

    /// <summary>Keys a dataset and each ConcatDataset member may set; per-member values override the root's.</summary>
    private static Dictionary<string, ConfigField> Text(bool member)
    {
        string D(string value) => member ? $"the enclosing value, else {value}" : value;
        return new()
        {
            ["prompt_template"] = new(ValueKind.StringOrObject, PromptTemplate,
                "a built-in name (internvl3, qwen25vl), a .json file, or VGT's dict") { Default = D("qwen25vl") },
            ["tokenizer"] = new(ValueKind.StringOrObject, TokenizerObject,
                $"folder with tokenizer.json, VGT's AutoTokenizer dict, or \"{EmbeddedTokenizer}\" for the embedded vocabulary")
                { Default = member ? "the enclosing value; one is required" : "required (here or on every dataset)" },
            ["tokenizer_kwargs"] = O("keyword arguments of tokenizer.encode", TokenizerKwargs),
            ["image_size"] = Int("side of the square pixel_values", MinImageSize, MaxImageSize, D(DefaultImageSize.ToString())),
            ["max_length"] = Int("input_ids are cut to this many tokens (VGT's CaptionDataset truncates by default)", 1, 1_000_000, D(DefaultMaxLength.ToString())),
            ["image_length"] = Int("accepted (number of image tokens; model side)", 1, 1_000_000),
        };
    }

    public static IReadOnlyDictionary<string, ConfigField> Dataset { get; } = new Dictionary<string, ConfigField>(Text(member: true))
    {
        ["type"] = Names("dataset class", DatasetTypes, "CaptionDataset"),
        ["data_path"] = F(ValueKind.Path, "data.json, a folder of *.json, or a .jsonl file", "required, unless shards is set"),
        ["shards"] = F(ValueKind.Path, "webdataset tar shards read as the entries, with no data_path: brace ranges and globs, e.g. DIR/train-{0000..0252}.tar (docs/webdataset.md)"),
        ["image_folder"] = F(ValueKind.Path, "where the entries' image paths are relative to", "data_path's folder"),
        ["cap_folder"] = F(ValueKind.Path, "where annotation files are relative to"),
        ["cap_source"] = F(ValueKind.String, "the entry (or annotation) key holding the caption", "caption"),
        ["unconditional"] = Num("probability of the CFG prompt instead of the caption", 0, 1, "0.1"),
        ["truncate"] = Names("how max_length cuts: the token ids' tail, or the caption inside the frame", ["ids", "caption"], "ids"),
        ["min_image_size"] = Int("images with a smaller side are bad samples", 0, MaxImageSize, DefaultMinImageSize.ToString()),
        ["crop2square"] = F(ValueKind.Bool, "random square crop along the long side before the resize", "true"),
        ["jpeg_draft"] = F(ValueKind.Bool, "decode JPEGs DCT-scaled as Pillow's draft('RGB', (image_size, image_size)) before the crop", "false"),
        ["max_file_mb"] = Int("image files larger than this many MiB are bad samples (refused unread)", 1, 1 << 20, "256"),
        ["max_decode_mb"] = Int("images whose decode needs more MiB than this (width × height × 4) are bad samples", 1, 1 << 20, "256"),
        ["decoder"] = new(ValueKind.String, null, "removed: each image format has one decoder (docs/images.md); a value is refused")
        {
            Removed = "the key is gone, each image format has one decoder (docs/images.md); remove it",
        },
        ["train_number_samples"] = Int("use only the first N entries", 1, int.MaxValue),
        ["index"] = F(ValueKind.Bool, "read the entries through the memory-mapped index built beside data_path (docs/memory.md); false parses the JSON every start", "true"),
        ["debug"] = F(ValueKind.Bool, "every index serves entry 0", "false"),
        ["repeat"] = Num("FixedBatchMultiSourceSampler: consecutive batches of this member per cycle (a whole number, VGT's sampler repeat); WeightedMultiSourceSampler: its weight", 0, 1_000_000, "1"),
        ["image_latents_folder"] = F(ValueKind.Path, "read <image>.pt latents instead of decoding images"),
        ["image_tokens_folder"] = F(ValueKind.Path, "read int64 <image>.pt tokens instead of decoding images"),
        ["ceph_folder"] = F(ValueKind.String, "object storage: s3://bucket/prefix (or cluster:s3://…) holding the images, read when ceph_config or the AWS environment gives credentials"),
        ["ceph_config"] = F(ValueKind.Path, "object storage: petrel-style INI ([DEFAULT] default_cluster; per cluster access_key, secret_key, host_base)", "the AWS environment"),
        ["latents_ceph_folder"] = F(ValueKind.String, "object storage: s3:// prefix holding <image>.pt latents (instead of image_latents_folder)"),
        ["image_source"] = O("where image bytes come from", new()
        {
            ["type"] = Names("folder: files below image_folder; tar: members of tar parts", ["folder", "tar"], "folder"),
            ["parts"] = F(ValueKind.Path, "glob of tar parts, relative to the config, or s3://bucket/prefix/part_*.tar"),
        }),
        ["datasets"] = F(ValueKind.ObjectList, "ConcatDataset members (each a dataset, or {\"base\": FILE, ...})"),
    };

    public static IReadOnlyDictionary<string, ConfigField> Root { get; } = new Dictionary<string, ConfigField>(Text(member: false))
    {
        ["base"] = F(ValueKind.StringList, "config files this one extends (later keys override)"),
        ["pad_index"] = new(ValueKind.Int, null, "shorthand for train_dataloader.collate_fn.pad_index (VGT's processors.py variable)")
            { Min = 0, Max = int.MaxValue, Default = DefaultPadIndex.ToString() },
        ["seed"] = Int("seed of every random draw", int.MinValue, int.MaxValue, "0"),
        ["dataset"] = O("the dataset (VGT writes it as train_dataloader.dataset; either place works)", new Dictionary<string, ConfigField>(Dataset)),
        ["train_dataloader"] = O("VGT's train_dataloader", new()
        {
            ["batch_size"] = Int("samples per batch", 1, 65_536, "32"),
            ["num_workers"] = Int("decode workers (0: on the consumer's thread)", 0, DataLoaderOptions.MaxWorkers, "CPU count"),
            ["prefetch_factor"] = Int("batches in flight per worker", 0, DataLoaderOptions.MaxPrefetchFactor, "2"),
            ["drop_last"] = F(ValueKind.Bool, "finite samplers: drop a short last batch", "false"),
            ["persistent_workers"] = F(ValueKind.Bool, "accepted (workers always persist)"),
            ["pin_memory"] = F(ValueKind.Bool, "accepted (host staging for the device is chosen by device and uint8_transfer)"),
            ["device"] = new(ValueKind.String, null, "where batches are delivered: cpu, cuda, cuda:N or auto") { Default = "cpu", Format = "device" },
            ["dtype"] = Names("pixel_values dtype", ["float32", "bfloat16"], "float32"),
            ["uint8_transfer"] = F(ValueKind.Bool, "copy uint8 to the device and normalise there", "on for CUDA"),
            ["resize_on"] = Names("where the crop is resized to image_size: cpu (Pillow-exact, in the workers) or device (a torch bicubic on the batch's device, close to Pillow but not equal)", ResizeOn, "cpu"),
            ["dataset"] = O("VGT's place for the dataset; the same as the root dataset", new Dictionary<string, ConfigField>(Dataset)),
            ["sampler"] = O("VGT's sampler", new()
            {
                ["type"] = Names("sampler class", SamplerTypes, "InfiniteSampler"),
                ["shuffle"] = F(ValueKind.Bool, "shuffle the indices", "true"),
                ["seed"] = Int("sampler seed", int.MinValue, int.MaxValue, "seed"),
                ["round_up"] = F(ValueKind.Bool, "DefaultSampler: pad the last rank's share", "true"),
                ["repeat"] = new(ValueKind.IntList, null, "FixedBatchMultiSourceSampler: consecutive batches per source, one per ConcatDataset member")
                    { Min = 0, Max = 1_000_000, Default = "members' repeat, else 1" },
                ["batch_size"] = Int("multi-source samplers: batch size of their batches", 1, 65_536, "train_dataloader.batch_size"),
            }),
            ["collate_fn"] = O("VGT's collate_fn", new()
            {
                ["type"] = Names("collate function", CollateTypes, "collate_func_gen"),
                ["resolutions"] = new(ValueKind.ResolutionList, null, "(h, w) or a list of (h, w); one is drawn per batch")
                    { Min = MinImageSize, Max = MaxImageSize, Default = "the samples' size" },
                ["resolutions_ratio"] = new(ValueKind.NumberList, null, "weights of resolutions") { Min = 0, Max = 1e9, Default = "uniform" },
                ["pad_index"] = new(ValueKind.Int, null, "id that pads input_ids") { Min = 0, Max = int.MaxValue, Default = "pad_index, else 0" },
                ["crop_mode"] = Names("how a sample is fitted to a batch resolution that differs from its size", CropModes, "center"),
                ["resize_mode"] = new(ValueKind.String, null, "older name of crop_mode") { Allowed = CropModes, AliasOf = "crop_mode" },
                ["padding_side"] = Names("side input_ids are padded on", ["right", "left"], "right (left for collate_func_img2img)"),
            }),
        }),
        ["bad_samples"] = O("bad-sample budget", new()
        {
            ["budget"] = Num("fraction of the window that may fail before the run stops", 0, 1, "0.1"),
            ["window"] = Int("number of recent reads the budget counts over", 1, 100_000_000, "1000"),
            ["max_replacements"] = Int("replacements tried for one index", 0, 1_000_000, "32"),
        }),
    };
}
