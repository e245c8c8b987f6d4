using VgtData.Sources;

namespace VgtData.Preparation;

/// <summary>Settings for a <c>prepare</c> recipe (<see cref="PrepareRecipes"/>).</summary>
internal sealed class PrepareOptions
{
    public int Workers { get; init; }
    public CancellationToken Cancellation { get; init; }
    /// <summary>Where progress goes (null: none).</summary>
    public TextWriter? ProgressWriter { get; init; }
    public bool ProgressIsTerminal { get; init; }
    public TimeSpan? ProgressInterval { get; init; }
    /// <summary>Write VGT's extracted layout (<c>--extract</c>: unpacked parts, imagenet1k-t2i's PNGs); otherwise the download is only read and stays in place.</summary>
    public bool Extract { get; init; }
    /// <summary>Test hook, see <see cref="ExtractionOptions.AfterFileWritten"/>.</summary>
    internal Action? AfterFileWritten { get; init; }

    /// <summary>Reads <paramref name="parts"/> (with <see cref="Extract"/>, unpacks them into <paramref name="outputDir"/>)
    /// under one progress line; <paramref name="flatten"/> unpacks by base name.</summary>
    internal ExtractionResult RunParts(IReadOnlyList<string> parts, string outputDir, Func<string, string> partLabel, bool flatten = false)
    {
        using var progress = ProgressWriter is null ? null
            : ExtractionProgress.Create(ProgressWriter, ProgressIsTerminal, parts.Sum(p => new FileInfo(p).Length), Extract ? "extract" : "read in place", ProgressInterval);
        return TarExtractor.Run(parts, new ExtractionOptions
        {
            OutputDir = outputDir,
            ListOnly = !Extract,
            FlattenToBaseName = flatten,
            Workers = Workers,
            Cancellation = Cancellation,
            Progress = progress,
            PartLabel = partLabel,
            AfterFileWritten = AfterFileWritten,
        });
    }
}

/// <summary>
/// The ShareGPT-4o-Image recipe in one step: with --extract, extracts <c>raw/text_to_image_part_*.tar</c> into
/// <c>images/</c> (by base name, see <see cref="TarExtractor"/>; without it the parts are only listed, and named in
/// <see cref="TarPartsSidecar.FileName"/> so the loader reads <c>images/NAME</c> from them) and turns <c>raw/text_to_image.json</c> into <c>data.json</c> keeping the rows
/// VGT's <c>process_metadata.py</c> keeps (<see cref="ShareGptAnnotations"/>). Images are not decoded.
/// </summary>
internal static class ShareGpt4oImagePreparer
{
    public const string Name = "sharegpt-4o-image";
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

        var extraction = options.RunParts(parts, Path.Combine(root, "images"), Path.GetFileName, flatten: true);

        var images = Path.Combine(root, "images");
        var omissions = new Omissions(ShareGptAnnotations.OmissionReasons);
        var rows = ShareGptAnnotations.Convert(annotations.RootElement,
            name => extraction.Present.Contains(name) || File.Exists(Path.Combine(images, name)), omissions);
        long bytes = rows.Select(r => r.Image).Distinct(StringComparer.Ordinal).Sum(r => SizeOf(extraction, images, r["images/".Length..]));
        var report = omissions.Report(Name, annotations.RootElement.GetArrayLength(), rows.Count, bytes, extraction);
        WritePartsSidecar(root, parts, flat: true, options.Extract);
        DataJson.WriteWithReport(root, rows, ShareGptAnnotations.WriteRow, report);
        return report;
    }

    /// <summary>In place, <see cref="TarPartsSidecar.FileName"/> lists <paramref name="parts"/> as the absent images/ folder
    /// (the loader reads images/NAME from them); with --extract the unpacked folder is read and no sidecar is left.</summary>
    internal static void WritePartsSidecar(string root, IReadOnlyList<string> parts, bool flat, bool extract)
    {
        var path = Path.Combine(root, TarPartsSidecar.FileName);
        if (extract)
        {
            File.Delete(path);
            return;
        }
        var listed = parts.Select(p => new TarPartsSidecar.Part(Path.GetRelativePath(root, p).Replace('\\', '/'), new FileInfo(p).Length)).ToList();
        AtomicFile.Write(path, s => TarPartsSidecar.Write(s, "images", flat, listed));
    }

    /// <summary>A row's image bytes: the member's size, or the file's where it was already there.</summary>
    internal static long SizeOf(ExtractionResult extraction, string folder, string name) =>
        extraction.Sizes.TryGetValue(name, out var size) ? size : new FileInfo(Path.Combine(folder, name)).Length;
}
