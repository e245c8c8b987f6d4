using System.Globalization;
using System.Text.Json;
using VgtData.Progress;
using VgtData.Sources;
using VgtData.Storage;

namespace VgtData.Preparation;

/// <summary>
/// The laion-6m and redcaps-5m recipes: img2dataset leaves <c>raw/SHARD/KEY.jpg</c> beside <c>raw/SHARD/KEY.json</c>
/// (the json holds the recaption under <c>re_caption</c>, VGT's <c>cap_source</c>); data.json lists each complete pair
/// as <c>{"image": "SHARD/KEY.jpg", "annotation": "SHARD/KEY.json"}</c>, relative to raw/, in folder then key order.
/// Nothing is copied or unpacked: the config reads raw/ in place. A pair with a missing half, an annotation that is not
/// JSON or has no string <c>re_caption</c>, or a key with two images is refused and listed. data.json is written
/// atomically from a full scan, so a rerun after an interruption writes the same file.
/// </summary>
internal static class Img2DatasetPreparer
{
    public const string Laion6m = "laion-6m";
    public const string Redcaps5m = "redcaps-5m";
    public const string CaptionKey = "re_caption";

    public const string NoAnnotation = "image without .json";
    public const string NoImage = ".json without image";
    public const string TwoImages = "several images for one key";
    public const string BadAnnotation = "annotation not a JSON object";
    public const string NoCaption = "annotation has no string re_caption";

    public static readonly string[] OmissionReasons = [NoAnnotation, NoImage, TwoImages, BadAnnotation, NoCaption];

    private sealed record Pair(string Image, string Annotation, long Bytes);

    private sealed record ShardResult(List<Pair> Pairs, List<(string Row, string Reason)> Refused, int Entries);

    public static PrepareReport Run(string recipe, string root, PrepareOptions options)
    {
        root = Path.GetFullPath(root);
        if (!Directory.Exists(root)) throw new VgtDataException($"{root}: no such folder");
        using var rootLock = RootLock.Acquire(root, "prepare");
        var raw = Path.Combine(root, "raw");
        if (!Directory.Exists(raw)) throw new VgtDataException($"{raw}: no such folder (expected img2dataset's output folders, raw/00000000/00000001.jpg + .json)");
        var shards = new DirectoryInfo(raw).EnumerateDirectories().Where(d => !d.Attributes.HasFlag(FileAttributes.ReparsePoint))
            .Select(d => d.Name).Order(StringComparer.Ordinal).ToList();
        if (shards.Count == 0) throw new VgtDataException($"{raw}: no img2dataset folders (raw/00000000/...) found");

        var results = new ShardResult[shards.Count];
        using (var progress = options.ProgressWriter is null ? null
                   : new ProgressMeter(options.ProgressWriter, options.ProgressIsTerminal, shards.Count,
                       s => string.Create(CultureInfo.InvariantCulture, $"{recipe}: {s.Count} pairs, {s.Done}/{s.Total} folders, ETA {s.EtaText}"),
                       options.ProgressInterval))
        {
            PrepareParallel.For(shards.Count, options, i =>
            {
                results[i] = ScanShard(raw, shards[i]);
                progress?.AddCount(results[i].Pairs.Count);
                progress?.Add(1);
            });
        }

        var omissions = new Omissions(OmissionReasons);
        var pairs = new List<Pair>();
        int entries = 0;
        foreach (var r in results)
        {
            pairs.AddRange(r.Pairs);
            foreach (var (row, reason) in r.Refused) omissions.Add(row, reason);
            entries += r.Entries;
        }
        var report = omissions.Report(recipe, entries, pairs.Count, pairs.Sum(p => p.Bytes), extraction: null);
        DataJson.WriteWithReport(root, pairs, (w, p) =>
        {
            w.WriteString("image", p.Image);
            w.WriteString("annotation", p.Annotation);
        }, report);
        return report;
    }

    /// <summary>One folder's pairs in key order; each key (image, annotation or both) is one entry.</summary>
    private static ShardResult ScanShard(string raw, string shard)
    {
        var keys = KeyPairs.Group(new DirectoryInfo(Path.Combine(raw, shard)).EnumerateFiles(), f => f.Name, ".json");
        var pairs = new List<Pair>();
        var refused = new List<(string, string)>();
        foreach (var (_, (images, json)) in keys)
        {
            string Rel(FileInfo f) => shard + "/" + f.Name;
            if (json is null) { refused.Add((Rel(images[0]), NoAnnotation)); continue; }
            if (images.Count == 0) { refused.Add((Rel(json), NoImage)); continue; }
            if (images.Count > 1) { refused.Add((Rel(images[0]), TwoImages)); continue; }
            var problem = CheckAnnotation(json.FullName);
            if (problem is not null) { refused.Add((Rel(json), problem)); continue; }
            pairs.Add(new Pair(Rel(images[0]), Rel(json), images[0].Length + json.Length));
        }
        return new ShardResult(pairs, refused, keys.Count);
    }

    private static string? CheckAnnotation(string path)
    {
        try
        {
            using var stream = RegularFile.OpenInputStream(path, FileLimit.Manifest);
            using var doc = JsonDocument.Parse(stream);
            if (doc.RootElement.ValueKind != JsonValueKind.Object) return BadAnnotation;
            return doc.RootElement.TryGetProperty(CaptionKey, out var c) && c.ValueKind == JsonValueKind.String ? null : NoCaption;
        }
        catch (Exception e) when (e is JsonException or SampleException or IOException or UnauthorizedAccessException)
        {
            return BadAnnotation;
        }
    }
}
