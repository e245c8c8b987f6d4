using System.Text.Json;
using System.Text.RegularExpressions;
using VgtData.Storage;

namespace VgtData.Text;

/// <summary>
/// The VGT prompt template (the <c>INSTRUCTION</c>/<c>GENERATION</c>/<c>CFG</c>/<c>IMG_START_TOKEN</c> keys of a VGT config):
/// turns a caption into the full prompt text the Python anchor tokenizes.
/// </summary>
public sealed partial class PromptTemplate
{
    private const string ChatInstruction = "<|im_start|>user\n{input}<|im_end|>\n<|im_start|>assistant\n";
    private const string ChatGeneration = "Generate an image: {input}";
    private const string ChatCfg = "Generate an image.";
    private const string ChatImgStart = "<img>";

    private static readonly Dictionary<string, PromptTemplate> BuiltIns = new(StringComparer.Ordinal)
    {
        // InternVL3 configs set IMG_START_TOKEN_FOR_GENERATION=False; Qwen2.5-VL configs omit it, so it is true.
        ["internvl3"] = new("internvl3", ChatInstruction, ChatGeneration, ChatCfg, ChatImgStart, imgStartTokenForGeneration: false),
        ["qwen25vl"] = new("qwen25vl", ChatInstruction, ChatGeneration, ChatCfg, ChatImgStart, imgStartTokenForGeneration: true),
    };

    private static readonly string[] JsonKeys = ["name", "INSTRUCTION", "GENERATION", "CFG", "IMG_START_TOKEN", "IMG_START_TOKEN_FOR_GENERATION"];

    private readonly FormatString _instruction;
    private readonly FormatString _generation;

    public PromptTemplate(string name, string instruction, string generation, string cfg, string imgStartToken,
        bool imgStartTokenForGeneration = true)
    {
        Name = name ?? throw new ArgumentNullException(nameof(name));
        Instruction = instruction ?? throw new ArgumentNullException(nameof(instruction));
        Generation = generation ?? throw new ArgumentNullException(nameof(generation));
        Cfg = cfg ?? throw new ArgumentNullException(nameof(cfg));
        ImgStartToken = imgStartToken ?? throw new ArgumentNullException(nameof(imgStartToken));
        ImgStartTokenForGeneration = imgStartTokenForGeneration;
        _instruction = FormatString.Parse(instruction, $"template '{name}' INSTRUCTION");
        _generation = FormatString.Parse(generation, $"template '{name}' GENERATION");
        SpecialTokens = FindSpecialTokens();
    }

    public string Name { get; }
    public string Instruction { get; }
    public string Generation { get; }
    public string Cfg { get; }
    public string ImgStartToken { get; }
    public bool ImgStartTokenForGeneration { get; }

    /// <summary>Tokens of the template that a tokenizer must keep atomic: every <c>&lt;|…|&gt;</c> marker in it, then <see cref="ImgStartToken"/>.</summary>
    public IReadOnlyList<string> SpecialTokens { get; }

    /// <summary>Names of the built-in templates.</summary>
    public static IReadOnlyCollection<string> BuiltInNames => BuiltIns.Keys;

    /// <summary>A built-in template: <c>internvl3</c> or <c>qwen25vl</c>.</summary>
    public static PromptTemplate Get(string name) =>
        BuiltIns.TryGetValue(name, out var t) ? t
            : throw new VgtDataException($"unknown prompt template '{name}' (known: {string.Join(", ", BuiltIns.Keys)})");

    /// <summary>A built-in name, or a path to a JSON file holding one template object.</summary>
    public static PromptTemplate Load(string nameOrFile)
    {
        ArgumentNullException.ThrowIfNull(nameOrFile);
        if (BuiltIns.TryGetValue(nameOrFile, out var t)) return t;
        if (!File.Exists(nameOrFile))
            throw new VgtDataException($"prompt template '{nameOrFile}' is neither a built-in ({string.Join(", ", BuiltIns.Keys)}) nor an existing JSON file");
        JsonDocument doc;
        try { doc = JsonDocument.Parse(Storage.RegularFile.ReadAllInput(nameOrFile, Storage.FileLimit.Config)); }
        catch (JsonException e) { throw new VgtDataException($"{nameOrFile}: not valid JSON ({e.Message})", e); }
        using (doc)
            return FromJson(doc.RootElement, nameOrFile, Path.GetFileNameWithoutExtension(nameOrFile));
    }

    /// <summary>A template from a JSON object with the VGT config keys; errors name <paramref name="where"/> and the key.</summary>
    public static PromptTemplate FromJson(JsonElement obj, string where) => FromJson(obj, where, "custom");

    private static PromptTemplate FromJson(JsonElement obj, string where, string defaultName)
    {
        if (obj.ValueKind != JsonValueKind.Object)
            throw new VgtDataException($"{where}: a prompt template must be a JSON object, got {obj.ValueKind}");
        foreach (var p in obj.EnumerateObject())
            if (Array.IndexOf(JsonKeys, p.Name) < 0)
                throw new VgtDataException($"{where}: unknown prompt template key '{p.Name}' (expected {string.Join(", ", JsonKeys)})");

        string? Str(string key, bool required)
        {
            if (!obj.TryGetProperty(key, out var v))
                return required ? throw new VgtDataException($"{where}: prompt template key '{key}' is missing") : null;
            return v.ValueKind == JsonValueKind.String ? v.GetString()!
                : throw new VgtDataException($"{where}: prompt template key '{key}' must be a string, got {v.ValueKind}");
        }

        bool forGeneration = true;
        if (obj.TryGetProperty("IMG_START_TOKEN_FOR_GENERATION", out var g))
            forGeneration = g.ValueKind switch
            {
                JsonValueKind.True => true,
                JsonValueKind.False => false,
                _ => throw new VgtDataException($"{where}: prompt template key 'IMG_START_TOKEN_FOR_GENERATION' must be true or false, got {g.ValueKind}"),
            };
        var name = Str("name", false) ?? defaultName;
        var instruction = Str("INSTRUCTION", true)!;
        var generation = Str("GENERATION", true)!;
        var cfg = Str("CFG", true)!;
        var img = Str("IMG_START_TOKEN", true)!;
        // Format errors are reported against the file, not just the template's name.
        try { return new PromptTemplate(name, instruction, generation, cfg, img, forGeneration); }
        catch (VgtDataException e) { throw new VgtDataException($"{where}: {e.Message}", e); }
    }

    /// <summary>
    /// The anchor's prompt: <c>INSTRUCTION.format(input = CFG if cfg else GENERATION.format(input=caption.strip()))</c>,
    /// then <c>IMG_START_TOKEN</c> when <see cref="ImgStartTokenForGeneration"/>.
    /// </summary>
    public string Build(string caption, bool cfg)
    {
        ArgumentNullException.ThrowIfNull(caption);
        var input = cfg ? Cfg : _generation.Format(PythonString.Strip(caption));
        var text = _instruction.Format(input);
        return ImgStartTokenForGeneration ? text + ImgStartToken : text;
    }

    /// <summary>The text before and after the (stripped) caption in a non-CFG prompt.</summary>
    /// <exception cref="VgtDataException">INSTRUCTION or GENERATION does not hold exactly one <c>{input}</c>.</exception>
    public (string Prefix, string Suffix) SplitAroundCaption()
    {
        if (_instruction.FieldCount != 1 || _generation.FieldCount != 1)
            throw new VgtDataException($"template '{Name}': caption truncation needs exactly one {{input}} in INSTRUCTION and in GENERATION");
        var suffix = _generation.Tail + _instruction.Tail + (ImgStartTokenForGeneration ? ImgStartToken : "");
        return (_instruction.Head + _generation.Head, suffix);
    }

    private IReadOnlyList<string> FindSpecialTokens()
    {
        var list = new List<string>();
        foreach (var text in new[] { Instruction, Generation, Cfg })
            foreach (Match m in ChatMarker().Matches(text))
                if (!list.Contains(m.Value)) list.Add(m.Value);
        if (ImgStartToken.Length > 0 && !list.Contains(ImgStartToken)) list.Add(ImgStartToken);
        return list.AsReadOnly();
    }

    [GeneratedRegex(@"<\|[^|<>\s]+\|>")]
    private static partial Regex ChatMarker();

    public override string ToString() => Name;
}
