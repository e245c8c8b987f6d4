using VgtData.Config;
using VgtData.Manifests;
using VgtData.Validation;

namespace VgtData.Cli.Commands;

/// <summary><c>vgtdata index CONFIG</c>: builds, or finds ready, the memory-mapped entry index of every data_path the
/// config names, so the ranks and workers that start next map it instead of parsing the JSON.</summary>
[Option("set", "KEY.PATH=VALUE", "none", "override one config value", Repeatable = true)]
[Flag("rebuild", "write every index anew, even one whose sources are unchanged (annotation files edited in place)")]
public sealed class IndexCommand : ICommand
{
    public string Name => "index";
    public string Summary => "build the memory-mapped entry index of each data_path a config names (kept while its sources are unchanged)";
    public string Usage => "index CONFIG [--rebuild] [--set KEY.PATH=VALUE ...]";

    public int Run(CommandArgs args, CliContext context)
    {
        var configPath = args.Positional(0, "CONFIG");
        var overrides = args.Options("set");
        bool rebuild = args.Flag("rebuild");
        args.RejectUnknown();
        if (args.Positionals.Count > 1) throw new UsageException($"unexpected argument '{args.Positionals[1]}'");

        var config = ConfigLoader.Load(configPath, overrides);
        using (EntryLists.IndexScope(rebuild))
        {
            using var pipeline = PipelineFactory.Build(config);
            foreach (var member in EntryValidator.Members(pipeline.Dataset))
            {
                var dataPath = member.Options.DataPath;
                context.Out.WriteLine(member.Entries is EntryIndex index
                    ? $"{dataPath}: {index.Count} entries, {(index.Built ? "built" : index.Fetched != null ? "fetched from " + index.Fetched : "up to date")}: " +
                      $"{index.Source} ({new FileInfo(index.Source).Length} bytes){(index.Published != null ? ", written to " + index.Published : "")}"
                    : $"{dataPath}: {member.Entries.Count} entries, not indexed ({(member.Options.Index ? "its entries do not come from a data.json" : "index: false")})");
            }
        }
        context.Out.Flush();
        return 0;
    }
}
