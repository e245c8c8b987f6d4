using VgtData.Config;

namespace VgtData.Cli;

/// <summary>The CONFIG positional and repeatable <c>--set KEY.PATH=VALUE</c> overrides shared by config-driven verbs.</summary>
public static class ConfigArgs
{
    public static ResolvedConfig Load(CommandArgs args)
    {
        var path = args.Positional(0, "CONFIG (a JSON config file)");
        return ConfigLoader.Load(path, args.Options("set"));
    }
}
