using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace VgtData.Config;

/// <summary>The kinds of value a config key may hold.</summary>
internal enum ValueKind { String, Int, Number, Bool, Object, StringOrObject, Resolution, ResolutionList, NumberList, IntList, StringList, ObjectList, Path }

/// <summary>
/// One key of the config: its kind, its range or allowed names, its default (as documentation), and for objects the
/// keys it may hold. Derived from the <see cref="ConfigKeyAttribute"/> of a record property; <see cref="ConfigLoader"/> checks every
/// rule here, <see cref="ConfigReference"/> prints them.
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
/// Every key a VgtData config may hold, with VGT's names, read off the typed records (<see cref="RootConfig"/> and the
/// records below it). Anything else is an error naming the key, so a typo (<c>batchsize</c>) fails before a long run
/// instead of silently using a default.
/// </summary>
internal static class ConfigSchema
{
    /// <summary>Image sizes outside this range are refused before any tensor is allocated.</summary>
    public const int MinImageSize = 16, MaxImageSize = 8192;

    /// <summary>The spelling that selects the embedded o200k vocabulary (never chosen silently).</summary>
    public const string EmbeddedTokenizer = "embedded:o200k";

    /// <summary>How the records are bound: the JSON names are the <see cref="ConfigKeyAttribute"/> names, and a key no
    /// record holds is refused (the schema check has reported it first, with its file and key path).</summary>
    internal static readonly JsonSerializerOptions Json = new()
    {
        TypeInfoResolver = new DefaultJsonTypeInfoResolver { Modifiers = { UseKeyNames } },
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        // The loader's reader and --set allow 64 levels below the root; binding must not refuse what they accepted.
        MaxDepth = 128,
    };

    private static void UseKeyNames(JsonTypeInfo type)
    {
        foreach (var property in type.Properties)
            if (Key(property) is { } key) property.Name = key.Name;
    }

    private static ConfigKeyAttribute? Key(JsonPropertyInfo p) =>
        p.AttributeProvider?.GetCustomAttributes(typeof(ConfigKeyAttribute), false).OfType<ConfigKeyAttribute>().FirstOrDefault();

    public static IReadOnlyDictionary<string, ConfigField> Root { get; } = Fields(typeof(RootConfig));
    public static IReadOnlyDictionary<string, ConfigField> Dataset { get; } = Root["dataset"].Children!;
    public static IReadOnlyDictionary<string, ConfigField> PromptTemplate { get; } = Root["prompt_template"].Children!;
    public static IReadOnlyDictionary<string, ConfigField> TokenizerObject { get; } = Root["tokenizer"].Children!;

    /// <summary>The keys of one record, in declaration order, each with the rules its attribute states.</summary>
    private static Dictionary<string, ConfigField> Fields(Type record)
    {
        var info = Json.GetTypeInfo(record);
        var defaults = info.CreateObject!();
        var fields = new Dictionary<string, ConfigField>(StringComparer.Ordinal);
        foreach (var p in info.Properties)
        {
            var key = Key(p) ?? throw new InvalidOperationException($"{record.Name}.{p.Name} has no [ConfigKey]");
            var kind = (int)key.Kind >= 0 ? key.Kind : KindOf(p.PropertyType);
            var childType = key.Children ?? (kind == ValueKind.Object ? Nullable(p.PropertyType) : null);
            fields[key.Name] = new ConfigField(kind, childType is null ? null : Fields(childType), key.Help)
            {
                Min = double.IsNaN(key.Min) ? null : key.Min,
                Max = double.IsNaN(key.Max) ? null : key.Max,
                Allowed = key.Allowed ?? (key.AliasOf is { } alias ? fields[alias].Allowed : null),
                Default = key.Default ?? (key.Inherited ? $"the enclosing value, else {Text(Inherit(key.Name))}" : Text(p.Get!(defaults))),
                NullOnly = key.NullOnly,
                Format = key.Format,
                Removed = key.Removed,
                AliasOf = key.AliasOf,
            };
        }
        return fields;
    }

    private static Type Nullable(Type t) => System.Nullable.GetUnderlyingType(t) ?? t;

    private static ValueKind KindOf(Type type)
    {
        var t = Nullable(type);
        if (t == typeof(int) || t == typeof(long)) return ValueKind.Int;
        if (t == typeof(double)) return ValueKind.Number;
        if (t == typeof(bool)) return ValueKind.Bool;
        if (t == typeof(string)) return ValueKind.String;
        if (t == typeof(List<int>)) return ValueKind.IntList;
        if (t == typeof(List<double>)) return ValueKind.NumberList;
        if (t == typeof(List<string>)) return ValueKind.StringList;
        if (t == typeof(List<DatasetConfig>)) return ValueKind.ObjectList;
        if (t.IsClass && t.GetCustomAttributes(typeof(ConfigKeyAttribute), false).Length == 0 && t.Namespace == typeof(RootConfig).Namespace)
            return ValueKind.Object;
        throw new InvalidOperationException($"no config kind for {t}; name it with ConfigKey.Kind");
    }

    /// <summary>The top level's value of an inherited dataset key: the dataset's default.</summary>
    private static object? Inherit(string name)
    {
        var info = Json.GetTypeInfo(typeof(RootConfig));
        return info.Properties.Single(p => Key(p)?.Name == name).Get!(info.CreateObject!());
    }

    private static string? Text(object? value) => value switch
    {
        null => null,
        bool b => b ? "true" : "false",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        JsonValue v => v.ToString(),
        string s => s,
        _ => null,
    };
}
