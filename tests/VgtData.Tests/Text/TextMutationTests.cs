using System.Text;
using System.Text.Json;
using VgtData.Text;
using VgtData.Manifests;

namespace VgtData.Tests.Text;

/// <summary>
/// Prompt building, truncation and string rules that mutation testing found unguarded. A one-id-per-character
/// tokenizer makes every expected id list readable as text.
/// </summary>
public sealed class TextMutationTests
{
    /// <summary>Each UTF-16 unit is one id: its code.</summary>
    private sealed class CharTokenizer : ITextTokenizer
    {
        public int[] Encode(string text) => text.Select(c => (int)c).ToArray();
        public int VocabSize => 65536;
        public bool TryGetTokenId(string token, out int id) => (id = token.Length == 1 ? token[0] : -1) >= 0;
        public string Name => "chars";
    }

    private static readonly PromptTemplate Simple = new("simple", "[{input}]", "G:{input}", "CFG", "<i>", imgStartTokenForGeneration: true);

    private static string Text(long[] ids) => new(ids.Select(i => (char)i).ToArray());

    [Fact]
    public void CaptionModeCutsTheCaptionAndKeepsTheClosing()
    {
        var c = new CaptionTokenizer(new CharTokenizer(), Simple, 10, TruncateMode.Caption);
        Assert.Equal("[G:abcd]<i>", Text(new CaptionTokenizer(new CharTokenizer(), Simple, null).Tokenize("abcd", false)));
        Assert.Equal("[G:ab]<i>", Text(c.Tokenize("ab", false)));          // 9 ids: fits
        Assert.Equal("[G:abc]<i>", Text(c.Tokenize("abc", false)));        // 10 ids: exactly fits
        Assert.Equal("[G:abc]<i>", Text(c.Tokenize("abcdefgh", false)));   // cut to 10, closing kept
        Assert.Equal(15, c.CountTokens("abcdefgh", false));
        // The CFG prompt has no caption: it is cut by ids like any other prompt.
        var shortCfg = new CaptionTokenizer(new CharTokenizer(), Simple, 8, TruncateMode.Caption);
        Assert.Equal("[CFG]<i>", Text(shortCfg.Tokenize("whatever", true)));
        var cfgCut = new CaptionTokenizer(new CharTokenizer(), new PromptTemplate("t", "[{input}]", "{input}", "a long CFG", ""), 4, TruncateMode.Caption);
        Assert.Equal("[a l", Text(cfgCut.Tokenize("x", true)));
        Assert.Equal("[xy]", Text(cfgCut.Tokenize("xy", false)));
        Assert.Equal("[xy]", Text(cfgCut.Tokenize("xyz", false)));   // "[xyz]" cut to "[xy" + "]"
    }

    [Fact]
    public void IdsModeCutsTheEnd()
    {
        var c = new CaptionTokenizer(new CharTokenizer(), Simple, 6);
        Assert.Equal("[G:abc", Text(c.Tokenize("abcdefgh", false)));
        Assert.Equal("[CFG]<", Text(c.Tokenize("x", true)));
        Assert.Equal(6, c.MaxLength);
        Assert.Equal(TruncateMode.Ids, c.Truncate);
        Assert.Same(Simple, c.Template);
        Assert.Equal("chars", c.Tokenizer.Name);
        Assert.Equal("[G:a]", Text(new CaptionTokenizer(new CharTokenizer(), new PromptTemplate("t", "[{input}]", "G:{input}", "C", "<i>", false), 5).Tokenize("a", false)));
    }

    [Fact]
    public void ConstructionRefusalsSayWhy()
    {
        var tok = new CharTokenizer();
        Assert.Throws<ArgumentNullException>(() => new CaptionTokenizer(null!, Simple, 4));
        Assert.Throws<ArgumentNullException>(() => new CaptionTokenizer(tok, null!, 4));
        Assert.Equal("max_length must be positive, got -1", Assert.Throws<VgtDataException>(() => new CaptionTokenizer(tok, Simple, -1)).Message);
        Assert.Equal("max_length must be positive, got 0", Assert.Throws<VgtDataException>(() => new CaptionTokenizer(tok, Simple, 0)).Message);
        Assert.Equal(1, new CaptionTokenizer(tok, Simple, 1).Tokenize("abc", false).Length);
        Assert.Throws<ArgumentOutOfRangeException>(() => new CaptionTokenizer(tok, Simple, 4, (TruncateMode)7));
        // "[G:]<i>" is 7 ids: max_length 7 is the least caption mode accepts.
        _ = new CaptionTokenizer(tok, Simple, 7, TruncateMode.Caption);
        var e = Assert.Throws<VgtDataException>(() => new CaptionTokenizer(tok, Simple, 6, TruncateMode.Caption));
        Assert.Equal("max_length 6 is shorter than template 'simple' itself (7 tokens with an empty caption); raise max_length or truncate by ids", e.Message);
        // Caption mode without a max_length never truncates, so a template without a single {input} is fine there.
        var noField = new PromptTemplate("n", "{input}", "fixed", "C", "");
        Assert.Equal("fixed", Text(new CaptionTokenizer(tok, noField, null, TruncateMode.Caption).Tokenize("abc", false)));
        Assert.Throws<VgtDataException>(() => new CaptionTokenizer(tok, noField, 9, TruncateMode.Caption));
    }

    [Fact]
    public void CountTokensRefusesLoneSurrogatesToo()
    {
        var c = new CaptionTokenizer(new CharTokenizer(), Simple, null);
        var e = Assert.Throws<VgtDataException>(() => c.CountTokens("ab\udc00", false));
        Assert.Equal("caption holds a lone surrogate \\udc00 at character 2, which UTF-8 cannot encode", e.Message);
        Assert.Equal(10, c.CountTokens("a\ud83d\ude00", false));
    }

    [Fact]
    public void FormatRefusalsGiveThePosition()
    {
        var open = Assert.Throws<VgtDataException>(() => new PromptTemplate("t", "ab{input", "{input}", "C", ""));
        Assert.Equal("template 't' INSTRUCTION: single '{' without a closing '}' at position 2 in \"ab{input\"", open.Message);
        var close = Assert.Throws<VgtDataException>(() => new PromptTemplate("t", "{input}", "x}y{input}", "C", ""));
        Assert.Equal("template 't' GENERATION: single '}' at position 1 in \"x}y{input}\" (write }} for a literal brace)", close.Message);
        var field = Assert.Throws<VgtDataException>(() => new PromptTemplate("t", "{}", "{input}", "C", ""));
        Assert.Equal("template 't' INSTRUCTION: unsupported format field '{}' in \"{}\" (only {input} is allowed; write {{ and }} for literal braces)", field.Message);
        // A brace at the very end is still a lone brace, not an escape.
        Assert.Throws<VgtDataException>(() => new PromptTemplate("t", "{input}}", "{input}", "C", ""));
        Assert.Throws<VgtDataException>(() => new PromptTemplate("t", "{input}{", "{input}", "C", ""));
    }

    [Fact]
    public void FormatWithZeroOneOrManyFields()
    {
        Assert.Equal("{x}", new PromptTemplate("t", "{{x}}", "{input}", "C", "").Build("cap", false));
        Assert.Equal("<cap|cap|cap>", new PromptTemplate("t", "<{input}|{input}|{input}>", "{input}", "C", "").Build("cap", false));
        Assert.Equal("cap-cap", new PromptTemplate("t", "{input}-{input}", "{input}", "C", "").Build(" cap ", false));
        var two = new PromptTemplate("t", "{input}-{input}", "{input}", "C", "");
        Assert.Throws<VgtDataException>(() => two.SplitAroundCaption());
    }

    [Fact]
    public void SplitAroundCaptionPutsEveryPieceInPlace()
    {
        var t = new PromptTemplate("t", "I<{input}>J", "G({input})H", "C", "<img>", true);
        Assert.Equal(("I<G(", ")H>J<img>"), t.SplitAroundCaption());
        var off = new PromptTemplate("t", "I<{input}>J", "G({input})H", "C", "<img>", false);
        Assert.Equal(("I<G(", ")H>J"), off.SplitAroundCaption());
        var e = Assert.Throws<VgtDataException>(() => new PromptTemplate("q", "I", "G{input}", "C", "").SplitAroundCaption());
        Assert.Equal("template 'q': caption truncation needs exactly one {input} in INSTRUCTION and in GENERATION", e.Message);
    }

    [Fact]
    public void SpecialTokensAreTheMarkersOnceThenTheImageStart()
    {
        var t = new PromptTemplate("t", "<|a|>{input}<|b|><|a|>", "<|c|> {input} <|no space|>", "<|b|><|d|>", "<|c|>");
        Assert.Equal(["<|a|>", "<|b|>", "<|c|>", "<|d|>"], t.SpecialTokens);
        Assert.Empty(new PromptTemplate("t", "{input}", "{input}", "", "").SpecialTokens);
        Assert.Equal(["<img>"], new PromptTemplate("t", "{input}", "{input}", "", "<img>").SpecialTokens);
    }

    [Fact]
    public void ConstructorArgumentsAreRequiredAndKept()
    {
        Assert.Throws<ArgumentNullException>(() => new PromptTemplate(null!, "{input}", "{input}", "C", ""));
        Assert.Throws<ArgumentNullException>(() => new PromptTemplate("t", null!, "{input}", "C", ""));
        Assert.Throws<ArgumentNullException>(() => new PromptTemplate("t", "{input}", null!, "C", ""));
        Assert.Throws<ArgumentNullException>(() => new PromptTemplate("t", "{input}", "{input}", null!, ""));
        Assert.Throws<ArgumentNullException>(() => new PromptTemplate("t", "{input}", "{input}", "C", null!));
        Assert.Throws<ArgumentNullException>(() => Simple.Build(null!, false));
        Assert.Throws<ArgumentNullException>(() => PromptTemplate.Load(null!));
        Assert.Equal("[{input}]", Simple.Instruction);
        Assert.Equal("G:{input}", Simple.Generation);
        Assert.Equal("CFG", Simple.Cfg);
        Assert.Equal("<i>", Simple.ImgStartToken);
        Assert.Equal("simple", Simple.ToString());
        Assert.Equal(["internvl3", "qwen25vl"], PromptTemplate.BuiltInNames.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void JsonRefusalsReadLikeTheConfigErrors()
    {
        static string Refuse(string json) =>
            Assert.Throws<VgtDataException>(() => PromptTemplate.FromJson(JsonDocument.Parse(json).RootElement, "c.json:t")).Message;
        Assert.Equal("c.json:t: a prompt template must be a JSON object, got Array", Refuse("[]"));
        Assert.Equal("c.json:t: unknown prompt template key 'X' (expected name, INSTRUCTION, GENERATION, CFG, IMG_START_TOKEN, IMG_START_TOKEN_FOR_GENERATION)",
            Refuse("""{"X": 1}"""));
        Assert.Equal("c.json:t: prompt template key 'CFG' is missing", Refuse("""{"INSTRUCTION": "{input}", "GENERATION": "{input}", "IMG_START_TOKEN": ""}"""));
        Assert.Equal("c.json:t: prompt template key 'name' must be a string, got Number",
            Refuse("""{"name": 1, "INSTRUCTION": "{input}", "GENERATION": "{input}", "CFG": "", "IMG_START_TOKEN": ""}"""));
        Assert.Equal("c.json:t: prompt template key 'IMG_START_TOKEN_FOR_GENERATION' must be true or false, got Null",
            Refuse("""{"INSTRUCTION": "{input}", "GENERATION": "{input}", "CFG": "", "IMG_START_TOKEN": "", "IMG_START_TOKEN_FOR_GENERATION": null}"""));
        Assert.Equal("c.json:t: template 'custom' INSTRUCTION: single '}' at position 0 in \"}\" (write }} for a literal brace)",
            Refuse("""{"INSTRUCTION": "}", "GENERATION": "{input}", "CFG": "", "IMG_START_TOKEN": ""}"""));
        var t = PromptTemplate.FromJson(JsonDocument.Parse("""
            {"INSTRUCTION": "{input}", "GENERATION": "{input}", "CFG": "", "IMG_START_TOKEN": "<x>", "IMG_START_TOKEN_FOR_GENERATION": true}
            """).RootElement, "w");
        Assert.Equal("custom", t.Name);
        Assert.Equal("a<x>", t.Build("a", false));
    }

    [Fact]
    public void LoadRefusesInvalidJsonAndAnUnknownName()
    {
        var file = Path.Combine(Path.GetTempPath(), $"vgt-template-{Guid.NewGuid():N}.json");
        try
        {
            File.WriteAllText(file, "{");
            var e = Assert.Throws<VgtDataException>(() => PromptTemplate.Load(file));
            Assert.StartsWith($"{file}: not valid JSON (", e.Message);
        }
        finally { File.Delete(file); }
        Assert.Equal("prompt template 'nope' is neither a built-in (internvl3, qwen25vl) nor an existing JSON file",
            Assert.Throws<VgtDataException>(() => PromptTemplate.Load("nope")).Message);
        Assert.Equal("unknown prompt template 'llava' (known: internvl3, qwen25vl)", Assert.Throws<VgtDataException>(() => PromptTemplate.Get("llava")).Message);
    }

    [Fact]
    public void StripReturnsTheSameStringWhenNothingIsStrippedAndRefusesNull()
    {
        var s = "a b";
        Assert.Same(s, PythonString.Strip(s));
        Assert.Equal("a", PythonString.Strip(" a"));
        Assert.Equal("a", PythonString.Strip("a "));
        Assert.Throws<ArgumentNullException>(() => PythonString.Strip(null!));
        Assert.False(PythonString.IsSpace('\u0008'));
        Assert.False(PythonString.IsSpace('\u000E'));
        Assert.False(PythonString.IsSpace('\u001B'));
        Assert.False(PythonString.IsSpace('\u0021'));
    }

    [Theory]
    [InlineData("ab\\", "JSON string ends inside an escape")]
    [InlineData("\\u12", "JSON \\u escape needs four hex digits")]
    [InlineData("x\\u12G4", "JSON \\u escape needs four hex digits")]
    [InlineData("\\x", "invalid JSON escape \\x")]
    public void UnescapeJsonRefusesBrokenEscapes(string raw, string expected) =>
        Assert.Equal(expected, Assert.Throws<FormatException>(() => LoneSurrogates.UnescapeJson(Encoding.UTF8.GetBytes(raw))).Message);

    [Fact]
    public void UnescapeJsonDecodesAfterTheLastEscapeAndHandlesNone()
    {
        Assert.Equal("é\nxyz", LoneSurrogates.UnescapeJson(Encoding.UTF8.GetBytes("é\\nxyz")));
        Assert.Equal("plain é", LoneSurrogates.UnescapeJson(Encoding.UTF8.GetBytes("plain é")));
        Assert.Equal("", LoneSurrogates.UnescapeJson([]));
        Assert.Equal("\u00e9\u1234", LoneSurrogates.UnescapeJson(Encoding.UTF8.GetBytes("\\u00e9\\u1234")));
    }

    [Fact]
    public void IndexOfSkipsEveryPairBeforeALoneOne()
    {
        Assert.Equal(6, LoneSurrogates.IndexOf("\ud83d\ude00a\ud83d\ude00b\ud800"));
        Assert.Equal(-1, LoneSurrogates.IndexOf("\ud83d\ude00\ud83d\ude00"));
        Assert.Equal(4, LoneSurrogates.IndexOf("\ud83d\ude00\ud83d\ude00\ud83d"));
    }
}
