namespace VgtData.Preparation;

/// <summary>A dataset recipe of VGT's (docs/datasets/*.md) that <c>vgtdata prepare NAME</c> carries out;
/// <see cref="Outputs"/>: the manifests it writes, relative to the dataset folder.</summary>
internal sealed record PrepareRecipe(string Name, string Description, Func<string, PrepareOptions, PrepareReport> Run, string[]? Outputs = null)
{
    /// <summary>Why VGT's config, as it is, cannot read the download in place (printed with the <c>--extract</c> command
    /// after a prepare without it); null when it can.</summary>
    public string? InPlaceNote { get; init; }

    public IReadOnlyList<string> Written => Outputs ?? [DataJson.FileName];
}

/// <summary>The recipes this build can prepare, in the order <c>prepare --list</c> prints them.</summary>
internal static class PrepareRecipes
{
    public static readonly IReadOnlyList<PrepareRecipe> All =
    [
        new(ShareGpt4oImagePreparer.Name, "raw/text_to_image.json to data.json, images/NAME read from raw/text_to_image_part_*.tar in place (images.tarparts.json; --extract: unpacked to images/) (finetune)",
            ShareGpt4oImagePreparer.Run),
        new(Echo4oImagePreparer.Name, "the t2i rows of the two jsonl files to data.json; raw/*/images/*.tar.gz need --extract (unpacked to images/) (finetune)",
            Echo4oImagePreparer.Run) { InPlaceNote = "echo-4o-image's .tar.gz parts cannot be read in place" },
        new(PerPartPreparer.Blip3o60k, "data.json kept as downloaded, else written from raw/*.tar (.jpg + .txt); --extract: each part to raw/PART/ (finetune)",
            (root, o) => PerPartPreparer.Run(PerPartPreparer.Blip3o60k, PerPartPreparer.Blip3oGroups, root, o)),
        new(PerPartPreparer.TextToImage2m, "data/data_*.json kept, else written from raw/data_*/*.tar (.jpg + .json); --extract: each part to raw/data_*/PART/",
            (root, o) => PerPartPreparer.Run(PerPartPreparer.TextToImage2m, PerPartPreparer.TextToImageGroups, root, o),
            PerPartPreparer.TextToImageGroups.Select(g => g.Json).ToArray()),
        new(Img2DatasetPreparer.Laion6m, "img2dataset folders raw/NNNNNNNN/*.jpg + .json paired into data.json, read in place (pretrain)",
            (root, o) => Img2DatasetPreparer.Run(Img2DatasetPreparer.Laion6m, root, o)),
        new(Img2DatasetPreparer.Redcaps5m, "img2dataset folders raw/NNNNNNNN/*.jpg + .json paired into data.json, read in place (pretrain)",
            (root, o) => Img2DatasetPreparer.Run(Img2DatasetPreparer.Redcaps5m, root, o)),
        new(PerPartPreparer.Megalith10m, "megalith10m_all.json kept, else written from raw/*.tar + captions/*.tar (PART/KEY.json); --extract: raw/PART/, captions/PART/ (pretrain)",
            (root, o) => PerPartPreparer.Run(PerPartPreparer.Megalith10m, PerPartPreparer.Megalith10mGroups, root, o),
            [PerPartPreparer.Megalith10mGroups[0].Json]),
        new(PerPartPreparer.Cc12m, "data.json kept, else written from raw/*-NNNN.tar + captions/*.tar (NNNN/KEY.json); --extract: raw/NNNN/, captions/NNNN/ (pretrain)",
            (root, o) => PerPartPreparer.Run(PerPartPreparer.Cc12m, PerPartPreparer.Cc12mGroups, root, o)),
        new(Midjourney23mPreparer.Name, "the rows of raw/table-*.parquet with their image to data.json, images/ read from raw/images/**/*.tar in place (images.tarparts.json; --extract: unpacked to images/) (pretrain)",
            Midjourney23mPreparer.Run),
        new(ImagenetT2iPreparer.Name, "raw/*.parquet rows to data.json as extract.py names them, images read from the parquet in place (--extract: PNGs in images/)",
            ImagenetT2iPreparer.Run),
    ];

    public static PrepareRecipe? Find(string name) => All.FirstOrDefault(r => r.Name == name);

    /// <summary>"a, b, c": the names a refusal lists.</summary>
    public static string Names => string.Join(", ", All.Select(r => r.Name));
}

/// <summary>Runs a recipe's per-part (or per-folder) work in parallel, <see cref="PrepareOptions.Workers"/> at a time.</summary>
internal static class PrepareParallel
{
    /// <summary>A failure in one item surfaces as itself (a <see cref="VgtDataException"/> is one line at the CLI), not
    /// wrapped in an AggregateException.</summary>
    public static void For(int count, PrepareOptions options, Action<int> body)
    {
        try
        {
            Parallel.For(0, count, new ParallelOptions
            {
                MaxDegreeOfParallelism = options.Workers > 0 ? options.Workers : Environment.ProcessorCount,
                CancellationToken = options.Cancellation,
            }, body);
        }
        catch (AggregateException e)
        {
            var first = e.InnerExceptions.FirstOrDefault(x => x is VgtDataException) ?? e.InnerExceptions[0];
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(first).Throw();
        }
    }
}
