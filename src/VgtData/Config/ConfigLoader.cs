using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using VgtData.Storage;
using VgtData.Text;

namespace VgtData.Config;

/// <summary>
/// Reads a JSON config the way mmengine reads a Python one: <c>base</c> files first (each relative to the file naming
/// it), later keys overriding earlier ones object by object, then <c>--set a.b=value</c> overrides. Relative paths are
/// resolved against the file that set them. Every key is checked against <see cref="ConfigSchema"/>.
/// </summary>
internal static class ConfigLoader
{
    /// <summary>Loads and checks the structure (keys and types). File-system and tokenizer checks are in
    /// <see cref="ConfigValidator"/>.</summary>
    public static ResolvedConfig Load(string path, IEnumerable<string>? overrides = null)
    {
        var issues = new List<ConfigIssue>();
        var provenance = new Dictionary<string, string>(StringComparer.Ordinal);
        var root = new JsonObject();
        LoadInto(root, Path.GetFullPath(path), provenance, new HashSet<string>(StringComparer.Ordinal), new Composition(issues));
        foreach (var o in overrides ?? Array.Empty<string>()) ApplyOverride(root, o, provenance, issues);
        var mainFile = Path.GetFullPath(path);
        MoveLoaderDataset(root, provenance, mainFile, issues);
        CheckObject(root, ConfigSchema.Root, "", provenance, mainFile, issues);
        CheckTokenizerPresent(root, provenance, mainFile, issues);
        var errors = issues.Where(i => !i.IsWarning).ToList();
        if (errors.Count > 0) throw new ConfigException(errors);
        return new ResolvedConfig(mainFile, root, provenance, issues, Bind(root, mainFile));
    }

    /// <summary>The checked JSON as records: <c>null</c> is "not set" (the record's default applies), and a whole
    /// number written as <c>32.0</c> or <c>1e3</c> is the integer the schema accepted.</summary>
    private static RootConfig Bind(JsonObject root, string file)
    {
        static JsonNode? Plain(JsonNode? node) => node switch
        {
            JsonObject o => new JsonObject(o.Where(kv => kv.Value is not null).Select(kv => KeyValuePair.Create(kv.Key, Plain(kv.Value)))),
            JsonArray a => new JsonArray(a.Select(Plain).ToArray()),
            JsonValue v when v.GetValueKind() == JsonValueKind.Number && v.GetValue<double>() is var d && Math.Abs(d) < 1e15 && d == Math.Floor(d) => JsonValue.Create((long)d),
            _ => node?.DeepClone(),
        };
        try
        {
            return Plain(root).Deserialize<RootConfig>(ConfigSchema.Json)!;
        }
        catch (JsonException e)
        {
            // The schema check above accepts only what the records hold; this is a schema/record mismatch.
            throw new ConfigException([new ConfigIssue(file, e.Path?.TrimStart('$', '.') ?? "", e.Message)]);
        }
    }

    /// <summary>Deepest chain of <c>base</c> files (and member files) followed; deeper is an error, never a stack overflow.</summary>
    public const int MaxBaseDepth = 64;

    /// <summary>JSON as configs are read: comments and trailing commas allowed, a key twice in one object refused.</summary>
    private static readonly JsonDocumentOptions ReadOptions = new()
    {
        CommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        AllowDuplicateProperties = false,
    };

    /// <summary>One file's composition (its bases, then its own keys): what it sets, which file set each key, and the
    /// object keys it set over a non-object value (those replace rather than merge when the composition is applied).</summary>
    private sealed record Composed(JsonObject Config, Dictionary<string, string> Provenance, HashSet<string> Replaced, bool Failed);

    /// <summary>The compositions of one load, each file's made once: a base named by many files (a diamond) is read
    /// and composed once and applied where it is named, so the cost grows with the files, not the paths to them.</summary>
    private sealed class Composition(List<ConfigIssue> issues)
    {
        public List<ConfigIssue> Issues { get; } = issues;
        public Dictionary<string, Composed> Done { get; } = new(StringComparer.Ordinal);
        public Stack<string> Chain { get; } = new();
        public int Errors => Issues.Count(i => !i.IsWarning);
    }

    /// <summary>Applies <paramref name="file"/>'s composition to <paramref name="target"/>, as if its bases and keys
    /// were merged there one after another.</summary>
    private static void LoadInto(JsonObject target, string file, Dictionary<string, string> provenance, HashSet<string> replaced, Composition c)
    {
        if (Compose(file, c) is { } composed) Apply(target, composed.Config, "", composed, provenance, replaced);
    }

    private static Composed? Compose(string file, Composition c)
    {
        var issues = c.Issues;
        var chain = c.Chain;
        if (chain.Count >= MaxBaseDepth)
        {
            issues.Add(new ConfigIssue(chain.Peek(), "base", $"more than {MaxBaseDepth} nested base files (from {Path.GetFileName(chain.Last())}); is the chain meant to be this deep?"));
            throw new ConfigException(issues);
        }
        if (chain.Contains(file))
        {
            issues.Add(new ConfigIssue(file, "base", $"circular base: {string.Join(" -> ", chain.Reverse().Append(file).Select(Path.GetFileName))}"));
            return null;
        }
        if (c.Done.TryGetValue(file, out var done)) return done;
        if (!File.Exists(file))
        {
            issues.Add(new ConfigIssue(chain.Count > 0 ? chain.Peek() : file, chain.Count > 0 ? "base" : "", $"config file '{file}' does not exist"));
            throw new ConfigException(issues);
        }
        string text;
        try
        {
            text = Storage.RegularFile.ReadAllInputText(file, Storage.FileLimit.Config);
        }
        catch (Storage.UnreadableFileException e)
        {
            issues.Add(chain.Count > 0 ? new ConfigIssue(chain.Peek(), "base", $"config file '{file}': {e.Why}") : new ConfigIssue(file, "", e.Why));
            throw new ConfigException(issues);
        }
        JsonNode? node;
        try
        {
            node = JsonNode.Parse(text, documentOptions: ReadOptions);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            // A key twice or a lone surrogate stops the parser without a line: the scan below names both.
            issues.Add(JsonProblem(text) is { } p
                ? new ConfigIssue(file, p.Path, $"{p.Problem} (line {p.Line})")
                : new ConfigIssue(file, "", $"invalid JSON at line {(e as JsonException)?.LineNumber + 1}: {e.Message}"));
            throw new ConfigException(issues);
        }
        if (JsonProblem(text) is { } problem)
        {
            issues.Add(new ConfigIssue(file, problem.Path, $"{problem.Problem} (line {problem.Line})"));
            throw new ConfigException(issues);
        }
        if (node is not JsonObject obj)
        {
            issues.Add(new ConfigIssue(file, "", "a config must be a JSON object"));
            throw new ConfigException(issues);
        }
        int errorsBefore = c.Errors;
        var target = new JsonObject();
        var provenance = new Dictionary<string, string>(StringComparer.Ordinal);
        var replaced = new HashSet<string>(StringComparer.Ordinal);
        chain.Push(file);
        var dir = Path.GetDirectoryName(file)!;
        if (obj["base"] is JsonNode baseNode)
        {
            var bases = baseNode is JsonArray a ? a.Select(x => x?.GetValueKind() == JsonValueKind.String ? x.GetValue<string>() : null).ToList()
                : baseNode.GetValueKind() == JsonValueKind.String ? [baseNode.GetValue<string>()] : null;
            if (bases is null || bases.Any(b => b is null))
                issues.Add(new ConfigIssue(file, "base", "expected a file name or a list of file names"));
            else
                foreach (var b in bases) LoadInto(target, Path.GetFullPath(Path.Combine(dir, b!)), provenance, replaced, c);
        }
        var own = (JsonObject)obj.DeepClone();
        own.Remove("base");
        ResolvePaths(own, ConfigSchema.Root, dir);
        var memberProvenance = new Dictionary<string, string>(StringComparer.Ordinal);
        if (own["dataset"] is JsonObject dataset) ExpandMembers(dataset, "dataset", dir, file, memberProvenance, c);
        if (own["train_dataloader"] is JsonObject { } loaderBlock && loaderBlock["dataset"] is JsonObject loaderDataset)
            ExpandMembers(loaderDataset, "train_dataloader.dataset", dir, file, memberProvenance, c);
        Merge(target, own, "", file, provenance, replaced);
        foreach (var (key, source) in memberProvenance) provenance[key] = source;
        chain.Pop();
        var composed = new Composed(target, provenance, replaced, c.Errors > errorsBefore);
        c.Done[file] = composed;
        return composed;
    }

    /// <summary>
    /// Merges a composition into <paramref name="target"/> with the result merging its steps one by one would give:
    /// objects merge key by key, except where the composition replaced a non-object with an object (the earlier
    /// value was gone at that point, so the target's is too); replaced keys take the composition's provenance.
    /// </summary>
    private static void Apply(JsonObject target, JsonObject source, string prefix, Composed from, Dictionary<string, string> provenance, HashSet<string> replaced)
    {
        foreach (var (key, value) in source)
        {
            var path = prefix.Length == 0 ? key : $"{prefix}.{key}";
            if (value is JsonObject src && target[key] is JsonObject dst && !from.Replaced.Contains(path))
            {
                Apply(dst, src, path, from, provenance, replaced);
                continue;
            }
            bool overNonObject = value is JsonObject && (from.Replaced.Contains(path) || target.ContainsKey(key) && target[key] is not JsonObject);
            var old = target[key];
            target[key] = value?.DeepClone();
            provenance.Remove(path);
            replaced.Remove(path);
            Forget(old, path, provenance, replaced);
            Inherit(value, path, from, provenance, replaced);
            if (overNonObject) replaced.Add(path);
        }
    }

    /// <summary>Removes the provenance (and replaced marks) of every key below a value that was just replaced: walked
    /// along the old value, so the cost is its size, not the whole config's.</summary>
    private static void Forget(JsonNode? old, string path, Dictionary<string, string> provenance, HashSet<string>? replaced)
    {
        foreach (var (child, value) in Children(old, path))
        {
            provenance.Remove(child);
            replaced?.Remove(child);
            Forget(value, child, provenance, replaced);
        }
    }

    /// <summary>Copies a composition's provenance and replaced marks for <paramref name="path"/> and the keys below it.</summary>
    private static void Inherit(JsonNode? value, string path, Composed from, Dictionary<string, string> provenance, HashSet<string> replaced)
    {
        if (from.Provenance.TryGetValue(path, out var source)) provenance[path] = source;
        foreach (var (child, item) in Children(value, path))
        {
            if (from.Replaced.Contains(child)) replaced.Add(child);
            Inherit(item, child, from, provenance, replaced);
        }
    }

    private static IEnumerable<(string Path, JsonNode? Value)> Children(JsonNode? node, string path) => node switch
    {
        JsonObject o => o.Select(kv => ($"{path}.{kv.Key}", kv.Value)),
        JsonArray a => a.Select((v, i) => ($"{path}[{i}]", v)),
        _ => [],
    };

    /// <summary>
    /// The first thing in otherwise valid JSON that a config cannot hold, with its key path and line: a key given twice
    /// in one object, or a lone surrogate escape (<c>"\ud800"</c>) in a key or string, which no file name or UTF-8
    /// text can hold.
    /// </summary>
    internal static (string Path, long Line, string Problem)? JsonProblem(string text)
    {
        var bytes = System.Text.Encoding.UTF8.GetBytes(text);
        var reader = new Utf8JsonReader(bytes, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        // Per open container: its path, the keys seen (objects only) and the next index (arrays only).
        var open = new Stack<(string Path, HashSet<string>? Keys, int Index)>();
        string key = "";
        long LineAt(long offset) => 1 + bytes.AsSpan(0, (int)offset).Count((byte)'\n');
        string Here()
        {
            if (open.Count == 0) return "";
            var (path, keys, index) = open.Pop();
            open.Push((path, keys, keys is null ? index + 1 : index));
            var name = keys is null ? $"[{index}]" : key;
            return path.Length == 0 || keys is null ? path + name : $"{path}.{name}";
        }
        // .NET will not unescape a lone surrogate; Python's json would, and then fail to encode it: say which and where.
        static string Lone(ReadOnlySpan<byte> raw)
        {
            var value = LoneSurrogates.UnescapeJson(raw);
            return $"{LoneSurrogates.Describe(value, LoneSurrogates.IndexOf(value))}, which UTF-8 cannot encode";
        }
        try
        {
            while (reader.Read())
            {
                switch (reader.TokenType)
                {
                    case JsonTokenType.PropertyName:
                        var parent = open.Peek();
                        try { key = reader.GetString()!; }
                        catch (InvalidOperationException) { return (parent.Path, LineAt(reader.TokenStartIndex), $"a key holds a {Lone(reader.ValueSpan)}"); }
                        if (!parent.Keys!.Add(key)) return (Here(), LineAt(reader.TokenStartIndex), "given twice in one object");
                        break;
                    case JsonTokenType.StartObject: open.Push((Here(), new HashSet<string>(StringComparer.Ordinal), 0)); break;
                    case JsonTokenType.StartArray: open.Push((Here(), null, 0)); break;
                    case JsonTokenType.EndObject or JsonTokenType.EndArray: open.Pop(); break;
                    case JsonTokenType.String:
                        var at = Here();
                        try { reader.GetString(); }
                        catch (InvalidOperationException) { return (at, LineAt(reader.TokenStartIndex), $"the string holds a {Lone(reader.ValueSpan)}"); }
                        break;
                    default: Here(); break;
                }
            }
        }
        catch (JsonException) { }
        return null;
    }

    /// <summary>
    /// A ConcatDataset member <c>{"base": "file.json", ...}</c> becomes that file's <c>dataset</c> object (with its own
    /// bases and paths resolved relative to it), the item's other keys (e.g. <c>repeat</c>) overriding it. Keys keep
    /// the file that set them, so errors name the member file.
    /// </summary>
    private static void ExpandMembers(JsonObject dataset, string path, string dir, string file, Dictionary<string, string> provenance, Composition c)
    {
        var issues = c.Issues;
        if (dataset["datasets"] is not JsonArray list) return;
        for (int i = 0; i < list.Count; i++)
        {
            var itemPath = $"{path}.datasets[{i}]";
            if (list[i] is not JsonObject item) continue;
            if (!item.ContainsKey("base"))
            {
                ExpandMembers(item, itemPath, dir, file, provenance, c);
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
            if (Compose(memberFile, c) is not { Failed: false } composed) continue;
            Apply(loaded, composed.Config, "", composed, loadedProvenance, new HashSet<string>(StringComparer.Ordinal));
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

    private static void Merge(JsonObject target, JsonObject source, string prefix, string file, Dictionary<string, string> provenance,
        HashSet<string>? replaced = null)
    {
        foreach (var (key, value) in source.ToList())
        {
            var path = prefix.Length == 0 ? key : $"{prefix}.{key}";
            if (value is JsonObject src && target[key] is JsonObject dst)
            {
                Merge(dst, src, path, file, provenance, replaced);
                continue;
            }
            bool overNonObject = value is JsonObject && target.ContainsKey(key);
            var old = target[key];
            target[key] = value?.DeepClone();
            Forget(old, path, provenance, replaced);
            if (replaced is not null)
            {
                replaced.Remove(path);
                if (overNonObject) replaced.Add(path);
            }
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
        // JSON with a key twice or a lone surrogate is refused, not taken as a string or half-read.
        if (JsonProblem(text) is { } problem)
        {
            var at = problem.Path.Length == 0 ? assignment[..eq] : $"{assignment[..eq]}{(problem.Path[0] == '[' ? "" : ".")}{problem.Path}";
            issues.Add(new ConfigIssue("--set", at, problem.Problem));
            return;
        }
        // A config file nests at most 64 levels (the JSON reader's limit, also the writer's): so do key path and value.
        if (keys.Length + Depth(value) > MaxJsonDepth)
        {
            issues.Add(new ConfigIssue("--set", assignment[..eq].Length > 80 ? assignment[..80] + "..." : assignment[..eq],
                $"the key path and value nest more than {MaxJsonDepth} levels"));
            return;
        }
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

    private const int MaxJsonDepth = 64;

    private static int Depth(JsonNode? node) => node switch
    {
        JsonObject o => 1 + o.Select(kv => Depth(kv.Value)).DefaultIfEmpty(0).Max(),
        JsonArray a => 1 + a.Select(Depth).DefaultIfEmpty(0).Max(),
        _ => 0,
    };

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
                var near = schema.Keys.OrderBy(k => EditDistance.Within(k, key, 3)).First();
                issues.Add(new ConfigIssue(file, path, $"unknown key{(EditDistance.Within(near, key, 3) <= 3 ? $" (did you mean '{near}'?)" : "")}"));
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
