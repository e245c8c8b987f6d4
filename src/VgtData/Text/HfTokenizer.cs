using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.ML.Tokenizers;
using VgtData.Storage;

namespace VgtData.Text;

/// <summary>
/// A Hugging Face <c>tokenizer.json</c> (byte-level BPE, as used by Qwen2/2.5/3 and InternVL3) run by
/// Microsoft.ML.Tokenizers. Added tokens are matched in the text before BPE, as the HF library does.
/// </summary>
internal sealed class HfTokenizer : ITextTokenizer
{
    // GPT-2's split, used when a bare ByteLevel pre-tokenizer has use_regex=true.
    private const string Gpt2Pattern = @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+";

    private readonly Tokenizer _bpe;
    private readonly IReadOnlyDictionary<string, int> _vocab;
    private readonly IReadOnlyDictionary<string, int> _added;

    private HfTokenizer(string name, Tokenizer bpe, IReadOnlyDictionary<string, int> vocab, IReadOnlyDictionary<string, int> added)
    {
        Name = name;
        _bpe = bpe;
        _vocab = vocab;
        _added = added;
        int max = -1;
        foreach (var id in vocab.Values) max = Math.Max(max, id);
        foreach (var id in added.Values) max = Math.Max(max, id);
        VocabSize = max + 1;
    }

    public string Name { get; }
    public int VocabSize { get; }

    /// <summary>Added tokens (special or not) by content.</summary>
    public IReadOnlyDictionary<string, int> AddedTokens => _added;

    public int[] Encode(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var ids = _bpe.EncodeToIds(text);
        var result = new int[ids.Count];
        for (int i = 0; i < result.Length; i++) result[i] = ids[i];
        return result;
    }

    public bool TryGetTokenId(string token, out int id) =>
        _added.TryGetValue(token, out id) || _vocab.TryGetValue(token, out id);

    /// <summary>Loads <c>tokenizer.json</c> (and, when present, the <c>added_tokens_decoder</c> of <c>tokenizer_config.json</c>) from <paramref name="dir"/>.</summary>
    public static HfTokenizer Load(string dir)
    {
        ArgumentNullException.ThrowIfNull(dir);
        var path = Path.Combine(dir, "tokenizer.json");
        if (!File.Exists(path))
            throw new VgtDataException(Directory.Exists(dir)
                ? $"tokenizer file {path} not found (a Hugging Face tokenizer directory holds tokenizer.json)"
                : $"tokenizer directory {dir} not found (expected {path})");
        JsonDocument doc;
        try { doc = JsonDocument.Parse(Storage.RegularFile.ReadAllInput(path, Storage.FileLimit.Config), new JsonDocumentOptions { MaxDepth = 256 }); }
        catch (JsonException e) { throw new VgtDataException($"{path}: not valid JSON ({e.Message})", e); }
        using (doc)
        {
            var root = doc.RootElement;
            var model = Required(root, "model", JsonValueKind.Object, path);
            var type = model.TryGetProperty("type", out var t) ? t.GetString() : "BPE";
            if (type != "BPE") throw new VgtDataException($"{path}: model.type '{type}' is not supported (only byte-level BPE)");
            Unsupported(model, "byte_fallback", path);
            Unsupported(model, "ignore_merges", path);
            foreach (var key in new[] { "continuing_subword_prefix", "end_of_word_suffix" })
                if (model.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.String && v.GetString()!.Length > 0)
                    throw new VgtDataException($"{path}: model.{key} is not supported");

            var vocab = ReadVocab(Required(model, "vocab", JsonValueKind.Object, path), path);
            var merges = ReadMerges(Required(model, "merges", JsonValueKind.Array, path), path);
            var added = ReadAddedTokens(root, path);
            MergeConfigAddedTokens(Path.Combine(dir, "tokenizer_config.json"), added);

            var regex = new Regex(ReadSplitPattern(root, path), RegexOptions.Compiled | RegexOptions.CultureInvariant);
            var normalizer = ReadNormalizer(root, path);
            var options = new BpeOptions(vocab)
            {
                Merges = merges,
                ByteLevel = true,
                SpecialTokens = added,
                PreTokenizer = new CodePointSplitPreTokenizer(regex, added.Keys),
                Normalizer = normalizer,
            };
            Tokenizer bpe;
            try { bpe = BpeTokenizer.Create(options); }
            catch (Exception e) when (e is ArgumentException or InvalidOperationException or FormatException)
            { throw new VgtDataException($"{path}: cannot build the BPE tokenizer ({e.Message})", e); }
            var name = Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(dir)));
            return new HfTokenizer(name, bpe, vocab, added);
        }
    }

    private static JsonElement Required(JsonElement obj, string key, JsonValueKind kind, string path) =>
        obj.TryGetProperty(key, out var v) && v.ValueKind == kind ? v
            : throw new VgtDataException($"{path}: '{key}' must be a JSON {kind.ToString().ToLowerInvariant()}");

    private static void Unsupported(JsonElement model, string key, string path)
    {
        if (model.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.True)
            throw new VgtDataException($"{path}: model.{key}=true is not supported");
    }

    private static Dictionary<string, int> ReadVocab(JsonElement vocab, string path)
    {
        var d = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var p in vocab.EnumerateObject())
        {
            if (p.Value.ValueKind != JsonValueKind.Number || !p.Value.TryGetInt32(out var id))
                throw new VgtDataException($"{path}: model.vocab entry '{p.Name}' must be an integer id");
            d[p.Name] = id;
        }
        return d;
    }

    // Merges come as "a b" strings (older files) or ["a", "b"] pairs (tokenizers >= 0.20).
    private static List<string> ReadMerges(JsonElement merges, string path)
    {
        var list = new List<string>(merges.GetArrayLength());
        int i = 0;
        foreach (var m in merges.EnumerateArray())
        {
            if (m.ValueKind == JsonValueKind.String) list.Add(m.GetString()!);
            else if (m.ValueKind == JsonValueKind.Array && m.GetArrayLength() == 2
                     && m[0].ValueKind == JsonValueKind.String && m[1].ValueKind == JsonValueKind.String)
                list.Add(string.Concat(m[0].GetString(), " ", m[1].GetString()));
            else throw new VgtDataException($"{path}: model.merges[{i}] must be \"a b\" or [\"a\", \"b\"]");
            i++;
        }
        return list;
    }

    private static Dictionary<string, int> ReadAddedTokens(JsonElement root, string path)
    {
        var d = new Dictionary<string, int>(StringComparer.Ordinal);
        if (!root.TryGetProperty("added_tokens", out var arr) || arr.ValueKind == JsonValueKind.Null) return d;
        if (arr.ValueKind != JsonValueKind.Array) throw new VgtDataException($"{path}: 'added_tokens' must be an array");
        int i = 0;
        foreach (var a in arr.EnumerateArray())
        {
            if (a.ValueKind != JsonValueKind.Object
                || !a.TryGetProperty("id", out var id) || id.ValueKind != JsonValueKind.Number || !id.TryGetInt32(out var n)
                || !a.TryGetProperty("content", out var c) || c.ValueKind != JsonValueKind.String)
                throw new VgtDataException($"{path}: added_tokens[{i}] needs an integer 'id' and a string 'content'");
            d[c.GetString()!] = n;
            i++;
        }
        return d;
    }

    // transformers registers added_tokens_decoder entries of tokenizer_config.json too; most files repeat tokenizer.json.
    private static void MergeConfigAddedTokens(string configPath, Dictionary<string, int> added)
    {
        if (!File.Exists(configPath)) return;
        try
        {
            using var doc = JsonDocument.Parse(Storage.RegularFile.ReadAllInput(configPath, Storage.FileLimit.Config));
            if (doc.RootElement.ValueKind != JsonValueKind.Object) return;
            if (doc.RootElement.TryGetProperty("split_special_tokens", out var split) && split.ValueKind == JsonValueKind.True)
                throw new VgtDataException($"{configPath}: split_special_tokens=true is not supported");
            if (!doc.RootElement.TryGetProperty("added_tokens_decoder", out var dec) || dec.ValueKind != JsonValueKind.Object) return;
            foreach (var p in dec.EnumerateObject())
                if (int.TryParse(p.Name, out var id) && p.Value.ValueKind == JsonValueKind.Object
                    && p.Value.TryGetProperty("content", out var c) && c.ValueKind == JsonValueKind.String)
                    added.TryAdd(c.GetString()!, id);
        }
        catch (JsonException e) { throw new VgtDataException($"{configPath}: not valid JSON ({e.Message})", e); }
    }

    private static Normalizer? ReadNormalizer(JsonElement root, string path)
    {
        if (!root.TryGetProperty("normalizer", out var n) || n.ValueKind == JsonValueKind.Null) return null;
        var type = n.TryGetProperty("type", out var t) ? t.GetString() : null;
        if (type == "NFC") return NfcNormalizer.Instance;
        if (type == "Sequence" && n.TryGetProperty("normalizers", out var seq) && seq.ValueKind == JsonValueKind.Array && seq.GetArrayLength() == 0)
            return null;
        throw new VgtDataException($"{path}: normalizer '{type}' is not supported (only NFC or none)");
    }

    /// <summary>The split regex: a Sequence of Split(Regex, Isolated) + ByteLevel(use_regex=false), or a bare ByteLevel with GPT-2's regex.</summary>
    private static string ReadSplitPattern(JsonElement root, string path)
    {
        if (!root.TryGetProperty("pre_tokenizer", out var pre) || pre.ValueKind != JsonValueKind.Object)
            throw new VgtDataException($"{path}: a pre_tokenizer is required (Split regex + ByteLevel)");
        var steps = new List<JsonElement>();
        if (TypeOf(pre) == "Sequence" && pre.TryGetProperty("pretokenizers", out var list) && list.ValueKind == JsonValueKind.Array)
            steps.AddRange(list.EnumerateArray());
        else steps.Add(pre);

        string? pattern = null;
        bool byteLevel = false;
        foreach (var s in steps)
        {
            switch (TypeOf(s))
            {
                case "Split" when pattern is null:
                    if (!s.TryGetProperty("pattern", out var p) || !p.TryGetProperty("Regex", out var r) || r.ValueKind != JsonValueKind.String)
                        throw new VgtDataException($"{path}: pre_tokenizer Split needs a {{\"Regex\": ...}} pattern");
                    if (s.TryGetProperty("behavior", out var b) && b.GetString() != "Isolated")
                        throw new VgtDataException($"{path}: pre_tokenizer Split behavior '{b.GetString()}' is not supported (only Isolated)");
                    if (s.TryGetProperty("invert", out var inv) && inv.ValueKind == JsonValueKind.True)
                        throw new VgtDataException($"{path}: pre_tokenizer Split invert=true is not supported");
                    pattern = r.GetString();
                    break;
                case "ByteLevel" when !byteLevel:
                    byteLevel = true;
                    if (s.TryGetProperty("add_prefix_space", out var aps) && aps.ValueKind == JsonValueKind.True)
                        throw new VgtDataException($"{path}: ByteLevel add_prefix_space=true is not supported");
                    bool useRegex = !s.TryGetProperty("use_regex", out var ur) || ur.ValueKind != JsonValueKind.False;
                    if (useRegex)
                    {
                        if (pattern is not null) throw new VgtDataException($"{path}: Split followed by ByteLevel(use_regex=true) is not supported");
                        pattern = Gpt2Pattern;
                    }
                    break;
                default:
                    throw new VgtDataException($"{path}: pre_tokenizer step '{TypeOf(s)}' is not supported (expected Split regex + ByteLevel)");
            }
        }
        if (!byteLevel) throw new VgtDataException($"{path}: only byte-level BPE is supported (no ByteLevel pre_tokenizer found)");
        return pattern ?? throw new VgtDataException($"{path}: pre_tokenizer has no split regex");
    }

    private static string? TypeOf(JsonElement e) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null;

    public override string ToString() => Name;
}
