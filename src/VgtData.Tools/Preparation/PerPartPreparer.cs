namespace VgtData.Preparation;

/// <summary>
/// The blip3o-60k and text-to-image-2m recipes: VGT's extract.py unpacks each <c>FOLDER/PART.tar</c> into a folder named
/// after it (<c>tar_file[:-4]</c>), and the recipe's extra json download lists <c>{"image": "PART/KEY.jpg", "annotation":
/// "PART/KEY.txt|json"}</c> relative to FOLDER. This unpacks every part the same way (safely, resumably, parts in
/// parallel); where the json is there it is left as downloaded, where it is absent the equivalent is written from the
/// parts: each image member paired with the caption member of the same key, in part then name order.
/// </summary>
internal static class PerPartPreparer
{
    public const string Blip3o60k = "blip3o-60k";
    public const string TextToImage2m = "text-to-image-2m";

    /// <summary>One folder of tar parts and the json that lists its pairs; <see cref="CaptionExtension"/> is the
    /// annotation member's extension (.txt for BLIP3o, .json for text-to-image-2M).</summary>
    internal sealed record Group(string Folder, string Json, string CaptionExtension);

    public static readonly Group[] Blip3oGroups = [new("raw", "data.json", ".txt")];

    public static readonly Group[] TextToImageGroups =
    [
        new("raw/data_512_2M", "data/data_512_2M.json", ".json"),
        new("raw/data_1024_10K", "data/data_1024_10K.json", ".json"),
    ];

    public const string NoCaption = "image without caption member";
    public const string NoImage = "caption member without image";
    public const string TwoImages = "several images for one key";

    public static readonly string[] OmissionReasons = [NoCaption, NoImage, TwoImages];

    public static PrepareReport Run(string recipe, IReadOnlyList<Group> groups, string root, PrepareOptions options)
    {
        root = Path.GetFullPath(root);
        if (!Directory.Exists(root)) throw new VgtDataException($"{root}: no such folder");
        using var rootLock = RootLock.Acquire(root, "prepare");
        var parts = new List<(Group Group, string Path)>();
        foreach (var g in groups)
        {
            var folder = Path.Combine(root, g.Folder);
            if (Directory.Exists(folder))
                parts.AddRange(Directory.EnumerateFiles(folder, "*.tar").Order(StringComparer.Ordinal).Select(p => (g, p)));
        }
        if (parts.Count == 0)
            throw new VgtDataException($"no tar parts in {string.Join(" or ", groups.Select(g => Path.Combine(root, g.Folder)))}");

        var results = new ExtractionResult[parts.Count];
        using (var progress = options.ProgressWriter is null ? null
                   : ExtractionProgress.Create(options.ProgressWriter, options.ProgressIsTerminal, parts.Sum(p => new FileInfo(p.Path).Length), "extract", options.ProgressInterval))
        {
            PrepareParallel.For(parts.Count, options, i => results[i] = TarExtractor.Run([parts[i].Path], new ExtractionOptions
            {
                OutputDir = parts[i].Path[..^4],
                Workers = 1,
                Cancellation = options.Cancellation,
                Progress = progress,
                PartLabel = p => Path.GetRelativePath(root, p).Replace('\\', '/'),
                AfterFileWritten = options.AfterFileWritten,
            }));
        }
        var extraction = Merge(results);

        var omissions = new Omissions(OmissionReasons);
        int entries = 0, written = 0;
        long bytes = 0;
        foreach (var g in groups)
        {
            var jsonPath = Path.Combine(root, g.Json);
            var groupParts = Enumerable.Range(0, parts.Count).Where(i => parts[i].Group == g).ToList();
            if (File.Exists(jsonPath))
            {
                // The recipe's own json download: used as it is.
                using var doc = ShareGptAnnotations.Load(jsonPath);
                entries += doc.RootElement.GetArrayLength();
                written += doc.RootElement.GetArrayLength();
                continue;
            }
            var rows = new List<(string Image, string Annotation)>();
            foreach (var i in groupParts)
            {
                var partName = Path.GetFileName(parts[i].Path)[..^4];
                var keys = KeyPairs.Group(results[i].Present, m => m, g.CaptionExtension);
                foreach (var (_, (images, caption)) in keys)
                {
                    string Rel(string m) => partName + "/" + m;
                    entries++;
                    if (caption is null) omissions.Add($"{g.Folder}/{Rel(images[0])}", NoCaption);
                    else if (images.Count == 0) omissions.Add($"{g.Folder}/{Rel(caption)}", NoImage);
                    else if (images.Count > 1) omissions.Add($"{g.Folder}/{Rel(images[0])}", TwoImages);
                    else
                    {
                        rows.Add((Rel(images[0]), Rel(caption)));
                        var folder = Path.Combine(root, g.Folder);
                        bytes += new FileInfo(Path.Combine(folder, Rel(images[0]))).Length + new FileInfo(Path.Combine(folder, Rel(caption))).Length;
                    }
                }
            }
            written += rows.Count;
            Directory.CreateDirectory(Path.GetDirectoryName(jsonPath)!);
            AtomicFile.Write(jsonPath, s => DataJson.Write(s, rows, (w, r) =>
            {
                w.WriteString("image", r.Image);
                w.WriteString("annotation", r.Annotation);
            }));
        }
        var report = omissions.Report(recipe, entries, written, bytes, extraction);
        AtomicFile.Write(Path.Combine(root, "prepare-report.json"), report.WriteJson);
        return report;
    }

    /// <summary>One result for the whole run, in part order.</summary>
    private static ExtractionResult Merge(ExtractionResult[] results) => new()
    {
        Parts = results.Sum(r => r.Parts),
        Extracted = results.Sum(r => r.Extracted),
        SkippedExisting = results.Sum(r => r.SkippedExisting),
        IdenticalDuplicates = results.Sum(r => r.IdenticalDuplicates),
        Refused = results.SelectMany(r => r.Refused).ToList(),
        Errors = results.SelectMany(r => r.Errors).ToList(),
        Present = new HashSet<string>(),
    };
}
