using System.Text.Json;
using VgtData.Text;

namespace VgtData.Tests.Text;

public class PromptTemplateTests
{
    private const string Head = "<|im_start|>user\n";
    private const string Tail = "<|im_end|>\n<|im_start|>assistant\n";

    [Fact]
    public void BuiltInsFollowTheVgtConfigs()
    {
        var internvl = PromptTemplate.Get("internvl3");
        Assert.False(internvl.ImgStartTokenForGeneration);
        Assert.Equal(Head + "Generate an image: a cat" + Tail, internvl.Build("  a cat\u001F\n", cfg: false));

        var qwen = PromptTemplate.Get("qwen25vl");
        Assert.True(qwen.ImgStartTokenForGeneration);
        Assert.Equal(Head + "Generate an image: a cat" + Tail + "<img>", qwen.Build("a cat", cfg: false));
        Assert.Equal(["<|im_start|>", "<|im_end|>", "<img>"], qwen.SpecialTokens);
    }

    [Fact]
    public void CfgPromptIgnoresTheCaption()
    {
        var t = PromptTemplate.Get("internvl3");
        Assert.Equal(Head + "Generate an image." + Tail, t.Build("anything at all", cfg: true));
        Assert.Equal(PromptTemplate.Get("qwen25vl").Build("", cfg: true), t.Build("x", cfg: true) + "<img>");
    }

    [Fact]
    public void UnknownNameListsTheKnownOnes()
    {
        var e = Assert.Throws<VgtDataException>(() => PromptTemplate.Get("llava"));
        Assert.Contains("llava", e.Message);
        Assert.Contains("internvl3", e.Message);
        Assert.Contains("qwen25vl", e.Message);
    }

    [Fact]
    public void FormatHasPythonBraceSemantics()
    {
        var t = new PromptTemplate("b", "{{sys}} {input} {{{input}}}", "G: {input}", "C", "<img>", false);
        Assert.Equal("{sys} G: x{y}z {G: x{y}z}", t.Build("x{y}z", false));   // a caption's braces are never format syntax
        Assert.Equal("{sys} C {C}", t.Build("x", true));
        Assert.Throws<VgtDataException>(() => new PromptTemplate("b", "{input} }", "{input}", "C", "<img>"));
        Assert.Throws<VgtDataException>(() => new PromptTemplate("b", "{input", "{input}", "C", "<img>"));
        var e = Assert.Throws<VgtDataException>(() => new PromptTemplate("b", "{input}", "{caption}", "C", "<img>"));
        Assert.Contains("GENERATION", e.Message);
        Assert.Contains("{caption}", e.Message);
    }

    [Fact]
    public void SplitAroundCaptionSurroundsTheStrippedCaption()
    {
        foreach (var name in new[] { "internvl3", "qwen25vl" })
        {
            var t = PromptTemplate.Get(name);
            var (prefix, suffix) = t.SplitAroundCaption();
            Assert.Equal(Head + "Generate an image: ", prefix);
            Assert.StartsWith(Tail, suffix);
            Assert.Equal(t.Build(" a dog ", false), prefix + "a dog" + suffix);
        }
        var none = new PromptTemplate("n", "{input}", "fixed", "C", "<img>");
        Assert.Throws<VgtDataException>(() => none.SplitAroundCaption());
    }

    private static JsonElement Json(string s) => JsonDocument.Parse(s).RootElement.Clone();

    [Fact]
    public void CustomTemplateFromJson()
    {
        var t = PromptTemplate.FromJson(Json("""
            {"name": "plain", "INSTRUCTION": "<|im_start|>{input}<|im_end|>", "GENERATION": "Draw {input}", "CFG": "Draw.",
             "IMG_START_TOKEN": "<image>"}
            """), "config.json:text");
        Assert.Equal("plain", t.Name);
        Assert.True(t.ImgStartTokenForGeneration);   // absent key means true, as in the anchor
        Assert.Equal("<|im_start|>Draw a fox<|im_end|><image>", t.Build("a fox", false));
        Assert.Equal(["<|im_start|>", "<|im_end|>", "<image>"], t.SpecialTokens);

        var off = PromptTemplate.FromJson(Json("""
            {"INSTRUCTION": "{input}", "GENERATION": "{input}", "CFG": "", "IMG_START_TOKEN": "<img>", "IMG_START_TOKEN_FOR_GENERATION": false}
            """), "x");
        Assert.Equal("fox", off.Build("fox", false));
    }

    [Theory]
    [InlineData("""{"INSTRUCTION": "{input}", "GENERATION": "{input}", "CFG": "", "IMG_START_TOKEN": "<img>", "PROMPT": "x"}""", "PROMPT")]
    [InlineData("""{"INSTRUCTION": "{input}", "GENERATION": "{input}", "CFG": 3, "IMG_START_TOKEN": "<img>"}""", "CFG")]
    [InlineData("""{"INSTRUCTION": "{input}", "GENERATION": "{input}", "CFG": "", "IMG_START_TOKEN": "<img>", "IMG_START_TOKEN_FOR_GENERATION": "no"}""", "IMG_START_TOKEN_FOR_GENERATION")]
    [InlineData("""{"INSTRUCTION": "{input}", "CFG": "", "IMG_START_TOKEN": "<img>"}""", "GENERATION")]
    [InlineData("""{"INSTRUCTION": "{prompt}", "GENERATION": "{input}", "CFG": "", "IMG_START_TOKEN": "<img>"}""", "INSTRUCTION")]
    public void JsonErrorsNameWhereAndKey(string json, string key)
    {
        var e = Assert.Throws<VgtDataException>(() => PromptTemplate.FromJson(Json(json), "configs/t2i.json:prompt_template"));
        Assert.Contains("configs/t2i.json:prompt_template", e.Message);
        Assert.Contains(key, e.Message);
    }

    [Fact]
    public void LoadTakesANameOrAFile()
    {
        Assert.Same(PromptTemplate.Get("qwen25vl"), PromptTemplate.Load("qwen25vl"));
        var file = Path.Combine(Path.GetTempPath(), $"vgt-template-{Guid.NewGuid():N}.json");
        try
        {
            File.WriteAllText(file, """{"INSTRUCTION": "U: {input}", "GENERATION": "{input}", "CFG": "", "IMG_START_TOKEN": "<img>"}""");
            var t = PromptTemplate.Load(file);
            Assert.Equal(Path.GetFileNameWithoutExtension(file), t.Name);
            Assert.Equal("U: a<img>", t.Build("a", false));
            File.WriteAllText(file, """{"INSTRUCTION": 1}""");
            var e = Assert.Throws<VgtDataException>(() => PromptTemplate.Load(file));
            Assert.Contains(file, e.Message);
        }
        finally { File.Delete(file); }
        var missing = Assert.Throws<VgtDataException>(() => PromptTemplate.Load("no-such-template.json"));
        Assert.Contains("no-such-template.json", missing.Message);
    }
}
