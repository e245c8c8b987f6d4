namespace VgtData.Preparation;

/// <summary>
/// The blip3o-60k, text-to-image-2m, megalith-10m and cc12m recipes: VGT's extract.py unpacks each <c>FOLDER/PART.tar</c>
/// into a folder named after it (<c>tar_file[:-4]</c>; cc12m keeps only what follows the last '-'), and the recipe's
/// extra json download lists <c>{"image": "PART/KEY.jpg", "annotation": "PART/KEY.txt|json"}</c> relative to FOLDER.
/// megalith's and cc12m's captions come in their own tars (<c>captions/*.tar</c> holding <c>PART/KEY.json</c>), which
/// VGT unpacks into captions/ as they are. Without --extract the parts are only read (listed, refusals applied) and
/// stay where they are; with it every part is unpacked the same way (safely, resumably, parts in parallel). Where the
/// json is there it is left as downloaded, where it is absent the equivalent is written from the parts: each image
/// member paired with the caption member of the same part and key, in part then name order.
/// </summary>
internal static class PerPartPreparer
{
    public const string Blip3o60k = "blip3o-60k";
    public const string TextToImage2m = "text-to-image-2m";
    public const string Megalith10m = "megalith-10m";
    public const string Cc12m = "cc12m";

    /// <summary>One folder of tar parts and the json that lists its pairs; <see cref="CaptionExtension"/> is the
    /// annotation member's extension (.txt for BLIP3o, .json otherwise); <see cref="CaptionFolder"/>, when set, holds
    /// the caption tars (members <c>PART/KEY.json</c>) instead of the image parts; <see cref="PartFolder"/> names the
    /// folder a part file unpacks into (default: the name without .tar).</summary>
    internal sealed record Group(string Folder, string Json, string CaptionExtension, string? CaptionFolder = null, Func<string, string>? PartFolder = null)
    {
        public string FolderOf(string partFile) => (PartFolder ?? (n => n[..^4]))(Path.GetFileName(partFile));
    }

    public static readonly Group[] Blip3oGroups = [new("raw", "data.json", ".txt")];

    public static readonly Group[] TextToImageGroups =
    [
        new("raw/data_512_2M", "data/data_512_2M.json", ".json"),
        new("raw/data_1024_10K", "data/data_1024_10K.json", ".json"),
    ];

    public static readonly Group[] Megalith10mGroups = [new("raw", "megalith10m_all.json", ".json", "captions")];

    /// <summary>cc12m's extract.py: <c>folder = tar_file[:-4].split('-')[-1]</c> (cc12m-train-0000.tar unpacks to 0000/).</summary>
    public static readonly Group[] Cc12mGroups = [new("raw", "data.json", ".json", "captions", n => n[..^4].Split('-')[^1])];

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
        foreach (var g in groups) parts.AddRange(Tars(root, g.Folder).Select(p => (g, p)));
        if (parts.Count == 0)
            throw new VgtDataException($"no tar parts in {string.Join(" or ", groups.Select(g => Path.Combine(root, g.Folder)))}");
        CheckFolders(root, parts);
        var captionGroups = groups.Where(g => g.CaptionFolder is not null).ToList();
        var captionParts = captionGroups.Select(g => Tars(root, g.CaptionFolder!)).ToList();
        for (int c = 0; c < captionGroups.Count; c++)
            if (captionParts[c].Count == 0 && !File.Exists(Path.Combine(root, captionGroups[c].Json)))
                throw new VgtDataException($"no caption tars in {Path.Combine(root, captionGroups[c].CaptionFolder!)} (expected the recipe's caption download, captions/*.tar)");

        var results = new ExtractionResult[parts.Count];
        var captionResults = new ExtractionResult[captionGroups.Count];
        string Label(string p) => Path.GetRelativePath(root, p).Replace('\\', '/');
        long total = parts.Sum(p => new FileInfo(p.Path).Length) + captionParts.Sum(c => c.Sum(p => new FileInfo(p).Length));
        using (var progress = options.ProgressWriter is null ? null
                   : ExtractionProgress.Create(options.ProgressWriter, options.ProgressIsTerminal, total, options.Extract ? "extract" : "read in place", options.ProgressInterval))
        {
            PrepareParallel.For(parts.Count, options, i =>
            {
                var (g, part) = parts[i];
                var outDir = Path.Combine(Path.GetDirectoryName(part)!, g.FolderOf(part));
                if (options.Extract && PartStamp.Read(root, part, outDir, Label(part)) is { } done)
                {
                    progress?.Add(new FileInfo(part).Length);
                    results[i] = done;
                    return;
                }
                results[i] = TarExtractor.Run([part], new ExtractionOptions
                {
                    OutputDir = outDir,
                    ListOnly = !options.Extract,
                    Workers = 1,
                    Cancellation = options.Cancellation,
                    Progress = progress,
                    PartLabel = Label,
                    AfterFileWritten = options.AfterFileWritten,
                });
                PartStamp.Write(root, part, results[i]);
            });
            // Caption parts share one folder: one run, so a path two parts hold is refused whatever the timing.
            for (int c = 0; c < captionGroups.Count; c++)
                captionResults[c] = TarExtractor.Run(captionParts[c], new ExtractionOptions
                {
                    OutputDir = Path.Combine(root, captionGroups[c].CaptionFolder!),
                    ListOnly = !options.Extract,
                    Workers = options.Workers,
                    Cancellation = options.Cancellation,
                    Progress = progress,
                    PartLabel = Label,
                    AfterFileWritten = options.AfterFileWritten,
                });
        }
        var extraction = Merge([.. results, .. captionResults]);

        var omissions = new Omissions(OmissionReasons);
        int entries = 0, written = 0;
        long bytes = 0;
        foreach (var g in groups)
        {
            var jsonPath = Path.Combine(root, g.Json);
            var groupParts = Enumerable.Range(0, parts.Count).Where(i => parts[i].Group == g).ToList();
            if (File.Exists(jsonPath) && !PartStamp.WroteManifest(root, g.Json))
            {
                // The recipe's own json download: used as it is.
                using var doc = ShareGptAnnotations.Load(jsonPath);
                entries += doc.RootElement.GetArrayLength();
                written += doc.RootElement.GetArrayLength();
                continue;
            }
            var captions = g.CaptionFolder is null ? null : captionResults[captionGroups.IndexOf(g)];
            var rows = new List<(string Image, string Annotation)>();
            var paired = new HashSet<string>(StringComparer.Ordinal);
            foreach (var i in groupParts)
            {
                var partName = g.FolderOf(parts[i].Path);
                var present = results[i].Present;
                // With separate caption tars only the images of a part count; its own .txt/.json members are not captions.
                var keys = captions is null ? KeyPairs.Group(present, m => m, g.CaptionExtension)
                    : KeyPairs.Group(present.Where(m => KeyPairs.IsImage(m)), m => m, g.CaptionExtension);
                foreach (var (key, (images, caption)) in keys)
                {
                    string Rel(string m) => partName + "/" + m;
                    var annotation = captions is null ? caption is null ? null : Rel(caption)
                        : captions.Present.Contains(Rel(key + g.CaptionExtension)) ? Rel(key + g.CaptionExtension) : null;
                    entries++;
                    if (annotation is null) omissions.Add($"{g.Folder}/{Rel(images[0])}", NoCaption);
                    else if (images.Count == 0) omissions.Add($"{g.Folder}/{annotation}", NoImage);
                    else if (images.Count > 1) omissions.Add($"{g.Folder}/{Rel(images[0])}", TwoImages);
                    else
                    {
                        rows.Add((Rel(images[0]), annotation));
                        bytes += results[i].Sizes[images[0]] + (captions is null ? results[i].Sizes[caption!] : captions.Sizes[annotation]);
                    }
                    if (annotation is not null) paired.Add(annotation);
                }
            }
            if (captions is not null)
                foreach (var c in captions.Present.Where(c => c.EndsWith(g.CaptionExtension, StringComparison.Ordinal) && !paired.Contains(c)).Order(StringComparer.Ordinal))
                {
                    entries++;
                    omissions.Add($"{g.CaptionFolder}/{c}", NoImage);
                }
            written += rows.Count;
            Directory.CreateDirectory(Path.GetDirectoryName(jsonPath)!);
            AtomicFile.Write(jsonPath, s => DataJson.Write(s, rows, (w, r) =>
            {
                w.WriteString("image", r.Image);
                w.WriteString("annotation", r.Annotation);
            }));
            PartStamp.MarkManifest(root, g.Json);
        }
        var report = omissions.Report(recipe, entries, written, bytes, extraction);
        AtomicFile.Write(Path.Combine(root, "prepare-report.json"), report.WriteJson);
        return report;
    }

    private static List<string> Tars(string root, string folder)
    {
        var path = Path.Combine(root, folder);
        return Directory.Exists(path) ? Directory.EnumerateFiles(path, "*.tar").Order(StringComparer.Ordinal).ToList() : [];
    }

    /// <summary>Two parts that unpack into one folder (cc12m's a-0000.tar and b-0000.tar) would mix their members: refused
    /// before anything is read.</summary>
    private static void CheckFolders(string root, List<(Group Group, string Path)> parts)
    {
        var seen = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (g, part) in parts)
        {
            var folder = Path.Combine(Path.GetDirectoryName(part)!, g.FolderOf(part));
            if (seen.TryGetValue(folder, out var other))
                throw new VgtDataException($"{Path.GetRelativePath(root, other)} and {Path.GetRelativePath(root, part)} both unpack into {Path.GetRelativePath(root, folder)}/ (VGT's extract.py would mix them); move one away");
            seen[folder] = part;
        }
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
        InPlace = results.Any(r => r.InPlace),
        Members = results.Sum(r => r.Members),
    };
}
