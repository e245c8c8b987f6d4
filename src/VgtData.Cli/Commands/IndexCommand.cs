using System.Globalization;
using VgtData.Config;
using VgtData.Progress;
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
        using var progress = new BuildProgress(context);
        using (EntryLists.IndexScope(rebuild, progress.Report))
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

    /// <summary>Each build's progress on stderr: a progress line while the manifest is read, then one while its entries are
    /// written (redrawn on a terminal, every 10 s otherwise, and once at the end of each).</summary>
    private sealed class BuildProgress(CliContext context) : IDisposable
    {
        private ProgressMeter? _meter;
        private long _reported;

        public void Report(IndexProgress p)
        {
            if (_meter is null || p.Done == 0)
            {
                Dispose();
                _reported = 0;
                _meter = new ProgressMeter(context.Error, context.IsTerminal, p.Total, p.Step == IndexStep.Reading
                    ? s => $"index: {p.DataPath}: {ProgressMeter.FormatBytes(s.Done)} of {ProgressMeter.FormatBytes(s.Total)} read " +
                           $"({ProgressMeter.FormatBytes((long)s.RatePerSecond)}/s, ETA {s.EtaText})"
                    : s => string.Create(CultureInfo.InvariantCulture,
                           $"index: {p.DataPath}: {s.Done:N0}/{s.Total:N0} entries written ({s.RatePerSecond:N0}/s, ETA {s.EtaText})"));
            }
            _meter.Add(p.Done - _reported);
            _reported = p.Done;
            if (p.Done >= p.Total) Dispose();
        }

        public void Dispose()
        {
            _meter?.Dispose();
            _meter = null;
        }
    }
}
