using System.Text.Json;
using VgtData.Cli;
using VgtData.Tests.Sampling;
using VgtData.Tests.Validation;
using TestPng = VgtData.Tests.Validation.Images;

namespace VgtData.Tests.Cli;

/// <summary>What a user sees when a verb fails: one line on stderr naming the problem, an exit code from 1 to 125.</summary>
internal static class CliOutcome
{
    public static (int Code, string Out, string Err) Run(string[] args, string stdin = "", IReadOnlyList<ICommand>? commands = null)
    {
        var o = new StringWriter();
        var e = new StringWriter();
        var context = new CliContext { Out = o, Error = e, In = new StringReader(stdin), IsTerminal = false };
        int code = commands is null ? Program.Run(args, context) : Program.Run(args, context, commands);
        return (code, o.ToString(), e.ToString());
    }

    /// <summary>Exit code in 1..125 (126+ are the shell's and signals'), no stack trace anywhere, and exactly one
    /// "vgtdata VERB: ..." line on stderr, holding <paramref name="expected"/> when given.</summary>
    public static void AssertOneLineFailure((int Code, string Out, string Err) result, string verb, string? expected, int? code = null)
    {
        var all = result.Out + result.Err;
        Assert.True(result.Code is >= 1 and <= 125, $"exit {result.Code}: {all}");
        if (code is int want) Assert.True(result.Code == want, $"exit {result.Code}, want {want}: {all}");
        Assert.DoesNotContain("   at ", all);
        Assert.DoesNotContain("Unhandled exception", all);
        var lines = result.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => l.StartsWith("vgtdata", StringComparison.Ordinal)).ToList();
        Assert.True(lines.Count == 1, $"want one error line, got {lines.Count}: {result.Err}");
        Assert.StartsWith($"vgtdata {verb}: ", lines[0]);
        if (expected != null) Assert.Contains(expected, lines[0]);
    }
}

public sealed class CliFailureTests : IDisposable
{
    private readonly TempDataset _tree = new();

    public CliFailureTests()
    {
        _tree.WriteFile("img/a.png", TestPng.Png(100, 100));
        _tree.WriteFile("img/b.png", TestPng.Png(120, 90));
        _tree.WriteText("data.json", """[{"image": "img/a.png", "caption": "a square"}, {"image": "img/b.png", "caption": "a wide one"}]""");
        _tree.WriteText("plain-file", "not a folder");
    }

    public void Dispose() => _tree.Dispose();

    /// <summary>Case name → (args, stdin, expected text of the error line or null where only the shape is checked, exit code or null).</summary>
    private (string[] Args, string Stdin, string? Expected, int? Code) Case(string name)
    {
        var config = _tree.Config();
        var file = _tree.PathOf("plain-file");
        return name switch
        {
            "sample --out below a file" => (["sample", config, "--index", "0", "--out", Path.Combine(file, "sub")], "",
                $"--out {Path.Combine(file, "sub")}: cannot create the folder: {file} is a file, not a folder", 1),
            "validate --write-clean below a file" => (["validate", config, "--write-clean", Path.Combine(file, "sub", "clean.json")], "",
                $"cannot create its folder: {file} is a file, not a folder", 1),
            "preview --out below a file" => (["preview", config, "--out", Path.Combine(file, "sheet.html")], "",
                $"--out {Path.Combine(file, "sheet.html")}: cannot create its folder: {file} is a file, not a folder", 1),
            "demo --dir is a file" => (["demo", "--dir", file, "--count", "2", "--batches", "1"], "",
                $"--dir {file}: cannot create the folder: {file} is a file, not a folder", 1),
            "tokenize: lone \\ud800 in the caption" => (["tokenize", "--template", "qwen25vl"],
                "{\"caption\": \"fine\"}\n{\"caption\": \"a \\ud800 b\"}\n",
                "stdin line 2: \"caption\" holds a lone surrogate \\ud800 at character 2, which UTF-8 cannot encode", 1),
            "tokenize: lone \\udc00 in the caption" => (["tokenize", "--template", "qwen25vl"], "{\"caption\": \"\\udc00\"}\n",
                "stdin line 1: \"caption\" holds a lone surrogate \\udc00 at character 0", 1),
            "unknown option" => (["bench", config, "--batchs", "2"], "", "unknown option --batchs (see: vgtdata bench --help)", 2),
            "option without its value" => (["sample", config, "--index"], "", "option --index needs a value", 2),
            "flag given a value" => (["validate", config, "--json=yes"], "", "option --json takes no value", 2),
            "missing CONFIG" => (["validate"], "", "missing CONFIG", 2),
            "config file missing" => (["bench", _tree.PathOf("nope.json")], "", "nope.json", 1),
            // Caught at the command boundary; the config checks name the key (their own tests hold the exact messages).
            "--set dataset.data_path= (empty)" => (["sample", config, "--index", "0", "--out", _tree.PathOf("s"), "--set", "dataset.data_path="], "", null, null),
            "--set tokenizer= (empty)" => (["sample", config, "--index", "0", "--out", _tree.PathOf("s"), "--set", "tokenizer="], "", null, null),
            "--set bad_samples.budget=2" => (["sample", config, "--index", "0", "--out", _tree.PathOf("s"), "--set", "bad_samples.budget=2"], "", null, null),
            "--set bad_samples.window=0" => (["sample", config, "--index", "0", "--out", _tree.PathOf("s"), "--set", "bad_samples.window=0"], "", null, null),
            "--set image_size=0" => (["sample", config, "--index", "0", "--out", _tree.PathOf("s"), "--set", "image_size=0"], "", null, null),
            "--set image_size=100000" => (["sample", config, "--index", "0", "--out", _tree.PathOf("s"), "--set", "image_size=100000"], "", null, null),
            "NUL in data_path" => (["sample", config, "--index", "0", "--out", _tree.PathOf("s"), "--set", "dataset.data_path=da\0ta.json"], "", null, null),
            _ => throw new ArgumentException(name),
        };
    }

    public static TheoryData<string> Cases => new()
    {
        "sample --out below a file",
        "validate --write-clean below a file",
        "preview --out below a file",
        "demo --dir is a file",
        "tokenize: lone \\ud800 in the caption",
        "tokenize: lone \\udc00 in the caption",
        "unknown option",
        "option without its value",
        "flag given a value",
        "missing CONFIG",
        "config file missing",
        "--set dataset.data_path= (empty)",
        "--set tokenizer= (empty)",
        "--set bad_samples.budget=2",
        "--set bad_samples.window=0",
        "--set image_size=0",
        "--set image_size=100000",
        "NUL in data_path",
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Fails_with_one_line_and_an_exit_code_from_1_to_125(string name)
    {
        var (args, stdin, expected, code) = Case(name);
        CliOutcome.AssertOneLineFailure(CliOutcome.Run(args, stdin), args.Length > 0 ? args[0] : "", expected, code);
    }

    [Fact]
    public void Write_clean_below_a_file_fails_before_validating()
    {
        var result = CliOutcome.Run(["validate", _tree.Config(), "--write-clean", Path.Combine(_tree.PathOf("plain-file"), "c.json")]);
        Assert.Equal(1, result.Code);
        Assert.DoesNotContain("entries checked", result.Out);
        Assert.Equal("not a folder", File.ReadAllText(_tree.PathOf("plain-file")));
    }

    private sealed class Throwing(Exception e) : ICommand
    {
        public string Name => "boom";
        public string Summary => "throws";
        public string Usage => "boom";
        public int Run(CommandArgs args, CliContext context) => throw e;
    }

    [Fact]
    public void An_unexpected_exception_is_one_internal_error_line_with_exit_70()
    {
        var result = CliOutcome.Run(["boom"], commands: [new Throwing(new InvalidOperationException("the state\nwas wrong"))]);
        CliOutcome.AssertOneLineFailure(result, "boom", "internal error: InvalidOperationException: the state; was wrong", Program.InternalErrorExit);
    }

    [Fact]
    public void Io_errors_and_wrapped_errors_name_the_cause_with_exit_1()
    {
        var io = CliOutcome.Run(["boom"], commands: [new Throwing(new UnauthorizedAccessException("Access to the path '/x' is denied."))]);
        CliOutcome.AssertOneLineFailure(io, "boom", "Access to the path '/x' is denied.", 1);
        var wrapped = CliOutcome.Run(["boom"], commands: [new Throwing(new AggregateException(new VgtDataException("data.json: entry 3 is bad")))]);
        CliOutcome.AssertOneLineFailure(wrapped, "boom", "vgtdata boom: data.json: entry 3 is bad", 1);
    }
}

/// <summary>Entries Python reads but cannot use become named bad samples: listed by validate, replaced by sample.</summary>
public sealed class CliBadEntryTests : IDisposable
{
    private readonly TempDataset _tree = new();

    public void Dispose() => _tree.Dispose();

    // The raw data.json text of entry 0; entry 1 is good.
    [Theory]
    [InlineData("""{"caption": "", "image": "img/a.png"}""", "0:0 img/a.png: blank caption: caption is empty after strip()")]
    [InlineData("""{"image": "img/a.png", "caption": "a \ud800 square"}""",
        "0:0 img/a.png: unencodable text: caption holds a lone surrogate \\ud800 at character 2, which UTF-8 cannot encode")]
    [InlineData("""{"image": "img/a.png", "caption": "tail \udfff"}""", "unencodable text: caption holds a lone surrogate \\udfff at character 5")]
    [InlineData("""{"image": "img/\ud83d.png", "caption": "a square"}""", "unencodable text: image path holds a lone surrogate \\ud83d at character 4")]
    public void Validate_lists_it_and_sample_replaces_it(string entry, string expected)
    {
        _tree.WriteFile("img/a.png", TestPng.Png(100, 100));
        _tree.WriteFile("img/b.png", TestPng.Png(120, 90));
        _tree.WriteText("data.json", $$"""[{{entry}}, {"image": "img/b.png", "caption": "a wide one"}]""");
        var config = _tree.Config();

        var validate = CliOutcome.Run(["validate", config]);
        Assert.True(validate.Code == 1, validate.Out + validate.Err);
        Assert.Contains(expected, validate.Out);
        Assert.DoesNotContain("   at ", validate.Out + validate.Err);

        var sample = CliOutcome.Run(["sample", config, "--index", "0", "--out", _tree.PathOf("s0")]);
        Assert.True(sample.Code == 0, sample.Out + sample.Err);
        Assert.Contains("replaced by entry 1", sample.Out);
        Assert.Contains("bad sample: sample 0", sample.Err);
    }

    [Fact]
    public void An_escaped_pair_is_one_character_not_a_lone_surrogate()
    {
        _tree.WriteFile("img/a.png", TestPng.Png(100, 100));
        _tree.WriteText("data.json", """[{"image": "img/a.png", "caption": "a \ud83d\ude00 face"}]""");
        var result = CliOutcome.Run(["sample", _tree.Config(), "--index", "0", "--out", _tree.PathOf("s0")]);
        Assert.True(result.Code == 0, result.Err);
        using var doc = JsonDocument.Parse(File.ReadAllText(_tree.PathOf("s0/sample.json")));
        Assert.Equal("a \U0001F600 face", doc.RootElement.GetProperty("caption").GetString());
    }
}

/// <summary>torchrun's RANK / WORLD_SIZE out of range: a plain error naming both, not an ArgumentOutOfRangeException.</summary>
[Collection(ProcessEnvironmentCollection.Name)]
public sealed class CliRankTests : IDisposable
{
    private readonly TempDataset _tree = new();

    public void Dispose() => _tree.Dispose();

    [Theory]
    [InlineData("5", "2", "rank 5 is outside [0, 2) for world size 2 (RANK=5, WORLD_SIZE=2)")]
    [InlineData("2", "2", "rank 2 is outside [0, 2) for world size 2")]
    [InlineData("-1", null, "rank -1 is outside [0, 1) for world size 1 (RANK=-1, WORLD_SIZE=unset)")]
    [InlineData("x", "2", "environment variable RANK='x' is not an integer")]
    [InlineData("0", "0", "environment variable WORLD_SIZE=0 must be at least 1")]
    public void Out_of_range_rank_is_one_clear_line(string rank, string? world, string expected)
    {
        _tree.WriteFile("img/a.png", TestPng.Png(100, 100));
        _tree.WriteText("data.json", """[{"image": "img/a.png", "caption": "a square"}]""");
        var config = _tree.Config();
        var oldRank = Environment.GetEnvironmentVariable("RANK");
        var oldWorld = Environment.GetEnvironmentVariable("WORLD_SIZE");
        try
        {
            Environment.SetEnvironmentVariable("RANK", rank);
            Environment.SetEnvironmentVariable("WORLD_SIZE", world);
            var result = CliOutcome.Run(["sample", config, "--index", "0", "--out", _tree.PathOf("s0")]);
            CliOutcome.AssertOneLineFailure(result, "sample", expected, 1);
        }
        finally
        {
            Environment.SetEnvironmentVariable("RANK", oldRank);
            Environment.SetEnvironmentVariable("WORLD_SIZE", oldWorld);
        }
    }
}
