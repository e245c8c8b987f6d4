using System.Text;
using VgtData.Config.Import;

namespace VgtData.Tests.Config;

/// <summary>
/// <c>vgtdata config import</c> on hostile Python: every input ends in a result or one line naming file and line
/// (exit 1), in bounded time and memory; integers are Python's (exact or refused, never wrapped); the bytes must be
/// UTF-8. The import runs in-process on a thread with a 1 MiB stack, so a recursion the limits miss fails here.
/// </summary>
public class ImporterLimitTests
{
    private const string TooDeep = "expression nested too deeply (more than 200 levels)";
    private const string OverBudget = "would take the values this import builds past 64 MiB (a data config needs far less)";
    private const string TooBig = "an integer of more than 14,000 bits (about 4,200 digits): not a config value";

    public static TheoryData<string, string, string> DeepSources() => new()
    {
        { "plus", "x = 1" + string.Concat(Enumerable.Repeat(" + 1", 5_000)) + "\n", TooDeep },
        { "power", "x = 1" + string.Concat(Enumerable.Repeat(" ** 2", 5_000)) + "\n", TooDeep },
        { "attribute", "x = a" + string.Concat(Enumerable.Repeat(".b", 10_000)) + "\n", TooDeep },
        { "subscript", "x = a" + string.Concat(Enumerable.Repeat("[0]", 10_000)) + "\n", TooDeep },
        { "call", "x = f" + string.Concat(Enumerable.Repeat("()", 10_000)) + "\n", TooDeep },
        { "not", "x = " + string.Concat(Enumerable.Repeat("not ", 100_000)) + "1\n", TooDeep },
        { "minus", "x = " + new string('-', 100_000) + "1\n", TooDeep },
        { "tilde", "x = " + new string('~', 100_000) + "1\n", TooDeep },
        { "paren", "x = " + new string('(', 100_000) + "1" + new string(')', 100_000) + "\n", "more than 200 nested brackets" },
        { "bracket", "x = " + new string('[', 100_000) + "\n", "more than 200 nested brackets" },
        { "brace", "x = " + string.Concat(Enumerable.Repeat("{1: ", 100_000)) + "\n", "more than 200 nested brackets" },
        { "lambda", "x = " + string.Concat(Enumerable.Repeat("lambda: ", 100_000)) + "1\n", TooDeep },
        { "conditional", "x = 1" + string.Concat(Enumerable.Repeat(" if 1 else 1", 100_000)) + "\n", TooDeep },
        { "indent", string.Concat(Enumerable.Range(0, 150).Select(i => new string(' ', i) + "with a:\n")) + new string(' ', 150) + "x = 1\n",
            "more than 100 levels of indentation" },
    };

    [Theory]
    [MemberData(nameof(DeepSources))]
    public void DeepExpressionsAreOneLineRefusalsNotStackOverflows(string name, string source, string reason)
    {
        using var dir = new ConfigDir();
        var file = dir.Write($"{name}.py", source);
        var (code, _, error) = OnSmallStack(() => ConfigDir.Cli("config", "import", file, "-o", Path.Combine(dir.Root, "out.json")));
        Assert.Equal(1, code);
        var line = name == "indent" ? 102 : 1;
        Assert.Equal($"vgtdata config: {file}:{line}: {reason}\n", error.ReplaceLineEndings("\n"));
    }

    [Fact]
    public void ChainsWithinTheDepthLimitEvaluate()
    {
        using var dir = new ConfigDir();
        var file = dir.Write("ok.py", "max_length = 1" + string.Concat(Enumerable.Repeat(" + 1", 150)) + "\n"
            + "image_size = " + new string('-', 100) + "448\n"
            + "d = dict(a=dict(b=[0, 1, 2]))\npad_index = d['a']['b'][2]\n");
        var result = OnSmallStack(() => VgtConfigImporter.Import(file, new VgtImportOptions { OutputDirectory = dir.Root }));
        Assert.Equal(151, result.Config["max_length"]!.GetValue<int>());
        Assert.Equal(448, result.Config["image_size"]!.GetValue<int>());
        Assert.Equal(2, result.Config["pad_index"]!.GetValue<int>());
    }

    public static TheoryData<string, string, int, string> GreedySources() => new()
    {
        { "repeat", "a = 'a' * 1000000\nb = a * 1000\nc = b * 1000\n", 2, $"a string repetition {OverBudget}" },
        { "concat", "a0 = 'ab'\n" + string.Concat(Enumerable.Range(1, 40).Select(i => $"a{i} = a{i - 1} + a{i - 1}\n")), 24, $"a string concatenation {OverBudget}" },
        { "list-concat", "a0 = [1]\n" + string.Concat(Enumerable.Range(1, 40).Select(i => $"a{i} = a{i - 1} + a{i - 1}\n")), 23, $"a list concatenation {OverBudget}" },
        { "list-repeat", "s = 'x'\ntrain_dataloader = dict(batch_size=[s] * 100000000)\n", 2, $"a list repetition {OverBudget}" },
        { "huge-count", "s = 'x' * 10**4000\n", 1, $"a string repetition {OverBudget}" },
        // [a, a] is cheap in Python, but the JSON written from it doubles each time: charged as it is written.
        { "shared", "a0 = ['x']\n" + string.Concat(Enumerable.Range(1, 40).Select(i => $"a{i} = [a{i - 1}, a{i - 1}]\n")) + "train_dataloader = dict(batch_size=a40)\n",
            42, $"the JSON config written from these values {OverBudget}" },
        { "power", "x = 2 ** 10 ** 10\n", 1, TooBig },
        { "power-of-big", "x = (10 ** 4000) ** (10 ** 4000)\n", 1, TooBig },
        { "shift", "x = 1 << 10 ** 9\n", 1, TooBig },
        { "product", "a = 10 ** 4000\nb = a * a\n", 2, TooBig },
        { "literal", "x = " + new string('9', 5000) + "\n", 1, "an integer literal over 4,300 digits" },
        { "tokens", "x = [" + string.Concat(Enumerable.Repeat("1,", 10_000_000)) + "]\n", 1, "more than 1,000,000 tokens: not a config file" },
    };

    [Theory]
    [MemberData(nameof(GreedySources))]
    public void GreedyValuesStopAtTheBudgetInBoundedTimeAndMemory(string name, string source, int line, string reason)
    {
        using var dir = new ConfigDir();
        var file = dir.Write($"{name}.py", source);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var (code, error, allocated) = OnSmallStack(() =>
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            var (c, _, e) = ConfigDir.Cli("config", "import", file, "-o", Path.Combine(dir.Root, "out.json"));
            return (c, e, GC.GetAllocatedBytesForCurrentThread() - before);
        });
        Assert.Equal(1, code);
        Assert.Equal($"vgtdata config: {file}:{line}: {reason}\n", error.ReplaceLineEndings("\n"));
        // Before the budget: 8.1 GB and 119 s for "repeat", gigabytes or no end for the others. Generous margins.
        Assert.True(allocated < 1L << 30, $"{name}: allocated {allocated:N0} bytes");
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"{name}: took {clock.Elapsed}");
        Assert.False(File.Exists(Path.Combine(dir.Root, "out.json")));
    }

    [Theory]
    [InlineData("(2**63-1)*2+450", "18446744073709552064")]
    [InlineData("9223372036854775807 + 1", "9223372036854775808")]
    [InlineData("-(-9223372036854775807 - 1)", "9223372036854775808")]
    [InlineData("0x7fffffffffffffff + 1", "9223372036854775808")]
    [InlineData("2 ** 100", "1267650600228229401496703205376")]
    [InlineData("1 << 70", "1180591620717411303424")]
    [InlineData("10 ** 20 // 3", "33333333333333333333")]
    [InlineData("-2 ** 63", "-9223372036854775808")]
    [InlineData("-7 // 2", "-4")]
    [InlineData("-7 % 2", "1")]
    [InlineData("7 % -2", "-1")]
    [InlineData("(-1) ** 10 ** 100", "1")]
    [InlineData("0 ** 10 ** 100", "0")]
    [InlineData("2 ** -1", "0.5")]
    [InlineData("~5", "-6")]
    [InlineData("6 & 3 | 8 ^ 1", "11")]
    [InlineData("1 | 2 << 3", "17")]
    [InlineData("5 ^ 1 & 3", "4")]
    [InlineData("-1 >> 3", "-1")]
    [InlineData("-7.5 % 2", "0.5")]
    [InlineData("'ab' * 3", "\"ababab\"")]
    [InlineData("3 * 'ab'", "\"ababab\"")]
    [InlineData("'ab' * -2", "\"\"")]
    [InlineData("[1] * 2 + [2]", "[1,1,2]")]
    [InlineData("[] * 10 ** 100", "[]")]
    public void IntegersAndRepetitionAreComputedAsPythonDoes(string expression, string json)
    {
        using var dir = new ConfigDir();
        var file = dir.Write("ints.py", $"max_length = {expression}\n");
        var result = VgtConfigImporter.Import(file, new VgtImportOptions { OutputDirectory = dir.Root });
        Assert.Equal(json, result.Config["max_length"]!.ToJsonString());
    }

    [Fact]
    public void AnIntegerPastInt64IsRefusedByTheConfigNotWrapped()
    {
        using var dir = new ConfigDir();
        var file = dir.Write("wrap.py", "tokenizer = 'embedded:o200k'\nmax_length = (2**63-1)*2+450\n");
        var output = Path.Combine(dir.Root, "out.json");
        var (code, _, error) = ConfigDir.Cli("config", "import", file, "-o", output);
        // Before: the sum wrapped to 448 and the import exited 0.
        Assert.Equal(1, code);
        Assert.Contains($"error: {output}: max_length: expected an integer, got the number 18446744073709552064\n", error.ReplaceLineEndings("\n"));
    }

    [Fact]
    public void NonUtf8BytesAreRefusedWithFileAndLine()
    {
        using var dir = new ConfigDir();
        var file = Path.Combine(dir.Root, "latin1.py");
        File.WriteAllBytes(file, [.. "tokenizer = 'embedded:o200k'\n# caf"u8, 0xE9, .. "\nx = 1\n"u8]);
        var (code, _, error) = ConfigDir.Cli("config", "import", file, "-o", Path.Combine(dir.Root, "out.json"));
        Assert.Equal(1, code);
        Assert.Equal($"vgtdata config: {file}:2: byte 0xE9 is not UTF-8 (Python reads a .py file as UTF-8)\n", error.ReplaceLineEndings("\n"));

        // Through read_base the message names the base file; a BOM and real UTF-8 are read as Python reads them.
        File.Move(file, Path.Combine(dir.Root, "base.py"));
        var main = dir.Write("main.py", "with read_base():\n    from .base import x\n");
        (code, _, error) = ConfigDir.Cli("config", "import", main, "-o", Path.Combine(dir.Root, "out.json"));
        Assert.Equal(1, code);
        Assert.Equal($"vgtdata config: {Path.Combine(dir.Root, "base.py")}:2: byte 0xE9 is not UTF-8 (Python reads a .py file as UTF-8)\n", error.ReplaceLineEndings("\n"));
        var good = Path.Combine(dir.Root, "good.py");
        File.WriteAllBytes(good, [0xEF, 0xBB, 0xBF, .. Encoding.UTF8.GetBytes("prompt_template = dict(CFG='café')\n")]);
        var result = VgtConfigImporter.Import(good, new VgtImportOptions { OutputDirectory = dir.Root });
        Assert.Equal("café", result.Config["prompt_template"]!["CFG"]!.GetValue<string>());
    }

    [Fact]
    public void EmbeddedTokenizerNamesAndObjectStoreUrlsAreKeptAsWritten()
    {
        using var dir = new ConfigDir();
        var file = dir.Write("emb.py", "tokenizer = 'embedded:o200k'\n"
            + "dataset = dict(type='CaptionDataset', data_path='s3://bucket/d.json', tokenizer=dict(type='AutoTokenizer.from_pretrained', pretrained_model_name_or_path='embedded:o200k'))\n");
        var result = VgtConfigImporter.Import(file, new VgtImportOptions { OutputDirectory = Path.Combine(dir.Root, "out") });
        Assert.Equal("embedded:o200k", result.Config["tokenizer"]!.GetValue<string>());
        Assert.Equal("embedded:o200k", result.Config["dataset"]!["tokenizer"]!.GetValue<string>());
        Assert.Equal("s3://bucket/d.json", result.Config["dataset"]!["data_path"]!.GetValue<string>());

        // Before: written as the folder "data/models/embedded:o200k", which then did not exist.
        var only = dir.Write("only.py", "tokenizer = 'embedded:o200k'\n");
        var output = Path.Combine(dir.Root, "only.json");
        var (code, stdout, error) = ConfigDir.Cli("config", "import", only, "-o", output);
        Assert.Equal(0, code);
        Assert.Equal("wrote " + output + "\n", stdout.ReplaceLineEndings("\n"));
        Assert.DoesNotContain("tokenizer", error);
        Assert.Contains("\"tokenizer\": \"embedded:o200k\"", File.ReadAllText(output));
    }

    [Fact]
    public void ABaseNamedByEveryFileOfAChainIsLoadedOnce()
    {
        using var dir = new ConfigDir();
        // 30 files, each importing the next twice (through two names): Python runs each module once.
        for (int i = 0; i < 30; i++)
            dir.Write($"m{i}.py", i == 29 ? "n = 1\n" : $"with read_base():\n    from .m{i + 1} import n\n    from .m{i + 1} import n as k\nn = n + k\n");
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var file = dir.Write("main.py", "with read_base():\n    from .m0 import n\nmax_length = n\n");
        var result = VgtConfigImporter.Import(file, new VgtImportOptions { OutputDirectory = dir.Root });
        Assert.Equal(1L << 29, result.Config["max_length"]!.GetValue<long>());
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"took {clock.Elapsed}");
    }

    /// <summary>What the config-import fuzzer found: exits 70 (ArgumentException, FormatException) and a long string
    /// copied through path handling and the JSON written (over 400 MB allocated); and lone surrogates written as U+FFFD.</summary>
    [Theory]
    [InlineData("nul", "tokenizer = 'embedded\\0:o200k'\n", "error: {out}: tokenizer: contains a NUL character\n")]
    [InlineData("digit", "max_length = 4\u06f2\n", "vgtdata config: {file}:1: expected the end of the statement, found '\u06f2'\n")]
    [InlineData("long", "tokenizer = 'embedded:o200k'\ndataset = dict(type='CaptionDataset' * 100000, data_path='x.json')\n",
        "error: {file}:2: dataset.type: the string has 1,400,000 characters; a config value may have 1,048,576 at most\n"
        + "vgtdata config import: {file}: not imported (errors above); nothing written\n")]
    // Python keeps '\ud800' in a str and fails when a file is opened with it; it was written out as U+FFFD.
    [InlineData("path", "tokenizer = 'embedded:o200k'\ndataset = dict(type='CaptionDataset', data_path='x\\ud800.json')\n",
        "error: {file}:2: dataset.data_path: the string holds a lone surrogate \\ud800 at character 1, which UTF-8 cannot encode\n"
        + "vgtdata config import: {file}: not imported (errors above); nothing written\n")]
    [InlineData("key", "tokenizer = 'embedded:o200k'\nprompt_template = {'\\udc00': 'x'}\n",
        "error: {file}:2: prompt_template: a key holds a lone surrogate \\udc00 at character 0, which UTF-8 cannot encode\n"
        + "vgtdata config import: {file}: not imported (errors above); nothing written\n")]
    public void FuzzFindingsAreOneLineRefusals(string name, string source, string expected)
    {
        using var dir = new ConfigDir();
        var file = dir.Write($"{name}.py", source);
        var output = Path.Combine(dir.Root, "out.json");
        var (code, _, error) = ConfigDir.Cli("config", "import", file, "-o", output);
        Assert.Equal(1, code);
        Assert.Equal(expected.Replace("{file}", file).Replace("{out}", output), error.ReplaceLineEndings("\n"));
    }

    [Fact]
    public void AValueNestedOncePerStatementIsRefusedWhenWrittenNotAStackOverflow()
    {
        using var dir = new ConfigDir();
        // Each statement is shallow; the list is 100,000 levels deep. Writing it recursed per level: exit 134 before.
        var file = dir.Write("nested.py", "a = [1]\n" + string.Concat(Enumerable.Repeat("a = [a]\n", 100_000)) + "train_dataloader = dict(batch_size=a)\n");
        var (code, _, error) = OnSmallStack(() => ConfigDir.Cli("config", "import", file, "-o", Path.Combine(dir.Root, "out.json")));
        Assert.Equal(1, code);
        var path = "train_dataloader.batch_size" + string.Concat(Enumerable.Repeat("[0]", 32));
        Assert.Equal($"error: {file}:100002: {path}: nested more than 32 levels deep (a dict or list that contains itself?)\n"
            + $"warning: {file}: not data-loader settings, not imported: a\n"
            + $"vgtdata config import: {file}: not imported (errors above); nothing written\n", error.ReplaceLineEndings("\n"));
    }

    /// <summary>Work that grew with the square of the input: "did you mean" over every name for every undefined one,
    /// and a dotted module name copied once per part. Each took over 60 s before.</summary>
    [Theory]
    [InlineData("names")]
    [InlineData("dotted")]
    public void LargeFilesEndInTimeLinearInTheirSize(string name)
    {
        using var dir = new ConfigDir();
        var source = name == "names"
            ? string.Concat(Enumerable.Range(0, 100_000).Select(i => $"a{i} = 1\n")) + string.Concat(Enumerable.Range(0, 20_000).Select(i => $"x = b{i}\n"))
            : "import " + string.Join('.', Enumerable.Repeat("a", 400_000)) + "\ntokenizer = 'embedded:o200k'\n";
        var file = dir.Write($"{name}.py", source);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var result = VgtConfigImporter.Import(file, new VgtImportOptions { OutputDirectory = dir.Root });
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"{name}: took {clock.Elapsed}");
        Assert.False(result.HasErrors);
        if (name == "dotted") Assert.Equal("embedded:o200k", result.Config["tokenizer"]!.GetValue<string>());
    }

    [Fact]
    public void HintsAreStillGivenForNearNames()
    {
        using var dir = new ConfigDir();
        var file = dir.Write("hint.py", "image_size = 448\ndataset = dict(type='CaptionDataset', data_path='d.json', image_size=imagesize)\n");
        var result = VgtConfigImporter.Import(file, new VgtImportOptions { OutputDirectory = dir.Root });
        var error = Assert.Single(result.Issues, i => !i.IsWarning);
        Assert.Equal("'imagesize' is not defined (did you mean 'image_size'?); needed for dataset.image_size", error.Message);
    }

    /// <summary>Runs <paramref name="body"/> on a thread with a 1 MiB stack (a thread pool thread's is larger).</summary>
    internal static T OnSmallStack<T>(Func<T> body)
    {
        T result = default!;
        Exception? error = null;
        var thread = new Thread(() =>
        {
            try { result = body(); }
            catch (Exception e) { error = e; }
        }, 1 << 20);
        thread.Start();
        thread.Join();
        if (error is not null) throw new InvalidOperationException("the body threw", error);
        return result;
    }
}
