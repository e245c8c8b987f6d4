using VgtData.Config;

namespace VgtData.Cli.Commands;

/// <summary>Resolve a config (bases, overrides, paths) and check it before anything runs.</summary>
[Flag("strict", "missing data files are errors, not warnings")]
[Option("set", "KEY.PATH=VALUE", "none", "override one config value", Repeatable = true)]
public sealed class ConfigCommand : ICommand
{
    public string Name => "config";
    public string Summary => "print the resolved config, or every error in it (missing data is a warning unless --strict)";
    public string Usage => "config CONFIG [--set KEY.PATH=VALUE ...] [--strict]";

    public int Run(CommandArgs args, CliContext context)
    {
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
}
