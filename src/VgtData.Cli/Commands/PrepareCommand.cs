using VgtData.Preparation;

namespace VgtData.Cli.Commands;

/// <summary><c>vgtdata prepare sharegpt-4o-image --root DIR [--workers N]</c>: extract the tar parts into images/ and write data.json.</summary>
[Option("root", "DIR", null, "the downloaded dataset's folder; images/ and data.json are written there")]
[Option("workers", "N", "one per core", "parts extracted in parallel")]
public sealed class PrepareCommand : ICommand
{
    public string Name => "prepare";
    public string Summary => "extract a downloaded dataset's tar parts and write its data.json (datasets: sharegpt-4o-image)";
    public string Usage => "prepare sharegpt-4o-image --root DIR [--workers N]";

    public int Run(CommandArgs args, CliContext context)
    {
        var dataset = args.Positional(0, "dataset name (sharegpt-4o-image)");
        var root = args.Required("root");
        var workers = args.Int("workers", 0);
        args.RejectUnknown();
        if (args.Positionals.Count > 1) throw new UsageException($"unexpected argument '{args.Positionals[1]}'");
        if (dataset != "sharegpt-4o-image") throw new UsageException($"unknown dataset '{dataset}' (known: sharegpt-4o-image)");
        if (workers < 0) throw new UsageException("--workers must be at least 1");

        var report = ShareGpt4oImagePreparer.Run(root, new PrepareOptions
        {
            Workers = workers,
            ProgressWriter = context.Error,
            ProgressIsTerminal = context.IsTerminal,
        });
        report.WriteSummary(context.Out);
        context.Out.WriteLine($"wrote {Path.Combine(root, "data.json")} and {Path.Combine(root, "prepare-report.json")}");
        // Same codes as extract: data.json and the report are written first, for what was recovered.
        if (report.Extraction.Errors.Count == 0) return 0;
        context.Error.WriteLine($"vgtdata prepare: {report.Extraction.Errors.Count} tar part(s) damaged or cut short; data.json holds what was recovered (exit {ExtractCommand.DamagedPartExitCode})");
        return ExtractCommand.DamagedPartExitCode;
    }
}
