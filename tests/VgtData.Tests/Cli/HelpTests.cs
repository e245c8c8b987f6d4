using System.Text.RegularExpressions;
using VgtData.Cli;

namespace VgtData.Tests.Cli;

/// <summary>--help and --version. The option lists come from the table the parser uses, and a scan of each command's
/// source checks that the table and the options the code reads are the same set.</summary>
public sealed class HelpTests
{
    public static TheoryData<string> Verbs => new(Program.Commands.Select(c => c.Name));

    [Theory]
    [MemberData(nameof(Verbs))]
    public void Help_lists_every_option_with_its_default(string verb)
    {
        var command = Program.Commands.Single(c => c.Name == verb);
        var spec = CommandOptions.For(command);
        foreach (var args in new[] { new[] { verb, "--help" }, [verb, "-h"], [verb, "x", "--set", "a=b", "--help"] })
        {
            var (code, stdout, stderr) = CliOutcome.Run(args);
            Assert.True(code == 0, stderr);
            Assert.StartsWith($"usage: vgtdata {verb}", stdout);
            Assert.Contains(command.Summary, stdout);
            var lines = stdout.Split('\n');
            foreach (var o in spec.Options)
                Assert.Contains(o.Default is null ? "(required" : $"(default: {o.Default}", Entry(lines, $"--{o.Name} {o.Value} ", verb));
            foreach (var f in spec.Flags)
                Assert.Contains("(default: off)", Entry(lines, $"--{f.Name} ", verb));
        }
    }

    /// <summary>One option's help: its line and the wrapped lines under it, joined.</summary>
    private static string Entry(string[] lines, string start, string verb)
    {
        int i = Array.FindIndex(lines, l => l.StartsWith("  " + start, StringComparison.Ordinal));
        Assert.True(i >= 0, $"{verb} --help lacks {start.Trim()}:\n{string.Join("\n", lines)}");
        Assert.Equal(1, lines.Count(l => l.StartsWith("  " + start, StringComparison.Ordinal)));
        var entry = new List<string> { lines[i].Trim() };
        for (int j = i + 1; j < lines.Length && lines[j].StartsWith("    ", StringComparison.Ordinal); j++) entry.Add(lines[j].Trim());
        return string.Join(" ", entry);
    }

    [Theory]
    [MemberData(nameof(Verbs))]
    public void The_parser_accepts_exactly_the_options_help_lists(string verb)
    {
        var spec = CommandOptions.For(Program.Commands.Single(c => c.Name == verb));
        foreach (var o in spec.Options)
        {
            var args = new CommandArgs(["pos", $"--{o.Name}", "v1", $"--{o.Name}=v2"], spec);
            if (o.Repeatable) Assert.Equal(["v1", "v2"], args.Options(o.Name));
            else Assert.Equal("v2", args.Option(o.Name));
            Assert.Equal(["pos"], args.Positionals);
        }
        foreach (var f in spec.Flags) Assert.True(new CommandArgs([$"--{f.Name}"], spec).Flag(f.Name));
        var e = Assert.Throws<UsageException>(() => new CommandArgs(["--not-an-option-of-any-verb", "1"], spec));
        Assert.Equal("unknown option --not-an-option-of-any-verb", e.Message);
        Assert.Throws<InvalidOperationException>(() => new CommandArgs([], spec).Option("not-declared"));
    }

    /// <summary>Every option a command's code reads is in its table, and every option in the table is read.</summary>
    [Theory]
    [MemberData(nameof(Verbs))]
    public void Each_command_reads_exactly_the_options_it_declares(string verb)
    {
        var command = Program.Commands.Single(c => c.Name == verb);
        var source = Path.Combine(RepoRoot(), "src", "VgtData.Cli", "Commands", command.GetType().Name + ".cs");
        var code = File.ReadAllText(source);
        var read = Regex.Matches(code, @"\b(?:args|Args)\.(?:Option|Options|Flag|Int|Long|Required)\(""([a-z][a-z-]*)""")
            .Select(m => m.Groups[1].Value).ToHashSet();
        // The config-driven verbs read --set through ConfigArgs.Load.
        if (code.Contains("ConfigArgs.Load(args)")) read.Add("set");
        var declared = CommandOptions.For(command).Names.ToHashSet();
        Assert.Equal(declared.Order(), read.Order());
    }

    [Fact]
    public void Version_prints_the_package_version()
    {
        var (code, stdout, _) = CliOutcome.Run(["--version"]);
        Assert.Equal(0, code);
        Assert.Equal($"vgtdata {ProjectVersion()}\n", stdout.ReplaceLineEndings("\n"));
        Assert.Equal(ProjectVersion(), Program.Version);
    }

    [Fact]
    public void Top_level_help_names_every_verb_and_version()
    {
        var (code, stdout, _) = CliOutcome.Run(["--help"]);
        Assert.Equal(0, code);
        foreach (var c in Program.Commands) Assert.Contains($"  {c.Name,-10} {c.Summary}", stdout);
        Assert.Contains("--version", stdout);
    }

    /// <summary>The version the build sets: Directory.Build.props' &lt;Version&gt;, else the CLI project's own.</summary>
    private static string ProjectVersion()
    {
        var root = RepoRoot();
        foreach (var file in new[] { "Directory.Build.props", Path.Combine("src", "VgtData.Cli", "VgtData.Cli.csproj") })
        {
            var m = Regex.Match(File.ReadAllText(Path.Combine(root, file)), @"<Version(?:\s[^>]*)?>([^<]+)</Version>");
            if (m.Success) return m.Groups[1].Value.Trim();
        }
        throw new InvalidOperationException("no <Version> in Directory.Build.props or the CLI project");
    }

    private static string RepoRoot()
    {
        for (var dir = AppContext.BaseDirectory; dir != null; dir = Path.GetDirectoryName(dir))
            if (File.Exists(Path.Combine(dir, "VgtData.sln"))) return dir;
        throw new InvalidOperationException("VgtData.sln not found above " + AppContext.BaseDirectory);
    }
}
