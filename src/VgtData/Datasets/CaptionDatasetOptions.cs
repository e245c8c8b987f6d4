using VgtData.Images;
using VgtData.Sources;
using VgtData.Text;

namespace VgtData.Datasets;

/// <summary>The anchor's CaptionDataset arguments, resolved (names follow the Python config).</summary>
public sealed record CaptionDatasetOptions
{
    /// <summary><c>data_path</c>: a data.json, a folder of *.json, or a .jsonl file.</summary>
    public required string DataPath { get; init; }

    /// <summary><c>image_folder</c>: where entry["image"] paths are relative to.</summary>
    public string ImageFolder { get; init; } = "";

    /// <summary><c>cap_folder</c>: where annotation files live (entries with "annotation").</summary>
    public string? CapFolder { get; init; }

    /// <summary><c>cap_source</c>: the key holding the caption (inline or in the annotation JSON).</summary>
    public string CapSource { get; init; } = "caption";

    /// <summary>Annotations are .txt files whose stripped text is the caption (BLIP3o-60k).</summary>
    public bool TextAnnotations { get; init; }

    /// <summary><c>index</c>: read the entries through their memory-mapped index, built beside data_path on first open
    /// (docs/memory.md); false parses the JSON on every open.</summary>
    public bool Index { get; init; } = true;

    /// <summary><c>unconditional</c>: probability of replacing the caption by the CFG prompt.</summary>
    public double Unconditional { get; init; } = 0.1;

    public int ImageSize { get; init; } = 448;

    /// <summary><c>crop2square</c>: random square along the long side before the resize (otherwise a plain resize).</summary>
    public bool Crop2Square { get; init; } = true;

    /// <summary>Decode JPEGs DCT-scaled as Pillow's <c>draft('RGB', (image_size, image_size))</c> does before the crop and
    /// resize (<c>dataset.jpeg_draft</c>): faster, and the Pillow reference must draft too.</summary>
    public bool JpegDraft { get; init; }

    /// <summary><c>train_dataloader.resize_on: device</c>: decode and crop only; the sample carries the uint8 crop
    /// (<see cref="CaptionSample.Crop"/>) and the collate step resizes it on the batch's device.</summary>
    public bool ResizeOnDevice { get; init; }

    public ImageLimits Limits { get; init; } = ImageLimits.Default;

    /// <summary><c>train_number_samples</c>: use only the first N entries.</summary>
    public int? TrainNumberSamples { get; init; }

    /// <summary><c>debug</c>: every index serves entry 0.</summary>
    public bool Debug { get; init; }

    public long Seed { get; init; }

    /// <summary><c>image_latents_folder</c>: read <c>&lt;image&gt;.pt</c> tensors instead of decoding images.</summary>
    public string? ImageLatentsFolder { get; init; }

    /// <summary><c>image_tokens_folder</c>: read int64 <c>&lt;image&gt;.pt</c> tokens instead of decoding images.</summary>
    public string? ImageTokensFolder { get; init; }

    /// <summary>Bad-sample budget: fraction of <see cref="FailureWindow"/> recent reads that may fail.</summary>
    public double FailureBudget { get; init; } = 0.1;
    public int FailureWindow { get; init; } = 1000;

    /// <summary>Replacements tried for one index before giving up on it.</summary>
    public int MaxReplacements { get; init; } = 32;

    /// <summary>Where image bytes come from; default: files below <see cref="ImageFolder"/>.</summary>
    internal IImageSource? ImageSource { get; init; }

    /// <summary>Where annotations, latents and the manifest are read: local folders, or s3:// through the dataset's
    /// object-storage client (default: local only).</summary>
    internal Sources.DatasetStorage? Stores { get; init; }

    /// <summary>Bytes → RGB; default: <see cref="ImageDecoder.Shared"/>.</summary>
    internal IImageDecoder? Decoder { get; init; }

    /// <summary>Caption → input_ids (template, tokenizer, max_length).</summary>
    public required CaptionTokenizer Text { get; init; }
}
