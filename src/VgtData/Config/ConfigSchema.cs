namespace VgtData.Config;

/// <summary>The kinds of value a config key may hold.</summary>
public enum ValueKind { String, Int, Number, Bool, Object, StringOrObject, Resolution, ResolutionList, NumberList, StringList, ObjectList, Path }

/// <summary>One key of the config: its kind, and for objects the keys it may hold.</summary>
public sealed record ConfigField(ValueKind Kind, IReadOnlyDictionary<string, ConfigField>? Children = null, string? Help = null);

/// <summary>
/// Every key a VgtData config may hold, with the anchor's names. Anything else is an error naming the key, so a typo
/// (<c>batchsize</c>) fails before a long run instead of silently using a default.
/// </summary>
public static class ConfigSchema
{
    private static ConfigField F(ValueKind kind, string? help = null) => new(kind, null, help);
    private static ConfigField O(Dictionary<string, ConfigField> children) => new(ValueKind.Object, children);

    public static IReadOnlyDictionary<string, ConfigField> Dataset { get; } = new Dictionary<string, ConfigField>
    {
        ["type"] = F(ValueKind.String, "CaptionDataset | BLIP3oDataset | ConcatDataset"),
        ["data_path"] = F(ValueKind.Path),
        ["image_folder"] = F(ValueKind.Path),
        ["cap_folder"] = F(ValueKind.Path),
        ["cap_source"] = F(ValueKind.String),
        ["unconditional"] = F(ValueKind.Number),
        ["max_length"] = F(ValueKind.Int),
        ["truncate"] = F(ValueKind.String, "ids | caption"),
        ["image_size"] = F(ValueKind.Int),
        ["min_image_size"] = F(ValueKind.Int),
        ["max_file_mb"] = F(ValueKind.Int, "refuse image files larger than this many MiB (default 256)"),
        ["max_decode_mb"] = F(ValueKind.Int, "refuse images whose decode needs more than this many MiB, width × height × 4 (default 256)"),
        ["crop2square"] = F(ValueKind.Bool),
        ["jpeg_draft"] = F(ValueKind.Bool, "decode JPEGs DCT-scaled as Pillow's draft('RGB', (image_size, image_size))"),
        ["decoder"] = F(ValueKind.String, "imagesharp | skia"),
        ["train_number_samples"] = F(ValueKind.Int),
        ["debug"] = F(ValueKind.Bool),
        ["repeat"] = F(ValueKind.Number, "weight of this source in FixedBatchMultiSourceSampler"),
        ["image_latents_folder"] = F(ValueKind.Path),
        ["image_tokens_folder"] = F(ValueKind.Path),
        ["image_source"] = O(new()
        {
            ["type"] = F(ValueKind.String, "folder | tar"),
            ["parts"] = F(ValueKind.String, "glob of tar parts, relative to the config"),
        }),
        ["datasets"] = F(ValueKind.ObjectList, "ConcatDataset members"),
    };

    public static IReadOnlyDictionary<string, ConfigField> Root { get; } = new Dictionary<string, ConfigField>
    {
        ["base"] = F(ValueKind.StringList, "config files this one extends (later keys override)"),
        ["tokenizer"] = F(ValueKind.Path, "folder with tokenizer.json; absent = embedded o200k"),
        ["prompt_template"] = F(ValueKind.StringOrObject),
        ["image_size"] = F(ValueKind.Int),
        ["pad_index"] = F(ValueKind.Int),
        ["seed"] = F(ValueKind.Int),
        ["dataset"] = O(new Dictionary<string, ConfigField>(Dataset)),
        ["train_dataloader"] = O(new()
        {
            ["batch_size"] = F(ValueKind.Int),
            ["num_workers"] = F(ValueKind.Int),
            ["prefetch_factor"] = F(ValueKind.Int),
            ["drop_last"] = F(ValueKind.Bool),
            ["persistent_workers"] = F(ValueKind.Bool),
            ["pin_memory"] = F(ValueKind.Bool),
            ["device"] = F(ValueKind.String, "cpu | cuda[:n] | auto"),
            ["dtype"] = F(ValueKind.String, "float32 | bfloat16"),
            ["uint8_transfer"] = F(ValueKind.Bool),
            ["sampler"] = O(new()
            {
                ["type"] = F(ValueKind.String, "InfiniteSampler | DefaultSampler | FixedBatchMultiSourceSampler"),
                ["shuffle"] = F(ValueKind.Bool),
                ["seed"] = F(ValueKind.Int),
                ["round_up"] = F(ValueKind.Bool),
            }),
            ["collate_fn"] = O(new()
            {
                ["type"] = F(ValueKind.String, "collate_func_gen | collate_func_img2img"),
                ["resolutions"] = F(ValueKind.ResolutionList),
                ["resolutions_ratio"] = F(ValueKind.NumberList),
                ["resize_mode"] = F(ValueKind.String, "center_crop | random_crop | pad_resize"),
                ["padding_side"] = F(ValueKind.String, "right | left"),
            }),
        }),
        ["bad_samples"] = O(new()
        {
            ["budget"] = F(ValueKind.Number, "fraction of the window that may fail"),
            ["window"] = F(ValueKind.Int),
            ["max_replacements"] = F(ValueKind.Int),
        }),
    };
}
