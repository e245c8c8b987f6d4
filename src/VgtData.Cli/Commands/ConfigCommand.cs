using VgtData.Config;
using VgtData.Config.Import;

namespace VgtData.Cli.Commands;

/// <summary>Resolve a config (bases, overrides, paths) and check it before anything runs; import VGT's Python configs;
/// print the config reference.</summary>
[Flag("strict", "missing data files are errors, not warnings")]
[Flag("reference", "print the config reference (every key, kind, default, range) as Markdown")]
[Option("set", "KEY.PATH=VALUE", "none", "override one config value", Repeatable = true)]
[Option("tokenizer-root", "DIR", "DATA_ROOT/data/models", "import: where model ids are found (ROOT/<org>/<name> if it exists, else ROOT/<name>)")]
[Option("tokenizer-map", "ID=DIR", "none", "import: the folder of one model id, tried first", Repeatable = true)]
[Option("data-root", "DIR", "the current directory", "import: what VGT's relative data paths are relative to")]
[Option("out", "OUT.json", "none (import needs it, or -o)", "import: the JSON config to write")]
public sealed class ConfigCommand : ICommand
{
    public string Name => "config";
    public string Summary => "print the resolved config, or every error in it (missing data is a warning unless --strict); import VGT's Python configs";
    public string Usage => "config CONFIG [--set KEY.PATH=VALUE ...] [--strict]\n"
        + "       vgtdata config import FILE.py [--tokenizer-root DIR] [--tokenizer-map ID=DIR ...] [--data-root DIR] -o OUT.json\n"
        + "       vgtdata config --reference";

    public int Run(CommandArgs args, CliContext context)
    {
        if (args.Flag("reference"))
        {
            args.RejectUnknown();
            if (args.Positionals.Count > 0) throw new UsageException("--reference takes no CONFIG");
            context.Out.Write(ConfigReference.Markdown());
            return 0;
        }
        if (args.Positionals.Count > 0 && args.Positionals[0] == "import") return Import(args, context);
        bool strict = args.Flag("strict");
        ResolvedConfig config;
        try
        {
            config = ConfigArgs.Load(args);
            args.RejectUnknown();
        }
        catch (ConfigException e)
        {
            foreach (var issue in e.Issues) context.Error.WriteLine(issue);
            return 1;
        }
        var issues = ConfigValidator.Check(config, strict);
        foreach (var issue in issues) context.Error.WriteLine(issue);
        if (issues.Any(i => !i.IsWarning)) return 1;
        context.Out.WriteLine(config.ToJson());
        return 0;
    }

    private static int Import(CommandArgs args, CliContext context)
    {
        // -o is the one short option (CommandArgs reads only --long ones): take it out of the positionals.
        var positionals = args.Positionals.Skip(1).ToList();
        string? output = args.Option("out");
        int o = positionals.IndexOf("-o");
        if (o >= 0)
        {
            if (o + 1 >= positionals.Count) throw new UsageException("-o needs a file name");
            output = positionals[o + 1];
            positionals.RemoveRange(o, 2);
        }
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var entry in args.Options("tokenizer-map"))
        {
            int eq = entry.IndexOf('=');
            if (eq <= 0 || eq == entry.Length - 1) throw new UsageException($"--tokenizer-map expects ID=DIR, got '{entry}'");
            map[entry[..eq]] = entry[(eq + 1)..];
        }
        var tokenizerRoot = args.Option("tokenizer-root");
        var dataRoot = args.Option("data-root");
        args.RejectUnknown();
        if (positionals.Count != 1) throw new UsageException(positionals.Count == 0 ? "missing FILE.py" : $"unexpected argument '{positionals[1]}'");
        if (string.IsNullOrEmpty(output)) throw new UsageException("-o OUT.json is required");
        foreach (var (name, value) in new[] { ("FILE.py", positionals[0]), ("-o", output), ("--tokenizer-root", tokenizerRoot), ("--data-root", dataRoot) })
            if (value is not null && (value.Length == 0 || value.Contains('\0'))) throw new UsageException($"{name} must be a non-empty path without NUL");
        var source = positionals[0];
        if (!File.Exists(source)) throw new VgtDataException($"{source}: no such file");
        var outFull = Path.GetFullPath(output);
        if (Directory.Exists(outFull)) throw new VgtDataException($"{output}: is a folder; -o names the JSON file to write");

        var result = VgtConfigImporter.Import(source, new VgtImportOptions
        {
            OutputDirectory = Path.GetDirectoryName(outFull)!,
            DataRoot = dataRoot,
            TokenizerRoot = tokenizerRoot,
            TokenizerMap = map,
        });
        foreach (var issue in result.Issues) context.Error.WriteLine(issue);
        if (result.HasErrors)
        {
            context.Error.WriteLine($"vgtdata config import: {source}: not imported (errors above); nothing written");
            return 1;
        }
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(outFull)!);
            File.WriteAllText(outFull, VgtConfigImporter.ToJsonText(result, Path.GetFileName(source)));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new VgtDataException($"{output}: cannot write: {e.Message}");
        }

        // The written config must resolve: missing data and tokenizers not downloaded are warnings here.
        try
        {
            var config = ConfigLoader.Load(outFull);
            var issues = ConfigValidator.Check(config, strict: false);
            foreach (var issue in issues) context.Error.WriteLine(issue);
            if (issues.Any(i => !i.IsWarning)) return 1;
        }
        catch (ConfigException e)
        {
            foreach (var issue in e.Issues) context.Error.WriteLine(issue);
            return 1;
        }
        context.Out.WriteLine($"wrote {output}");
        return 0;
    }
}
