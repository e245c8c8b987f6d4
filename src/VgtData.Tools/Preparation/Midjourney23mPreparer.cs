using System.Globalization;
using VgtData.Sources;

namespace VgtData.Preparation;

/// <summary>
/// The midjourney-23m recipe in one step: VGT's extract.py unpacks every <c>raw/images/**/*.tar</c> (sorted) into
/// <c>images/</c> (<c>tar -xf PART -C images</c>: member paths kept; done with --extract, else the parts are only listed
/// and named in <see cref="TarPartsSidecar.FileName"/>, read in place as that folder), then its process_metadata.py reads
/// <c>raw/table-*.parquet</c> (sorted) and keeps each row whose <c>images/{filename}</c> exists as
/// <c>{"image", "caption": prompt, "width": int(width), "height": int(height)}</c>. Rows VGT's script would stop on
/// (a null or non-finite width or height) or turn into rows no loader can use (no filename, a filename leaving images/,
/// a null prompt) are refused and listed; rows without their image are counted and listed too.
/// </summary>
internal static class Midjourney23mPreparer
{
    public const string Name = "midjourney-23m";
    public const string PartPattern = "raw/images/**/*.tar";
    public const string TablePattern = "raw/table-*.parquet";

    public const string NoFileName = "filename missing";
    public const string OutsideImages = "filename leaves images/";
    public const string NoPrompt = "prompt missing";
    public const string NoSize = "width or height missing";
    public const string ImageNotFound = "image not in images/";

    public static readonly string[] OmissionReasons = [NoFileName, OutsideImages, NoPrompt, NoSize, ImageNotFound];

    private sealed record Row(string Image, string Caption, long Width, long Height);

    public static PrepareReport Run(string root, PrepareOptions options)
    {
        root = Path.GetFullPath(root);
        if (!Directory.Exists(root)) throw new VgtDataException($"{root}: no such folder");
        using var rootLock = RootLock.Acquire(root, "prepare");
        var tables = Directory.Exists(Path.Combine(root, "raw"))
            ? Directory.EnumerateFiles(Path.Combine(root, "raw"), "table-*.parquet").Order(StringComparer.Ordinal).ToList() : [];
        if (tables.Count == 0) throw new VgtDataException($"no metadata tables match {Path.Combine(root, TablePattern)}");
        var imagesRaw = Path.Combine(root, "raw", "images");
        // glob('**/*.tar', recursive=True) from raw/images, sorted as Python sorts the relative paths.
        var parts = Directory.Exists(imagesRaw)
            ? Directory.EnumerateFiles(imagesRaw, "*.tar", SearchOption.AllDirectories)
                .OrderBy(p => Path.GetRelativePath(imagesRaw, p), StringComparer.Ordinal).ToList()
            : [];
        if (parts.Count == 0) throw new VgtDataException($"no tar parts match {Path.Combine(root, PartPattern)}");

        var images = Path.Combine(root, "images");
        var extraction = options.RunParts(parts, images, p => Path.GetRelativePath(root, p).Replace('\\', '/'));

        var omissions = new Omissions(OmissionReasons);
        var rows = new List<Row>();
        int entries = 0;
        long bytes = 0;
        foreach (var table in tables)
        ParquetColumns.Guard(table, () =>
        {
            var label = "raw/" + Path.GetFileName(table);
            using var reader = ParquetImageSource.OpenReader(table);
            int filename = ParquetColumns.Require(reader, table, "filename");
            int prompt = ParquetColumns.Require(reader, table, "prompt");
            int width = ParquetColumns.Require(reader, table, "width");
            int height = ParquetColumns.Require(reader, table, "height");
            long idx = 0;
            for (int g = 0; g < reader.FileMetaData.NumRowGroups; g++)
            {
                options.Cancellation.ThrowIfCancellationRequested();
                using var group = reader.RowGroup(g);
                var names = ParquetColumns.Strings(group, filename, table);
                var prompts = ParquetColumns.Strings(group, prompt, table);
                var widths = ParquetColumns.Numbers(group, width, table);
                var heights = ParquetColumns.Numbers(group, height, table);
                for (int r = 0; r < names.Length; r++, idx++)
                {
                    entries++;
                    var name = names[r];
                    string? reason = name is null ? NoFileName
                        : MemberPath.Relative(name, out _) is not { Length: > 0 } ? OutsideImages
                        : prompts[r] is null ? NoPrompt
                        : !(widths[r] is { } w && double.IsFinite(w) && heights[r] is { } h && double.IsFinite(h)) ? NoSize
                        : !(extraction.Present.Contains(name) || File.Exists(Path.Combine(images, name))) ? ImageNotFound
                        : null;
                    if (reason is not null)
                    {
                        omissions.Add(string.Create(CultureInfo.InvariantCulture, $"{label}[{idx}]"), reason);
                        continue;
                    }
                    // Python's int() of a float truncates toward zero.
                    rows.Add(new Row("images/" + name, prompts[r]!, (long)Math.Truncate(widths[r]!.Value), (long)Math.Truncate(heights[r]!.Value)));
                    bytes += ShareGpt4oImagePreparer.SizeOf(extraction, images, name!);
                }
            }
            return 0;
        });
        var report = omissions.Report(Name, entries, rows.Count, bytes, extraction);
        ShareGpt4oImagePreparer.WritePartsSidecar(root, parts, flat: false, options.Extract);
        DataJson.WriteWithReport(root, rows, (w, r) =>
        {
            w.WriteString("image", r.Image);
            w.WriteString("caption", r.Caption);
            w.WriteNumber("width", r.Width);
            w.WriteNumber("height", r.Height);
        }, report);
        return report;
    }
}
