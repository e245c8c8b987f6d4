using VgtData.Sources;

namespace VgtData.Preparation;

/// <summary>Settings for <see cref="ShareGpt4oImagePreparer"/>.</summary>
internal sealed class PrepareOptions
{
    public int Workers { get; init; }
    public CancellationToken Cancellation { get; init; }
    /// <summary>Where progress goes (null: none).</summary>
    public TextWriter? ProgressWriter { get; init; }
    public bool ProgressIsTerminal { get; init; }
    public TimeSpan? ProgressInterval { get; init; }
    /// <summary>Test hook, see <see cref="ExtractionOptions.AfterFileWritten"/>.</summary>
    internal Action? AfterFileWritten { get; init; }
}

/// <summary>
/// The ShareGPT-4o-Image recipe in one step: extracts <c>raw/text_to_image_part_*.tar</c> into <c>images/</c> (by base
/// name, see <see cref="TarExtractor"/>) and turns <c>raw/text_to_image.json</c> into <c>data.json</c>, leaving out
/// entries without a usable prompt, image or resolution and images found in no tar. Images are not decoded.
/// </summary>
internal static class ShareGpt4oImagePreparer
{
    public const string AnnotationFile = "raw/text_to_image.json";
    public const string PartPattern = "raw/text_to_image_part_*.tar";

    public static PrepareReport Run(string root, PrepareOptions options)
    {
        root = Path.GetFullPath(root);
        if (!Directory.Exists(root)) throw new VgtDataException($"{root}: no such folder");
        using var rootLock = RootLock.Acquire(root, "prepare");
        var annotationPath = Path.Combine(root, AnnotationFile);
        using var annotations = ShareGptAnnotations.Load(annotationPath);
        var parts = TarPartGlob.Expand(root, PartPattern);
        if (parts.Count == 0) throw new VgtDataException($"no tar parts match {Path.Combine(root, PartPattern)}");

        ExtractionResult extraction;
        using (var progress = options.ProgressWriter is null ? null
                   : ExtractionProgress.Create(options.ProgressWriter, options.ProgressIsTerminal, parts.Sum(p => new FileInfo(p).Length), "extract", options.ProgressInterval))
        {
            extraction = TarExtractor.Run(parts, new ExtractionOptions
            {
                OutputDir = Path.Combine(root, "images"),
                FlattenToBaseName = true,
                Workers = options.Workers,
                Cancellation = options.Cancellation,
                Progress = progress,
                PartLabel = Path.GetFileName,
                AfterFileWritten = options.AfterFileWritten,
            });
        }

        var omitted = new Dictionary<string, int>(StringComparer.Ordinal);
        var rows = ShareGptAnnotations.Convert(annotations.RootElement, extraction.Present.Contains, omitted);
        AtomicFile.Write(Path.Combine(root, "data.json"), s => ShareGptAnnotations.Write(s, rows));
        var report = new PrepareReport
        {
            Entries = annotations.RootElement.GetArrayLength(),
            Written = rows.Count,
            Omitted = omitted,
            Extraction = extraction,
        };
        AtomicFile.Write(Path.Combine(root, "prepare-report.json"), report.WriteJson);
        return report;
    }
}
