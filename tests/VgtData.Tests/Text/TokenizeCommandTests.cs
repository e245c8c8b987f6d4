using VgtData.Cli;

namespace VgtData.Tests.Text;

public class TokenizeCommandTests
{
    private static (int Code, string Out, string Error) Run(string stdin, params string[] args)
    {
        var sw = new StringWriter();
        var ew = new StringWriter();
        int code = Program.Run(["tokenize", .. args], new CliContext { In = new StringReader(stdin), Out = sw, Error = ew });
        return (code, sw.ToString(), ew.ToString());
    }

    [SkippableFact]
    public void TokenizesJsonlInOrder()
    {
        var dir = SharedData.Require("tokenizers/internvl3-style");
        var (code, output, error) = Run("{\"caption\": \"bond\"}\n\n{\"caption\": \"x\", \"cfg\": true}\n{\"caption\": \"bond\", \"cfg\": false}\n",
            "--tokenizer", dir, "--template", "internvl3");
        Assert.True(code == 0, error);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, lines.Length);
        Assert.Equal("{\"input_ids\":[151644,872,198,31115,458,2168,25,10815,151645,198,151644,77091,198]}", lines[0]);
        Assert.Equal("{\"input_ids\":[151644,872,198,31115,458,2168,13,151645,198,151644,77091,198]}", lines[1]);
        Assert.Equal(lines[0], lines[2]);
    }

    [SkippableFact]
    public void TruncatesByCaption()
    {
        var dir = SharedData.Require("tokenizers/qwen3");
        var (code, output, error) = Run("{\"caption\": \"a red fox jumping over a lazy brown dog in a meadow\"}\n",
            "--tokenizer", dir, "--template", "qwen25vl", "--max-length", "16", "--truncate", "caption");
        Assert.True(code == 0, error);
        Assert.EndsWith(",151645,198,151644,77091,198,20092,29]}", output.Trim());
        Assert.Equal(16, output.Split(',').Length);
    }

    [Fact]
    public void DefaultTokenizerIsO200k()
    {
        var (code, output, error) = Run("{\"caption\": \"a cat\"}\n", "--template", "qwen25vl", "--max-length", "4");
        Assert.True(code == 0, error);
        Assert.StartsWith("{\"input_ids\":[", output);
        Assert.Equal(4, output.Split(',').Length);
    }

    [Theory]
    [InlineData("{\"caption\": \"ok\"}\n{\"caption\": 3}\n", "line 2")]
    [InlineData("{\"caption\": \"ok\"}\n\n{\"caption\": \"ok\", \"cfg\": \"yes\"}\n", "line 3")]
    [InlineData("not json\n", "line 1")]
    public void ABadLineIsNamedAndExitsOne(string stdin, string where)
    {
        var (code, _, error) = Run(stdin, "--template", "internvl3");
        Assert.Equal(1, code);
        Assert.Contains(where, error);
    }

    [Fact]
    public void BadOptionsAreUsageErrors()
    {
        Assert.Equal(2, Run("", "--template", "internvl3", "--truncate", "words").Code);
        Assert.Equal(2, Run("", "--template", "internvl3", "--max-length", "0").Code);
        Assert.Equal(2, Run("").Code);
        Assert.Equal(1, Run("", "--template", "nope").Code);
    }
}
