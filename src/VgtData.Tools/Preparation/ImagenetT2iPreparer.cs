using System.Globalization;
using ParquetSharp;
using SixLabors.ImageSharp;
using VgtData.Images;
using VgtData.Progress;
using VgtData.Sources;

namespace VgtData.Preparation;

/// <summary>
/// The imagenet1k-t2i recipe: VGT's extract.py reads every <c>raw/*.parquet</c> (sorted) and, for row <c>idx</c> of a
/// part named <c>P.parquet</c>, saves <c>row['image']['bytes']</c> (base64-decoded when it is text) as
/// <c>images/P_{idx:06d}.png</c> and writes <c>{"image": "images/P_NNNNNN.png", "caption": first human turn of
/// row['conversations'] or ""}</c>. This writes the same data.json and, by default, no images: it leaves
/// <see cref="ParquetImageSource.IndexFileName"/> so the loader serves those names from the row groups in place. With
/// <see cref="PrepareOptions.Extract"/> it writes the PNGs instead (a PNG cell byte for byte, any other format decoded
/// as the loader decodes it and saved as an RGB PNG: the same pixels either way), skipping those already there.
/// Rows extract.py would stop on (no conversations, a human turn without text, no image bytes, text that is not base64,
/// bytes that are not an image) are refused and listed.
/// </summary>
internal static class ImagenetT2iPreparer
{
    public const string Name = "imagenet1k-t2i";
    public const string Folder = "images";

    public const string NoConversations = "conversations missing";
    public const string NoHumanText = "human turn has no text";
    public const string NoImage = "image bytes missing";
    public const string NotBase64 = "image text not base64";
    public const string NotAnImage = "not an image";

    public static readonly string[] OmissionReasons = [NoConversations, NoHumanText, NoImage, NotBase64, NotAnImage];

    private sealed record Row(string Image, string Caption);

    private sealed record PartResult(List<Row> Rows, List<(string Row, string Reason)> Refused, long Bytes, int Extracted, int Skipped);

    public static PrepareReport Run(string root, PrepareOptions options)
    {
        root = Path.GetFullPath(root);
        if (!Directory.Exists(root)) throw new VgtDataException($"{root}: no such folder");
        using var rootLock = RootLock.Acquire(root, "prepare");
        var raw = Path.Combine(root, "raw");
        var files = Directory.Exists(raw) ? Directory.EnumerateFiles(raw, "*.parquet").Order(StringComparer.Ordinal).ToList() : [];
        if (files.Count == 0) throw new VgtDataException($"no parquet parts in {raw} (expected raw/00000.parquet, ... as the recipe's download leaves them)");

        var parts = files.Select(f =>
        {
            using var reader = ParquetImageSource.OpenReader(f);
            return new ParquetImageSource.Part("raw/" + Path.GetFileName(f), Path.GetFileName(f).Replace(".parquet", "", StringComparison.Ordinal),
                ParquetImageSource.RowGroupStarts(reader)[^1], new FileInfo(f).Length);
        }).ToList();
        if (options.Extract) Directory.CreateDirectory(Path.Combine(root, Folder));

        var results = new PartResult[parts.Count];
        using (var progress = options.ProgressWriter is null ? null
                   : new ProgressMeter(options.ProgressWriter, options.ProgressIsTerminal, parts.Sum(p => p.Rows),
                       s => string.Create(CultureInfo.InvariantCulture, $"{Name}: {s.Count} rows kept, {s.Done}/{s.Total} rows, ETA {s.EtaText}"),
                       options.ProgressInterval))
        {
            PrepareParallel.For(parts.Count, options, i => results[i] = ParquetColumns.Guard(Path.Combine(root, parts[i].File),
                () => ReadPart(root, parts[i], options, progress)));
        }

        var omissions = new Omissions(OmissionReasons);
        var rows = new List<Row>();
        foreach (var r in results)
        {
            rows.AddRange(r.Rows);
            foreach (var (row, reason) in r.Refused) omissions.Add(row, reason);
        }
        var report = omissions.Report(Name, (int)parts.Sum(p => p.Rows), rows.Count, results.Sum(r => r.Bytes), extraction: null);
        var index = Path.Combine(root, ParquetImageSource.IndexFileName);
        if (options.Extract) File.Delete(index);
        else AtomicFile.Write(index, s => ParquetImageSource.WriteIndex(s, Folder, parts));
        DataJson.WriteWithReport(root, rows, (w, r) =>
        {
            w.WriteString("image", r.Image);
            w.WriteString("caption", r.Caption);
        }, report);
        if (options.Extract && options.ProgressWriter is { } o)
            o.WriteLine($"{Name}: {results.Sum(r => r.Extracted)} images written to {Path.Combine(root, Folder)}, {results.Sum(r => r.Skipped)} already there");
        return report;
    }

    private static PartResult ReadPart(string root, ParquetImageSource.Part part, PrepareOptions options, ProgressMeter? progress)
    {
        var path = Path.Combine(root, part.File);
        using var reader = ParquetImageSource.OpenReader(path);
        var (imageColumn, base64) = ParquetImageSource.FindImageColumn(reader, path);
        int from = ParquetColumns.Require(reader, path, "conversations[].from", p => p.StartsWith("conversations.", StringComparison.Ordinal) && p.EndsWith(".from", StringComparison.Ordinal));
        int value = ParquetColumns.Require(reader, path, "conversations[].value", p => p.StartsWith("conversations.", StringComparison.Ordinal) && p.EndsWith(".value", StringComparison.Ordinal));
        var result = new PartResult([], [], 0, 0, 0);
        long bytes = 0;
        int extracted = 0, skipped = 0;
        long idx = 0;
        for (int g = 0; g < reader.FileMetaData.NumRowGroups; g++)
        {
            options.Cancellation.ThrowIfCancellationRequested();
            using var group = reader.RowGroup(g);
            var speakers = ParquetColumns.StringLists(group, from, path);
            var texts = ParquetColumns.StringLists(group, value, path);
            using var images = ParquetImageSource.ImageReader(group, imageColumn, base64);
            for (int r = 0; r < speakers.Length; r++, idx++)
            {
                var name = ParquetImageSource.ImageName(part.Prefix, idx);
                string? reason = Caption(speakers[r], texts[r], out var caption);
                byte[]? cell = null;
                try { cell = ParquetImageSource.CellBytes(images, base64); }
                catch (FormatException) { reason ??= NotBase64; }
                if (reason is null && cell is null) reason = NoImage;
                if (reason is null)
                {
                    var where = $"{path}:row {idx}";
                    try
                    {
                        if (!options.Extract)
                        {
                            ImageDecoder.Shared.ReadSize(cell, where);
                            bytes += cell!.Length;
                        }
                        else
                        {
                            var target = Path.Combine(root, Folder, name);
                            if (File.Exists(target)) skipped++;
                            else
                            {
                                WritePng(target, cell!, where);
                                extracted++;
                                options.AfterFileWritten?.Invoke();
                            }
                            bytes += new FileInfo(target).Length;
                        }
                    }
                    catch (SampleException) { reason = NotAnImage; }
                }
                if (reason is null)
                {
                    result.Rows.Add(new Row(Folder + "/" + name, caption!));
                    progress?.AddCount();
                }
                else result.Refused.Add(($"{part.File}[{idx}]", reason));
                progress?.Add(1);
            }
        }
        return result with { Bytes = bytes, Extracted = extracted, Skipped = skipped };
    }

    /// <summary>extract.py's caption: the value of the first turn whose <c>from</c> is "human"; "" when there is none.</summary>
    private static string? Caption(string?[]? speakers, string?[]? texts, out string? caption)
    {
        caption = null;
        if (speakers is null || texts is null) return NoConversations;
        for (int i = 0; i < speakers.Length; i++)
        {
            if (speakers[i] != "human") continue;
            caption = i < texts.Length ? texts[i] : null;
            return caption is null ? NoHumanText : null;
        }
        caption = "";
        return null;
    }

    private static readonly byte[] PngSignature = [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];

    /// <summary>A PNG cell as it is (checked as the loader checks it); anything else decoded to RGB and saved as PNG.</summary>
    private static void WritePng(string target, byte[] cell, string where)
    {
        if (cell.AsSpan().StartsWith(PngSignature))
        {
            using (ImageDecoder.Shared.Decode(cell, where, ImageLimits.Default)) { }
            AtomicFile.Write(target, s => s.Write(cell));
            return;
        }
        using var pixels = ImageDecoder.Shared.Decode(cell, where, ImageLimits.Default);
        using var image = Preview.ContactSheet.ToImage(pixels);
        AtomicFile.Write(target, s => image.SaveAsPng(s));
    }
}
