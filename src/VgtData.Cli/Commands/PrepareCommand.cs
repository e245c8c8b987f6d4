using VgtData.Preparation;
using VgtData.Storage;
using VgtData.Upload;

namespace VgtData.Cli.Commands;

/// <summary>
/// <c>vgtdata prepare NAME --root DIR [--extract] [--workers N] [--upload S3URL]</c>: carry out one of VGT's dataset
/// recipes (write data.json from the download, which stays in place; with --extract also unpack the parts as VGT's
/// scripts do), then optionally upload the folder; <c>vgtdata prepare --list</c> lists the recipes;
/// <c>vgtdata prepare --root DIR --upload S3URL</c> uploads an already prepared folder.
/// </summary>
[Flag("list", "print the recipes this build can prepare, one line each, and exit")]
[Flag("extract", "write VGT's extracted layout (what its extract.py leaves: unpacked parts, imagenet's PNGs); without it the download is read in place")]
[Option("root", "DIR", null, "the downloaded dataset's folder; images/ and data.json are written there")]
[Option("workers", "N", "one per core", "parts extracted in parallel")]
[Option("upload", "S3URL", "none", "then upload every file below --root to s3://bucket/prefix (or cluster:s3://…), keeping relative paths; a rerun uploads only what is missing or different. Without a dataset name: upload --root as it is")]
[Option("ceph-config", "FILE", "the AWS environment", "petrel-style INI file with the endpoint and credentials for --upload")]
[Option("uploads", "N", "8", "files uploaded at the same time")]
public sealed class PrepareCommand : ICommand
{
    /// <summary>Exit code when Ctrl-C stopped an upload (128 + SIGINT, as docs/exit-codes.md lists).</summary>
    public const int InterruptedExitCode = 130;

    public string Name => "prepare";
    public string Summary => "carry out a VGT dataset recipe on its download (write data.json, --extract unpacks the parts; --list names them); upload a prepared folder to a bucket";
    public string Usage => "prepare NAME --root DIR [--extract] [--workers N] [--upload S3URL [--ceph-config FILE]]\n" +
                           "       vgtdata prepare --list\n" +
                           "       vgtdata prepare --root DIR --upload S3URL [--ceph-config FILE] [--uploads N]";

    public int Run(CommandArgs args, CliContext context)
    {
        if (args.Flag("list"))
        {
            args.RejectUnknown();
            if (args.Positionals.Count > 0) throw new UsageException($"--list takes no dataset name (got '{args.Positionals[0]}')");
            int width = PrepareRecipes.All.Max(r => r.Name.Length);
            foreach (var r in PrepareRecipes.All) context.Out.WriteLine($"{r.Name.PadRight(width)}  {r.Description}");
            return 0;
        }
        var root = args.Required("root");
        var extract = args.Flag("extract");
        var workers = args.Int("workers", 0);
        var upload = args.Option("upload");
        var cephConfig = args.Option("ceph-config");
        var uploads = args.Int("uploads", 8);
        args.RejectUnknown();
        if (upload is null && cephConfig is not null) throw new UsageException("--ceph-config is only used with --upload");
        if (args.Positionals.Count > 1) throw new UsageException($"unexpected argument '{args.Positionals[1]}'");
        var dataset = upload is not null && args.Positionals.Count == 0 ? null : args.Positional(0, $"dataset name ({PrepareRecipes.Names})");
        var recipe = dataset is null ? null
            : PrepareRecipes.Find(dataset) ?? throw new UsageException($"unknown dataset '{dataset}' (known: {PrepareRecipes.Names})");
        if (workers < 0) throw new UsageException("--workers must be at least 1");
        if (uploads < 1) throw new UsageException("--uploads must be at least 1");
        S3Location? target = null;
        if (upload is not null)
        {
            if (!S3Location.IsUrl(upload)) throw new UsageException($"--upload '{upload}' is not an s3:// address (s3://bucket/prefix or cluster:s3://bucket/prefix)");
            target = S3Location.Parse(upload);
        }

        if (recipe is not null)
        {
            var report = recipe.Run(root, new PrepareOptions
            {
                Workers = workers,
                Extract = extract,
                ProgressWriter = context.Error,
                ProgressIsTerminal = context.IsTerminal,
            });
            report.WriteSummary(context.Out);
            context.Out.WriteLine($"wrote {string.Join(", ", recipe.Written.Select(w => Path.Combine(root, w)))} and {Path.Combine(root, "prepare-report.json")}");
            if (recipe.InPlaceNote is { } note && !extract)
                context.Out.WriteLine($"note: {note}; run: vgtdata prepare {recipe.Name} --root {root} --extract");
            // Same codes as extract: data.json and the report are written first, for what was recovered.
            if (report.Extraction is { Errors.Count: > 0 } extraction)
            {
                context.Error.WriteLine($"vgtdata prepare: {extraction.Errors.Count} tar part(s) damaged or cut short; data.json holds what was recovered" +
                    (target is null ? "" : "; not uploaded (rerun with --upload and no dataset name to upload it as it is)") +
                    $" (exit {ExtractCommand.DamagedPartExitCode})");
                return ExtractCommand.DamagedPartExitCode;
            }
        }
        return target is null ? 0 : Upload(root, target, cephConfig, uploads, context);
    }

    private static int Upload(string root, S3Location target, string? cephConfig, int uploads, CliContext context)
    {
        var settings = cephConfig is not null ? S3Settings.FromPetrelConfig(cephConfig, target.Cluster) : S3Settings.FromEnvironment()
            ?? throw new VgtDataException($"--upload {target} needs object-storage credentials: --ceph-config FILE (a petrel-style INI file) or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY");
        using var store = new S3Store(settings);
        using var interrupt = new CancellationTokenSource();
        ConsoleCancelEventHandler onCtrlC = (_, e) =>
        {
            // The first Ctrl-C stops cleanly (multipart uploads aborted, the journal saved); a second one kills.
            e.Cancel = !interrupt.IsCancellationRequested;
            interrupt.Cancel();
        };
        Console.CancelKeyPress += onCtrlC;
        try
        {
            var report = S3Uploader.UploadAsync(store, root, target, new UploadOptions
            {
                Concurrency = uploads,
                ProgressWriter = context.Error,
                ProgressIsTerminal = context.IsTerminal,
            }, interrupt.Token).GetAwaiter().GetResult();
            report.WriteSummary(context.Out);
            return 0;
        }
        catch (OperationCanceledException) when (interrupt.IsCancellationRequested)
        {
            context.Error.WriteLine($"vgtdata prepare: upload to {target} interrupted; rerun the same command to upload the rest (exit {InterruptedExitCode})");
            return InterruptedExitCode;
        }
        finally
        {
            Console.CancelKeyPress -= onCtrlC;
        }
    }
}
