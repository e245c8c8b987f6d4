using VgtData.Preparation;
using VgtData.Sources;

namespace VgtData.Cli.Commands;

/// <summary><c>vgtdata extract --input GLOB_OR_FILES... --out DIR [--workers N]</c>: safe, resumable extraction of tar / tar.gz parts.</summary>
[Option("input", "GLOB_OR_FILES", null, "tar / tar.gz parts (files or globs; also accepted as plain arguments)", Repeatable = true)]
[Option("out", "DIR", null, "folder the members are extracted into")]
[Option("workers", "N", "one per core", "parts extracted in parallel")]
public sealed class ExtractCommand : ICommand
{
    /// <summary>Exit code of <c>extract</c> and <c>prepare</c> when at least one part could not be read to its end (what
    /// came before the damage is extracted); 0 when every part was read to its end, refused members included
    /// (docs/exit-codes.md).</summary>
    public const int DamagedPartExitCode = 3;

    public string Name => "extract";
    public string Summary => "extract tar / tar.gz parts safely and resumably, keeping member folders";
    public string Usage => "extract --input GLOB_OR_FILES... --out DIR [--workers N]";

    public int Run(CommandArgs args, CliContext context)
    {
        var inputs = args.Options("input").Concat(args.Positionals).ToList();
        var outDir = args.Required("out");
        var workers = args.Int("workers", 0);
        args.RejectUnknown();
        if (inputs.Count == 0) throw new UsageException("--input is required");
        if (workers < 0) throw new UsageException("--workers must be at least 1");

        var parts = new List<string>();
        foreach (var input in inputs)
        {
            if (TarPartGlob.IsPattern(input))
            {
                var matched = TarPartGlob.Expand(Directory.GetCurrentDirectory(), input);
                if (matched.Count == 0) throw new VgtDataException($"no files match {input}");
                parts.AddRange(matched);
            }
            else if (File.Exists(input)) parts.Add(Path.GetFullPath(input));
            else throw new VgtDataException($"{input}: no such file");
        }
        parts = parts.Distinct(StringComparer.Ordinal).ToList();
        if (File.Exists(outDir)) throw new VgtDataException($"--out {Path.GetFullPath(outDir)}: is a file, not a folder");

        ExtractionResult result;
        using (var progress = ExtractionProgress.Create(context.Error, context.IsTerminal, parts.Sum(p => new FileInfo(p).Length)))
        {
            result = TarExtractor.Run(parts, new ExtractionOptions
            {
                OutputDir = outDir,
                Workers = workers,
                Progress = progress,
                PartLabel = p => Path.GetRelativePath(Directory.GetCurrentDirectory(), p),
            });
        }
        PrepareReport.WriteExtractionSummary(context.Out, result);
        if (result.Errors.Count > 0)
            context.Error.WriteLine($"vgtdata extract: {result.Errors.Count} part(s) damaged or cut short; members before the damage were extracted (exit {DamagedPartExitCode})");
        return result.Errors.Count == 0 ? 0 : DamagedPartExitCode;
    }
}
