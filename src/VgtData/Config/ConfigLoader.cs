using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace VgtData.Config;

/// <summary>
/// Reads a JSON config the way mmengine reads a Python one: <c>base</c> files first (each relative to the file naming
/// it), later keys overriding earlier ones object by object, then <c>--set a.b=value</c> overrides. Relative paths are
/// resolved against the file that set them. Every key is checked against <see cref="ConfigSchema"/>.
/// </summary>
public static class ConfigLoader
{
    /// <summary>Loads and checks the structure (keys and types). File-system and tokenizer checks are in
    /// <see cref="ConfigValidator"/>.</summary>
    public static ResolvedConfig Load(string path, IEnumerable<string>? overrides = null)
    {
        var issues = new List<ConfigIssue>();
        var provenance = new Dictionary<string, string>(StringComparer.Ordinal);
        var root = new JsonObject();
        LoadInto(root, Path.GetFullPath(path), provenance, issues, new Stack<string>());
        foreach (var o in overrides ?? Array.Empty<string>()) ApplyOverride(root, o, provenance, issues);
        var mainFile = Path.GetFullPath(path);
        MoveLoaderDataset(root, provenance, mainFile, issues);
        CheckObject(root, ConfigSchema.Root, "", provenance, mainFile, issues);
        CheckTokenizerPresent(root, provenance, mainFile, issues);
        var errors = issues.Where(i => !i.IsWarning).ToList();
        if (errors.Count > 0) throw new ConfigException(errors);
        return new ResolvedConfig(Path.GetFullPath(path), root, provenance, issues);
    }

    /// <summary>Deepest chain of <c>base</c> files (and member files) followed; deeper is an error, never a stack overflow.</summary>
    public const int MaxBaseDepth = 64;

    private static void LoadInto(JsonObject target, string file, Dictionary<string, string> provenance, List<ConfigIssue> issues, Stack<string> chain)
    {
        if (chain.Count >= MaxBaseDepth)
        {
            issues.Add(new ConfigIssue(chain.Peek(), "base", $"more than {MaxBaseDepth} nested base files (from {Path.GetFileName(chain.Last())}); is the chain meant to be this deep?"));
            throw new ConfigException(issues);
        }
        if (chain.Contains(file))
        {
            issues.Add(new ConfigIssue(file, "base", $"circular base: {string.Join(" -> ", chain.Reverse().Append(file).Select(Path.GetFileName))}"));
            return;
        }
        if (!File.Exists(file))
        {
            issues.Add(new ConfigIssue(chain.Count > 0 ? chain.Peek() : file, chain.Count > 0 ? "base" : "", $"config file '{file}' does not exist"));
            throw new ConfigException(issues);
        }
        JsonNode? node;
        try
        {
            node = JsonNode.Parse(File.ReadAllText(file), documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        }
        catch (JsonException e)
        {
            issues.Add(new ConfigIssue(file, "", $"invalid JSON at line {e.LineNumber + 1}: {e.Message}"));
            throw new ConfigException(issues);
        }
        if (node is not JsonObject obj)
        {
            issues.Add(new ConfigIssue(file, "", "a config must be a JSON object"));
            throw new ConfigException(issues);
        }
        chain.Push(file);
        var dir = Path.GetDirectoryName(file)!;
        if (obj["base"] is JsonNode baseNode)
        {
            var bases = baseNode is JsonArray a ? a.Select(x => x?.GetValueKind() == JsonValueKind.String ? x.GetValue<string>() : null).ToList()
                : baseNode.GetValueKind() == JsonValueKind.String ? [baseNode.GetValue<string>()] : null;
            if (bases is null || bases.Any(b => b is null))
                issues.Add(new ConfigIssue(file, "base", "expected a file name or a list of file names"));
            else
                foreach (var b in bases) LoadInto(target, Path.GetFullPath(Path.Combine(dir, b!)), provenance, issues, chain);
        }
        var own = (JsonObject)obj.DeepClone();
        own.Remove("base");
        ResolvePaths(own, ConfigSchema.Root, dir);
        var memberProvenance = new Dictionary<string, string>(StringComparer.Ordinal);
        if (own["dataset"] is JsonObject dataset) ExpandMembers(dataset, "dataset", dir, file, memberProvenance, issues, chain);
        if (own["train_dataloader"] is JsonObject { } loaderBlock && loaderBlock["dataset"] is JsonObject loaderDataset)
            ExpandMembers(loaderDataset, "train_dataloader.dataset", dir, file, memberProvenance, issues, chain);
        Merge(target, own, "", file, provenance);
        foreach (var (key, source) in memberProvenance) provenance[key] = source;
        chain.Pop();
    }

    /// <summary>
    /// A ConcatDataset member <c>{"base": "file.json", ...}</c> becomes that file's <c>dataset</c> object (with its own
    /// bases and paths resolved relative to it), the item's other keys (e.g. <c>repeat</c>) overriding it. Keys keep
    /// the file that set them, so errors name the member file.
    /// </summary>
    private static void ExpandMembers(JsonObject dataset, string path, string dir, string file, Dictionary<string, string> provenance,
        List<ConfigIssue> issues, Stack<string> chain)
    {
        if (dataset["datasets"] is not JsonArray list) return;
        for (int i = 0; i < list.Count; i++)
        {
            var itemPath = $"{path}.datasets[{i}]";
            if (list[i] is not JsonObject item) continue;
            if (!item.ContainsKey("base"))
            {
                ExpandMembers(item, itemPath, dir, file, provenance, issues, chain);
                continue;
            }
            if (item["base"] is not JsonValue b || b.GetValueKind() != JsonValueKind.String)
            {
                issues.Add(new ConfigIssue(file, $"{itemPath}.base", "expected the name of a config file with a \"dataset\" block"));
                continue;
            }
            var memberFile = Path.GetFullPath(Path.Combine(dir, b.GetValue<string>()));
            var loaded = new JsonObject();
            var loadedProvenance = new Dictionary<string, string>(StringComparer.Ordinal);
            int errorsBefore = issues.Count(x => !x.IsWarning);
            LoadInto(loaded, memberFile, loadedProvenance, issues, chain);
            if (issues.Count(x => !x.IsWarning) > errorsBefore) continue;
            foreach (var (key, _) in loaded.Where(kv => kv.Key != "dataset"))
                issues.Add(new ConfigIssue(memberFile, key, $"ignored: only the \"dataset\" block of a file used as {itemPath}.base is read", IsWarning: true));
            if (loaded["dataset"] is not JsonObject member)
            {
                issues.Add(new ConfigIssue(file, $"{itemPath}.base", $"'{memberFile}' has no \"dataset\" block"));
                continue;
            }
            loaded.Remove("dataset");
            foreach (var (key, source) in loadedProvenance)
                if (key == "dataset" || key.StartsWith("dataset.", StringComparison.Ordinal) || key.StartsWith("dataset[", StringComparison.Ordinal))
                    provenance[itemPath + key["dataset".Length..]] = source;
            provenance[itemPath] = memberFile;
            var overrides = (JsonObject)item.DeepClone();
            overrides.Remove("base");
            Merge(member, overrides, itemPath, file, provenance);
            list[i] = member;
        }
    }

    /// <summary>Makes path-valued keys absolute, relative to the directory of the file that holds them. Empty strings,
    /// strings with a NUL and <c>embedded:</c> names stay as written (the schema check reports the first two).</summary>
    private static void ResolvePaths(JsonObject obj, IReadOnlyDictionary<string, ConfigField> schema, string dir)
    {
        foreach (var (key, value) in obj.ToList())
        {
            if (value is null || !schema.TryGetValue(key, out var field)) continue;
            bool isString = value.GetValueKind() == JsonValueKind.String;
            if (isString && (field.Kind == ValueKind.Path || key == "tokenizer"))
                obj[key] = ResolvePath(value.GetValue<string>(), dir);
            else if (value is JsonObject child && field.Children != null)
                ResolvePaths(child, field.Children, dir);
            else if (field.Kind == ValueKind.ObjectList && value is JsonArray list)
                foreach (var item in list.OfType<JsonObject>()) ResolvePaths(item, ConfigSchema.Dataset, dir);
            else if (key == "prompt_template" && isString)
            {
                var name = value.GetValue<string>();
                if (name.EndsWith(".json", StringComparison.OrdinalIgnoreCase)) obj[key] = ResolvePath(name, dir);
            }
        }
    }

    private static string ResolvePath(string text, string dir) =>
        text.Length == 0 || text.Contains('\0') || text.StartsWith("embedded:", StringComparison.Ordinal) || Storage.S3Location.IsUrl(text)
            ? text : Path.GetFullPath(Path.Combine(dir, text));

    private static void Merge(JsonObject target, JsonObject source, string prefix, string file, Dictionary<string, string> provenance)
    {
        foreach (var (key, value) in source.ToList())
        {
            var path = prefix.Length == 0 ? key : $"{prefix}.{key}";
            if (value is JsonObject src && target[key] is JsonObject dst)
            {
                Merge(dst, src, path, file, provenance);
                continue;
            }
            target[key] = value?.DeepClone();
            foreach (var stale in provenance.Keys.Where(k => k.StartsWith(path + ".", StringComparison.Ordinal) || k.StartsWith(path + "[", StringComparison.Ordinal)).ToList())
                provenance.Remove(stale);
            Record(value, path, file, provenance);
        }
    }

    private static void Record(JsonNode? value, string path, string file, Dictionary<string, string> provenance)
    {
        provenance[path] = file;
        if (value is JsonObject o) foreach (var (k, v) in o) Record(v, $"{path}.{k}", file, provenance);
        if (value is JsonArray a) for (int i = 0; i < a.Count; i++) Record(a[i], $"{path}[{i}]", file, provenance);
    }

    /// <summary><c>a.b.c=value</c>: the value is JSON when it parses as JSON, a string otherwise (like --cfg-options).</summary>
    private static void ApplyOverride(JsonObject root, string assignment, Dictionary<string, string> provenance, List<ConfigIssue> issues)
    {
        int eq = assignment.IndexOf('=');
        if (eq <= 0)
        {
            issues.Add(new ConfigIssue("--set", assignment, "expected KEY.PATH=VALUE"));
            return;
        }
        var keys = assignment[..eq].Split('.');
        var text = assignment[(eq + 1)..];
        JsonNode? value;
        try { value = JsonNode.Parse(text); }
        catch (JsonException) { value = JsonValue.Create(text); }
        var obj = root;
        for (int i = 0; i < keys.Length - 1; i++)
        {
            if (obj[keys[i]] is not JsonObject next)
            {
                next = new JsonObject();
                obj[keys[i]] = next;
            }
            obj = next;
        }
        var leaf = keys[^1];
        if (value is JsonValue v && v.GetValueKind() == JsonValueKind.String && IsPathKey(keys))
            value = ResolvePath(v.GetValue<string>(), Directory.GetCurrentDirectory());
        obj[leaf] = value;
        Record(value, string.Join('.', keys), "--set", provenance);
    }

    private static bool IsPathKey(string[] keys)
    {
        IReadOnlyDictionary<string, ConfigField>? schema = ConfigSchema.Root;
        ConfigField? field = null;
        foreach (var k in keys)
        {
            if (schema is null || !schema.TryGetValue(k, out field)) return false;
            schema = field.Children;
        }
        return field?.Kind == ValueKind.Path || keys[^1] == "tokenizer" && keys.Length == 1;
    }

    /// <summary>VGT nests the dataset in <c>train_dataloader.dataset</c>; it becomes the root <c>dataset</c> (one place only).</summary>
    private static void MoveLoaderDataset(JsonObject root, Dictionary<string, string> provenance, string mainFile, List<ConfigIssue> issues)
    {
        const string from = "train_dataloader.dataset";
        if (root["train_dataloader"] is not JsonObject loader || !loader.ContainsKey("dataset")) return;
        var node = loader["dataset"];
        if (root.ContainsKey("dataset") && node is not null)
        {
            issues.Add(new ConfigIssue(provenance.GetValueOrDefault(from, mainFile), from,
                $"the dataset is set twice: here and as \"dataset\" in {provenance.GetValueOrDefault("dataset", mainFile)}; keep one"));
            return;
        }
        loader.Remove("dataset");
        if (node is null) return;
        root["dataset"] = node;
        foreach (var key in provenance.Keys.Where(k => k == from || k.StartsWith(from + ".", StringComparison.Ordinal) || k.StartsWith(from + "[", StringComparison.Ordinal)).ToList())
        {
            provenance["dataset" + key[from.Length..]] = provenance[key];
            provenance.Remove(key);
        }
    }

    /// <summary>No silent tokenizer: every dataset needs one, its own or inherited from the root.</summary>
    private static void CheckTokenizerPresent(JsonObject root, Dictionary<string, string> provenance, string mainFile, List<ConfigIssue> issues)
    {
        if (root["dataset"] is not JsonObject dataset || root["tokenizer"] is not null) return;
        var missing = new List<string>();
        void Walk(JsonObject d, string path, bool inherited)
        {
            bool has = inherited || d["tokenizer"] is not null;
            if (d["datasets"] is JsonArray list && (d["type"] as JsonValue)?.ToString() == "ConcatDataset")
            {
                for (int i = 0; i < list.Count; i++)
                    if (list[i] is JsonObject m) Walk(m, $"{path}.datasets[{i}]", has);
            }
            else if (!has) missing.Add(path);
        }
        Walk(dataset, "dataset", false);
        if (missing.Count == 0) return;
        var where = missing.Count == 1 && missing[0] == "dataset" ? "" : $" (no tokenizer for {string.Join(", ", missing)})";
        issues.Add(new ConfigIssue(mainFile, "tokenizer",
            $"is required{where}: a folder holding tokenizer.json, VGT's AutoTokenizer dict, or \"{ConfigSchema.EmbeddedTokenizer}\" for the embedded vocabulary"));
    }

    private static void CheckObject(JsonObject obj, IReadOnlyDictionary<string, ConfigField> schema, string prefix,
        Dictionary<string, string> provenance, string mainFile, List<ConfigIssue> issues)
    {
        foreach (var (key, value) in obj)
        {
            var path = prefix.Length == 0 ? key : $"{prefix}.{key}";
            var file = provenance.GetValueOrDefault(path, mainFile);
            if (!schema.TryGetValue(key, out var field))
            {
                var near = schema.Keys.OrderBy(k => EditDistance.Between(k, key)).First();
                issues.Add(new ConfigIssue(file, path, $"unknown key{(EditDistance.Between(near, key) <= 3 ? $" (did you mean '{near}'?)" : "")}"));
                continue;
            }
            if (value is null) continue;
            if (field.NullOnly)
            {
                issues.Add(new ConfigIssue(file, path, $"object storage is not supported yet: set {key} to null (or remove it) and read the data from local files"));
                continue;
            }
            if (field.AliasOf is { } alias && obj[alias] is not null)
            {
                issues.Add(new ConfigIssue(file, path, $"'{key}' is another name for '{alias}', which is also set; keep one"));
                continue;
            }
            var problem = CheckKind(value, field.Kind) ?? CheckValue(value, field);
            if (problem != null)
            {
                issues.Add(new ConfigIssue(file, path, problem));
                continue;
            }
            if (value is JsonObject child && field.Children != null)
                CheckObject(child, field.Children, path, provenance, mainFile, issues);
            if (field.Kind == ValueKind.ObjectList)
            {
                var list = (JsonArray)value;
                for (int i = 0; i < list.Count; i++)
                {
                    if (list[i] is JsonObject item) CheckObject(item, ConfigSchema.Dataset, $"{path}[{i}]", provenance, mainFile, issues);
                    else issues.Add(new ConfigIssue(file, $"{path}[{i}]", "expected an object"));
                }
            }
        }
    }

    /// <summary>Ranges, allowed names, and strings that cannot name a file (empty, NUL).</summary>
    private static string? CheckValue(JsonNode value, ConfigField field)
    {
        string Range() => field.Max is { } max && max < int.MaxValue ? $"[{Fmt(field.Min)}, {Fmt(max)}]" : $">= {Fmt(field.Min)}";
        static string Fmt(double? d) => d?.ToString(CultureInfo.InvariantCulture) ?? "";
        bool InRange(double d) => !(d < field.Min) && !(d > field.Max);
        switch (value.GetValueKind())
        {
            case JsonValueKind.String:
                var text = value.GetValue<string>();
                if (text.Contains('\0')) return "contains a NUL character";
                if (field.Removed is { } removed) return $"\"{text}\": {removed}";
                if (field.Kind == ValueKind.Path || field.Kind == ValueKind.StringOrObject)
                    if (text.Length == 0) return "must not be empty";
                if (field.Allowed is { } allowed && !allowed.Contains(text, StringComparer.Ordinal))
                    return $"expected one of {string.Join(", ", allowed)}; got \"{text}\"";
                if (field.Format == "device" && !IsDevice(text))
                    return $"expected cpu, cuda, cuda:N or auto; got \"{text}\"";
                return null;
            case JsonValueKind.Number:
                var d = value.GetValue<double>();
                return InRange(d) ? null : $"{value.ToJsonString()} is out of range: expected {Range()}";
            case JsonValueKind.Array when field.Kind is ValueKind.NumberList or ValueKind.IntList:
                foreach (var item in value.AsArray())
                    if (!InRange(item!.GetValue<double>())) return $"{item.ToJsonString()} is out of range: every item must be {Range()}";
                if (field.Kind == ValueKind.NumberList && value.AsArray().Count > 0 && value.AsArray().Sum(x => x!.GetValue<double>()) <= 0)
                    return "the weights must not all be 0";
                return null;
            case JsonValueKind.Array or JsonValueKind.Number when field.Kind is ValueKind.Resolution or ValueKind.ResolutionList:
                foreach (var (h, w) in ParseResolutions(value)!)
                    if (!InRange(h) || !InRange(w)) return $"{h}x{w} is out of range: each side must be in {Range()}";
                return null;
            case JsonValueKind.Array when field.Kind == ValueKind.StringList:
                foreach (var item in value.AsArray())
                    if (item!.GetValue<string>().Contains('\0')) return "contains a NUL character";
                return null;
            default:
                return null;
        }
    }

    private static bool IsDevice(string text) =>
        text is "cpu" or "cuda" or "auto" || text.StartsWith("cuda:", StringComparison.Ordinal) && int.TryParse(text.AsSpan(5), NumberStyles.None, CultureInfo.InvariantCulture, out _);

    private static string? CheckKind(JsonNode value, ValueKind kind)
    {
        var vk = value.GetValueKind();
        string Want(string what) => $"expected {what}, got {Describe(value)}";
        return kind switch
        {
            ValueKind.String or ValueKind.Path => vk == JsonValueKind.String ? null : Want("a string"),
            ValueKind.Int => vk == JsonValueKind.Number && IsInteger(value) ? null : Want("an integer"),
            ValueKind.Number => vk == JsonValueKind.Number ? null : Want("a number"),
            ValueKind.Bool => vk is JsonValueKind.True or JsonValueKind.False ? null : Want("true or false"),
            ValueKind.Object => vk == JsonValueKind.Object ? null : Want("an object"),
            ValueKind.StringOrObject => vk is JsonValueKind.String or JsonValueKind.Object ? null : Want("a name or an object"),
            ValueKind.ObjectList => vk == JsonValueKind.Array ? null : Want("a list of objects"),
            ValueKind.StringList => vk == JsonValueKind.Array && value.AsArray().All(x => x?.GetValueKind() == JsonValueKind.String) ? null : Want("a list of strings"),
            ValueKind.NumberList => vk == JsonValueKind.Array && value.AsArray().All(x => x?.GetValueKind() == JsonValueKind.Number) ? null : Want("a list of numbers"),
            ValueKind.IntList => vk == JsonValueKind.Array && value.AsArray().All(x => x?.GetValueKind() == JsonValueKind.Number && IsInteger(x)) ? null : Want("a list of integers"),
            ValueKind.Resolution or ValueKind.ResolutionList => ParseResolutions(value) is null ? Want("[h, w] or a list of [h, w] pairs of positive integers") : null,
            _ => null,
        };
    }

    /// <summary><c>448</c>, <c>[448, 448]</c> or <c>[[448, 448], [512, 384]]</c> → (height, width) pairs; null when malformed.</summary>
    public static List<(int Height, int Width)>? ParseResolutions(JsonNode? value)
    {
        static int? Positive(JsonNode? n) => n?.GetValueKind() == JsonValueKind.Number && IsInteger(n) && n.GetValue<double>() > 0 ? (int)n.GetValue<double>() : null;
        if (value is null) return null;
        if (Positive(value) is int s) return [(s, s)];
        if (value is not JsonArray a || a.Count == 0) return null;
        if (a.All(x => x is JsonArray))
        {
            var list = new List<(int, int)>();
            foreach (var pair in a.Cast<JsonArray>())
            {
                if (pair.Count != 2 || Positive(pair[0]) is not int h || Positive(pair[1]) is not int w) return null;
                list.Add((h, w));
            }
            return list;
        }
        return a.Count == 2 && Positive(a[0]) is int h2 && Positive(a[1]) is int w2 ? [(h2, w2)] : null;
    }

    private static bool IsInteger(JsonNode n) =>
        double.TryParse(n.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && Math.Abs(d % 1) == 0 && Math.Abs(d) < int.MaxValue;

    private static string Describe(JsonNode v) => v.GetValueKind() switch
    {
        JsonValueKind.String => $"the string {v.ToJsonString()}",
        JsonValueKind.Number => $"the number {v.ToJsonString()}",
        JsonValueKind.True or JsonValueKind.False => v.ToJsonString(),
        JsonValueKind.Array => "a list",
        JsonValueKind.Object => "an object",
        _ => "null",
    };
}
