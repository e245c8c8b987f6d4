using System.Globalization;
using System.Text;

namespace VgtData.Config;

/// <summary>
/// The config reference (docs/config-reference.md), generated from <see cref="ConfigSchema"/> (read off the records) so it cannot drift:
/// every key with its kind, default, allowed values or range, and help.
/// </summary>
internal static class ConfigReference
{
    public static string Markdown()
    {
        var sb = new StringBuilder();
        sb.Append("# Config reference\n\n");
        sb.Append("Generated from the records in `src/VgtData/Config/ConfigRecords.cs` by `vgtdata config --reference`; a test fails\n");
        sb.Append("when this file is out of date. Regenerate with `./vgtdata config --reference > docs/config-reference.md`.\n\n");
        sb.Append("Key names are VGT's (see [vgt-configs.md](vgt-configs.md)). A key not listed here is an error naming the file\n");
        sb.Append("and key path; so is a value of the wrong kind or outside its range. `null` means \"not set\" (the default\n");
        sb.Append("applies). Relative paths are relative to the file that sets them (`--set` paths: to the current directory).\n\n");
        Section(sb, "Top level", "", ConfigSchema.Root, skip: ["dataset", "train_dataloader", "bad_samples"]);
        Section(sb, "dataset (and each ConcatDataset member)", "dataset.", ConfigSchema.Dataset, skip: ["image_source"]);
        Section(sb, "dataset.image_source", "dataset.image_source.", ConfigSchema.Dataset["image_source"].Children!);
        var loader = ConfigSchema.Root["train_dataloader"].Children!;
        Section(sb, "train_dataloader", "train_dataloader.", loader, skip: ["sampler", "collate_fn"]);
        Section(sb, "train_dataloader.sampler", "train_dataloader.sampler.", loader["sampler"].Children!);
        Section(sb, "train_dataloader.collate_fn", "train_dataloader.collate_fn.", loader["collate_fn"].Children!);
        Section(sb, "bad_samples", "bad_samples.", ConfigSchema.Root["bad_samples"].Children!);
        Section(sb, "prompt_template (VGT's dict form)", "prompt_template.", ConfigSchema.PromptTemplate);
        Section(sb, "tokenizer (VGT's dict form)", "tokenizer.", ConfigSchema.TokenizerObject);
        Section(sb, "tokenizer_kwargs", "tokenizer_kwargs.", ConfigSchema.Root["tokenizer_kwargs"].Children!);
        return sb.ToString();
    }

    private static void Section(StringBuilder sb, string title, string prefix, IReadOnlyDictionary<string, ConfigField> fields, string[]? skip = null)
    {
        sb.Append($"## {title}\n\n| key | kind | default | allowed | meaning |\n|---|---|---|---|---|\n");
        foreach (var (key, field) in fields)
        {
            if (skip?.Contains(key) == true) { sb.Append($"| `{prefix}{key}` | object | | | {Cell(field.Help)}; see its section |\n"); continue; }
            sb.Append($"| `{prefix}{key}` | {Kind(field)} | {Cell(field.Default)} | {Cell(Allowed(field))} | {Cell(field.Help)} |\n");
        }
        sb.Append('\n');
    }

    private static string Kind(ConfigField f) => f.Kind switch
    {
        _ when f.NullOnly => "null",
        ValueKind.String => "string",
        ValueKind.Path => "path",
        ValueKind.Int => "integer",
        ValueKind.Number => "number",
        ValueKind.Bool => "bool",
        ValueKind.Object => "object",
        ValueKind.StringOrObject => "string or object",
        ValueKind.Resolution or ValueKind.ResolutionList => "[h, w] or list of [h, w]",
        ValueKind.NumberList => "list of numbers",
        ValueKind.IntList => "list of integers",
        ValueKind.StringList => "list of strings",
        ValueKind.ObjectList => "list of objects",
        _ => f.Kind.ToString(),
    };

    private static string? Allowed(ConfigField f)
    {
        if (f.Allowed is { } names) return string.Join(", ", names.Select(n => $"`{n}`")) + (f.AliasOf is { } a ? $" (alias of `{a}`)" : "");
        if (f.Format == "device") return "`cpu`, `cuda`, `cuda:N`, `auto`";
        if (f.Min is null && f.Max is null) return f.Kind is ValueKind.Path or ValueKind.StringOrObject ? "not empty, no NUL" : null;
        static string N(double d) => d.ToString(CultureInfo.InvariantCulture);
        if (f.Max is { } max && max < int.MaxValue) return $"{N(f.Min ?? double.NegativeInfinity)} … {N(max)}";
        return f.Min is { } min && min > int.MinValue ? $"≥ {N(min)}" : null;
    }

    private static string Cell(string? text) => text is null ? "" : text.Replace("|", "\\|").Replace("\n", " ");
}
