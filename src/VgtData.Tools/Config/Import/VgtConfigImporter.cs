using System.Text.Json;
using System.Text.Json.Nodes;
using VgtData.Text;

namespace VgtData.Config.Import;

/// <summary>Where the imported config's tokenizers and data live on this machine.</summary>
internal sealed record VgtImportOptions
{
    /// <summary>Folder the written JSON goes to; every path in it is written relative to this folder.</summary>
    public required string OutputDirectory { get; init; }

    /// <summary>What VGT's relative data paths (<c>data/BLIP3o-60k/...</c>) are relative to; default: the current directory.</summary>
    public string? DataRoot { get; init; }

    /// <summary>Where Hugging Face model ids are looked up: ROOT/&lt;org&gt;/&lt;name&gt; when it exists, else
    /// ROOT/&lt;name&gt;. Default: DataRoot/data/models.</summary>
    public string? TokenizerRoot { get; init; }

    /// <summary>Explicit model id → folder entries, tried before <see cref="TokenizerRoot"/>.</summary>
    public IReadOnlyDictionary<string, string> TokenizerMap { get; init; } = new Dictionary<string, string>();
}

/// <summary>The JSON config an import produced, and what the import found on the way.</summary>
internal sealed record VgtImportResult(JsonObject Config, IReadOnlyList<ImportIssue> Issues)
{
    public bool HasErrors => Issues.Any(i => !i.IsWarning);
}

/// <summary>
/// Reads one of VGT's Python data configs (and its <c>read_base</c> bases) and writes the VgtData JSON config with
/// the same meaning: processors' names at the root, <c>train_dataloader</c> with its sampler and collate, and its
/// dataset as <c>dataset</c>. Model ids become local tokenizer folders, VGT's relative data paths are resolved
/// against the data root. A ConcatDataset member that names an undefined variable is skipped with a warning that
/// says where; any other undefined or non-literal value that the data settings need is an error.
/// </summary>
internal static class VgtConfigImporter
{
    private static readonly string[] RootKeys = ["tokenizer", "prompt_template", "tokenizer_kwargs", "image_size", "image_length", "max_length", "pad_index"];
    private static readonly string[] LoaderKeys = ["batch_size", "num_workers", "prefetch_factor", "drop_last", "persistent_workers", "pin_memory"];

    public static VgtImportResult Import(string file, VgtImportOptions options)
    {
        var evaluator = new PyEvaluator();
        var module = evaluator.Load(file);
        var mapper = new Mapper(options, evaluator.Issues, evaluator.Budget);
        var root = new JsonObject();
        var used = new HashSet<string>(StringComparer.Ordinal);
        foreach (var key in RootKeys)
        {
            if (!module.Names.TryGetValue(key, out var value)) continue;
            used.Add(key);
            if (mapper.Value(value, key, ConfigSchema.Root[key], module.File, module.Lines[key]) is { } node) root[key] = node;
        }
        if (module.Names.TryGetValue("train_dataloader", out var loader))
        {
            used.Add("train_dataloader");
            used.Add("dataset");
            if (loader is PyDict td) mapper.Loader(td, root);
            else mapper.Error(module.File, module.Lines["train_dataloader"], "train_dataloader is not a dict");
        }
        else if (module.Names.TryGetValue("dataset", out var dataset))
        {
            used.Add("dataset");
            if (dataset is PyDict d) root["dataset"] = mapper.Dataset(d, "dataset");
            else mapper.Error(module.File, module.Lines["dataset"], "dataset is not a dict");
        }
        var other = module.OwnNames.Where(n => !used.Contains(n) && module.Names[n] is not PySymbol && !mapper.Visited.Contains(module.Names[n]!)).ToList();
        if (other.Count > 0)
            evaluator.Issues.Add(new ImportIssue(module.File, 0, $"not data-loader settings, not imported: {string.Join(", ", other)}"));
        if (root.Count == 0)
            evaluator.Issues.Add(new ImportIssue(module.File, 0, "defines none of train_dataloader, dataset, tokenizer, prompt_template: the JSON config is empty"));
        return new VgtImportResult(root, evaluator.Issues);
    }

    /// <summary>The JSON text of an import, with a header naming the source.</summary>
    public static string ToJsonText(VgtImportResult result, string sourceName) =>
        $"// Imported from {sourceName} by `vgtdata config import`; VGT's key names, paths relative to this file.\n"
        + result.Config.ToJsonString(new JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping })
        + "\n";

    private sealed class Mapper(VgtImportOptions options, List<ImportIssue> issues, PyBudget budget)
    {
        private readonly string _dataRoot = Path.GetFullPath(options.DataRoot ?? ".");

        /// <summary>Dicts the written config was made from (their names need no "not imported" note).</summary>
        public HashSet<object> Visited { get; } = new(ReferenceEqualityComparer.Instance);

        public void Error(string file, int line, string message) => issues.Add(new ImportIssue(file, line, message, IsWarning: false));
        private void Warn(string file, int line, string message) => issues.Add(new ImportIssue(file, line, message));

        public void Loader(PyDict td, JsonObject root)
        {
            var loader = new JsonObject();
            var schema = ConfigSchema.Root["train_dataloader"].Children!;
            foreach (var (key, value) in td.Items)
            {
                var path = $"train_dataloader.{key}";
                if (key == "dataset")
                {
                    if (value is PyDict d) root["dataset"] = Dataset(d, "dataset");
                    else Problem(value, path, td);
                }
                else if (key is "sampler" or "collate_fn")
                {
                    if (value is PyDict d) loader[key] = Object(d, path, schema[key].Children!);
                    else Problem(value, path, td);
                }
                else if (LoaderKeys.Contains(key)) { if (Value(value, path, schema[key], td.File, td.Line) is { } n) loader[key] = n; }
                else Warn(td.File, td.Line, $"{path} not imported (no VgtData meaning)");
            }
            if (loader.Count > 0) root["train_dataloader"] = loader;
        }

        public JsonObject Dataset(PyDict d, string path) => Object(d, path, ConfigSchema.Dataset);

        private const int MaxDepth = 32;
        private int _depth;

        private JsonObject Object(PyDict d, string path, IReadOnlyDictionary<string, ConfigField> schema)
        {
            Visited.Add(d);
            var obj = new JsonObject();
            if (!Enter(d.File, d.Line, path)) return obj;
            try { Fill(obj, d, path, schema); }
            finally { _depth--; }
            return obj;
        }

        /// <summary>Bounds the nesting of dicts and lists (a dict may contain itself after <c>d['k'] = d</c>, a list
        /// may be nested once per statement), and charges each value written: a value shared many times
        /// (<c>[a, a]</c> doubled) is written out as often as it is shared.</summary>
        private bool Enter(string file, int line, string path)
        {
            if (_depth >= MaxDepth)
            {
                Error(file, line, $"{path}: nested more than {MaxDepth} levels deep (a dict or list that contains itself?)");
                return false;
            }
            _depth++;
            return true;
        }

        private void Charge(object? value, string file, int line) =>
            budget.Charge(value is string s ? PyBudget.OfString(s.Length) : PyBudget.Entry, file, line, "the JSON config written from these values");

        private void Fill(JsonObject obj, PyDict d, string path, IReadOnlyDictionary<string, ConfigField> schema)
        {
            foreach (var (key, value) in d.Items)
            {
                var keyPath = $"{path}.{key}";
                Charge(key, d.File, d.Line);
                if (Unwritable(key, "a key") is { } why)
                {
                    Error(d.File, d.Line, $"{path}: {why}");
                    continue;
                }
                if (!schema.TryGetValue(key, out var field))
                {
                    Warn(d.File, d.Line, $"{keyPath} not imported (no VgtData meaning)");
                    continue;
                }
                if (key == "type")
                {
                    if (TypeName(value, keyPath, d) is { } name) obj[key] = name;
                    continue;
                }
                if (key == "datasets" && value is PyList members)
                {
                    var list = new JsonArray();
                    for (int i = 0; i < members.Items.Count; i++)
                    {
                        var item = members.Items[i];
                        if (item is PyDict member) list.Add(Dataset(member, $"{keyPath}[{list.Count}]"));
                        else if (item is PyUndefined u)
                            Warn(u.File, u.Line, $"ConcatDataset member {i}: '{u.Name}' {u.Reason}{(u.Suggestion is null ? "" : $" (did you mean '{u.Suggestion}'?)")}; member skipped (Python would stop here with a NameError)");
                        else Problem(item, $"{keyPath}[{i}]", d);
                    }
                    obj[key] = list;
                    continue;
                }
                if (Value(value, keyPath, field, d.File, d.Line) is { } node) obj[key] = node;
                else if (value is null) obj[key] = null;
            }
        }

        private string? TypeName(object? value, string path, PyDict owner) => value switch
        {
            PySymbol s => s.ShortName,
            string s when Unwritable(s) is not null => (string?)Refuse(path, owner, s),
            string s => s,
            PyUndefined u => Recover(u, path),
            _ => Problem(value, path, owner),
        };

        private string Recover(PyUndefined u, string path)
        {
            Warn(u.File, u.Line, $"'{u.Name}' {u.Reason} (not imported in this file; Python would stop here with a NameError); {path} taken as \"{u.Name}\"");
            return u.Name;
        }

        private string? Problem(object? value, string path, PyDict owner)
        {
            switch (value)
            {
                case PyUndefined u: Error(u.File, u.Line, $"'{u.Name}' {u.Reason}{(u.Suggestion is null ? "" : $" (did you mean '{u.Suggestion}'?)")}; needed for {path}"); break;
                case PyOpaque o: Error(o.File, o.Line, $"{path}: {o.What} is not a value the importer can compute"); break;
                default: Error(owner.File, owner.Line, $"{path}: unexpected value {Describe(value)}"); break;
            }
            return null;
        }

        /// <summary>A value for a schema key; null (with an issue) when it cannot be written.</summary>
        public JsonNode? Value(object? value, string path, ConfigField field, string file, int line)
        {
            if (value is null) return null;
            var owner = new PyDict(file, line);
            if (value is string text && Unwritable(text) is not null) return Refuse(path, owner, text);
            var key = path[(path.LastIndexOf('.') + 1)..];
            if (key == "tokenizer") return Tokenizer(value, path, owner);
            if (field.Kind == ValueKind.Path && value is string p) return DataPath(p);
            if (key == "prompt_template" && value is PyDict t) return Object(t, path, ConfigSchema.PromptTemplate);
            if (value is PyDict d && field.Children is { } children) return Object(d, path, children);
            return Json(value, path, owner);
        }

        private JsonNode? Json(object? value, string path, PyDict owner)
        {
            Charge(value, owner.File, owner.Line);
            if (value is not PyList list) return Scalar(value, path, owner);
            var array = new JsonArray();
            if (!Enter(owner.File, owner.Line, path)) return array;
            try
            {
                for (int i = 0; i < list.Items.Count; i++)
                    array.Add(Json(list.Items[i], $"{path}[{i}]", owner));
            }
            finally { _depth--; }
            return array;
        }

        /// <summary>Longest string written (characters): far past any path, name or prompt, and it keeps the path
        /// handling and the JSON written from one value cheap.</summary>
        private const int MaxString = 1 << 20;

        /// <summary>Why a string cannot be written (too long, or a lone surrogate no UTF-8 file can hold), or null.</summary>
        private static string? Unwritable(string text, string what = "the string") =>
            text.Length > MaxString ? $"{what} has {text.Length:N0} characters; a config value may have {MaxString:N0} at most"
            : LoneSurrogates.IndexOf(text) is var i and >= 0 ? $"{what} holds a {LoneSurrogates.Describe(text, i)}, which UTF-8 cannot encode"
            : null;

        private JsonNode? Refuse(string path, PyDict owner, string text) => Error(path, owner, Unwritable(text)!);

        private JsonNode? Scalar(object? value, string path, PyDict owner) => value switch
        {
            null => null,
            string s when Unwritable(s) is not null => Refuse(path, owner, s),
            bool b => JsonValue.Create(b),
            // Numbers as parsed JSON, so readers get any numeric type from them (as from a loaded file).
            long n => JsonNode.Parse(n.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            System.Numerics.BigInteger n => JsonNode.Parse(n.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            double x when double.IsFinite(x) => JsonNode.Parse(x.ToString("R", System.Globalization.CultureInfo.InvariantCulture)),
            string s => JsonValue.Create(s),
            PyDict d => Dict(d, path),
            PySymbol s => JsonValue.Create(s.ShortName),
            _ => (JsonNode?)Problem(value, path, owner),
        };

        private JsonNode? Error(string path, PyDict owner, string what)
        {
            Error(owner.File, owner.Line, $"{path}: {what}");
            return null;
        }

        private JsonObject Dict(PyDict d, string path)
        {
            var o = new JsonObject();
            if (!Enter(d.File, d.Line, path)) return o;
            try
            {
                foreach (var (k, v) in d.Items)
                {
                    Charge(k, d.File, d.Line);
                    if (Unwritable(k, "a key") is { } why) Error(d.File, d.Line, $"{path}: {why}");
                    else o[k] = Json(v, $"{path}.{k}", d);
                }
            }
            finally { _depth--; }
            return o;
        }

        private JsonNode? Tokenizer(object? value, string path, PyDict owner)
        {
            string? id = value switch
            {
                string s => s,
                PyDict d when d.Items.GetValueOrDefault("pretrained_model_name_or_path") is string s && Unwritable(s) is null => s,
                PyDict d when d.Items.GetValueOrDefault("pretrained_model_name_or_path") is string s => (string?)Refuse($"{path}.pretrained_model_name_or_path", d, s),
                PyDict d => (string?)Problem(d.Items.GetValueOrDefault("pretrained_model_name_or_path"), $"{path}.pretrained_model_name_or_path", d),
                _ => Problem(value, path, owner),
            };
            if (id is null) return null;
            // The embedded vocabulary's name is not a folder: written as it is, like the JSON loader keeps it.
            // An empty name or one with a NUL is no folder either: written as it is for the config check to name.
            bool asWritten = id.Length == 0 || id.Contains('\0') || id.StartsWith("embedded:", StringComparison.Ordinal);
            return JsonValue.Create(asWritten ? id : TokenizerFolder(id));
        }

        /// <summary>The tokenizer rule: a --tokenizer-map entry; a path as written; else ROOT/&lt;org&gt;/&lt;name&gt; when
        /// it exists, otherwise ROOT/&lt;name&gt;.</summary>
        private string TokenizerFolder(string id)
        {
            string full;
            if (options.TokenizerMap.TryGetValue(id, out var mapped)) full = Path.GetFullPath(mapped);
            else if (Path.IsPathRooted(id) || id.StartsWith("./", StringComparison.Ordinal) || id.StartsWith("../", StringComparison.Ordinal))
                full = Path.GetFullPath(Path.Combine(_dataRoot, id));
            else
            {
                var root = Path.GetFullPath(options.TokenizerRoot ?? Path.Combine(_dataRoot, "data", "models"));
                var nested = Path.Combine(root, id.Replace('/', Path.DirectorySeparatorChar));
                full = Directory.Exists(nested) ? nested : Path.Combine(root, id[(id.LastIndexOf('/') + 1)..]);
            }
            return Relative(full);
        }

        private string DataPath(string p) =>
            p.Length == 0 || p.Contains('\0') || Storage.S3Location.IsUrl(p) ? p : Relative(Path.GetFullPath(Path.Combine(_dataRoot, p)));

        private string Relative(string full) => Path.GetRelativePath(Path.GetFullPath(options.OutputDirectory), full).Replace('\\', '/');

        private static string Describe(object? v) => v switch
        {
            null => "None",
            PyList => "a list",
            PyDict => "a dict",
            string s when s.Length > 80 => $"'{s[..80]}...' ({s.Length:N0} characters)",
            _ => v.ToString() ?? "?",
        };
    }
}
