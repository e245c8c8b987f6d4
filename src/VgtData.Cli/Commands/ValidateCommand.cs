using VgtData.Config;
using VgtData.Datasets;
using VgtData.Validation;

namespace VgtData.Cli.Commands;

/// <summary><c>vgtdata validate CONFIG</c>: decode every image the config's datasets reference and list every bad entry.</summary>
[Flag("json", "end stdout with one JSON line: checked, bad[], by_reason, truncated_by_max_length, token_length, max_length")]
[Option("write-clean", "OUT", "none", "write the manifest without the bad entries (original entries and order) to OUT; for a ConcatDataset OUT is a folder with dataset-<i>.json per member")]
[Option("workers", "N", "one per core", "entries checked in parallel")]
[Option("set", "KEY.PATH=VALUE", "none", "override one config value", Repeatable = true)]
public sealed class ValidateCommand : ICommand
{
    public string Name => "validate";
    public string Summary => "check every entry of a config's datasets (image decode, limits, captions, token lengths); exit 1 if any is bad";
    public string Usage => "validate CONFIG [--json] [--write-clean OUT] [--workers N] [--set KEY.PATH=VALUE ...]";

    public int Run(CommandArgs args, CliContext context)
    {
        var configPath = args.Positional(0, "CONFIG");
        bool json = args.Flag("json");
        var clean = args.Option("write-clean");
        var workers = args.Int("workers", 0);
        var overrides = args.Options("set");
        args.RejectUnknown();
        if (args.Positionals.Count > 1) throw new UsageException($"unexpected argument '{args.Positionals[1]}'");
        if (workers < 0) throw new UsageException("--workers must be at least 1");

        var config = ConfigLoader.Load(configPath, overrides);
        using var pipeline = PipelineFactory.Build(config);
        // The output's folder is made before hours of validation, so a bad path fails at once.
        if (clean != null)
            OutputPaths.CreateDirectory(pipeline.Dataset is CaptionDataset ? Path.GetDirectoryName(Path.GetFullPath(clean))! : clean, "--write-clean", clean);
        var members = EntryValidator.Members(pipeline.Dataset);
        ValidationReport report;
        using (var progress = ValidationProgress.Create(context.Error, context.IsTerminal, members.Sum(m => (long)m.Entries.Count)))
            report = DatasetValidator.Run(pipeline.Dataset, new ValidationOptions { Workers = workers, Progress = progress });

        report.WriteSummary(context.Out);
        if (clean != null)
        {
            var written = CleanManifestWriter.Write(pipeline.Dataset, report, clean);
            int kept = report.Checked - report.Bad.Count;
            context.Out.WriteLine($"wrote {kept} of {report.Checked} entries to {string.Join(", ", written)}");
        }
        if (json) context.Out.WriteLine(report.ToJsonLine());
        context.Out.Flush();
        return report.IsClean ? 0 : 1;
    }
}
