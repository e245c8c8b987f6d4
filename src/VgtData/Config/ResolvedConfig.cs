using System.Text.Json;
using System.Text.Json.Nodes;

namespace VgtData.Config;

/// <summary>A config after base composition and overrides: the merged JSON, which file set each key, and warnings.</summary>
public sealed class ResolvedConfig
{
    internal ResolvedConfig(string file, JsonObject root, IReadOnlyDictionary<string, string> provenance, IReadOnlyList<ConfigIssue> issues, RootConfig settings)
    {
        Settings = settings;
        File = file;
        Root = root;
        Provenance = provenance;
        Issues = issues;
    }

    /// <summary>Reads <paramref name="path"/> with its <c>base</c> files, applies <c>--set</c>-style
    /// <paramref name="overrides"/> (<c>a.b=value</c>) and checks every key; a bad config throws
    /// <see cref="ConfigException"/> listing each error with its file and key path.</summary>
    public static ResolvedConfig Load(string path, IEnumerable<string>? overrides = null) => ConfigLoader.Load(path, overrides);

    /// <summary>The checks that look outside the config (files exist, the tokenizer fits the template): its load
    /// warnings plus these. Missing data is a warning unless <paramref name="strict"/>.</summary>
    public IReadOnlyList<ConfigIssue> Validate(bool strict) => ConfigValidator.Check(this, strict);

    /// <summary>The config file that was loaded (its bases are in <see cref="Provenance"/>).</summary>
    public string File { get; }

    public JsonObject Root { get; }

    /// <summary>Key path → the file (or <c>--set</c>) that set it.</summary>
    public IReadOnlyDictionary<string, string> Provenance { get; }

    public IReadOnlyList<ConfigIssue> Issues { get; }

    /// <summary>The same config as typed records, each absent key at its default.</summary>
    internal RootConfig Settings { get; }

    public string SourceOf(string keyPath) => Provenance.GetValueOrDefault(keyPath, File);

    public string ToJson() => Root.ToJsonString(new JsonSerializerOptions { WriteIndented = true });

    public JsonNode? Node(string keyPath) => Find(Root, keyPath);

    internal static JsonNode? Find(JsonObject root, string keyPath)
    {
        JsonNode? node = root;
        foreach (var key in keyPath.Split('.'))
        {
            if (node is not JsonObject o || !o.TryGetPropertyValue(key, out node)) return null;
        }
        return node;
    }
}
