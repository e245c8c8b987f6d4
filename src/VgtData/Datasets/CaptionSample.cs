using VgtData.Images;
using static TorchSharp.torch;

namespace VgtData.Datasets;

/// <summary>
/// One sample with its metadata, before collation. <see cref="Pixels"/> holds the cropped, resized image as uint8 HWC
/// (pooled: dispose the sample when done); <see cref="PixelValuesTensor"/> gives the anchor's float tensor.
/// </summary>
public sealed class CaptionSample : IDisposable
{
    /// <summary>The index asked for.</summary>
    public required int Index { get; init; }

    /// <summary>The entry actually served: differs from <see cref="Index"/> when a bad sample was replaced.</summary>
    public required int SourceIndex { get; init; }

    public required string ImageFile { get; init; }
    public required string Caption { get; init; }

    /// <summary>Whether the caption was replaced by the unconditional (CFG) prompt.</summary>
    public required bool Cfg { get; init; }

    public required long[] InputIds { get; init; }

    public string Type => "text2image";

    /// <summary>The image after crop2square and resize (null when the dataset serves latents or image tokens instead).</summary>
    public RgbImage? Pixels { get; init; }

    /// <summary>With <c>resize_on: device</c>, the crop before its resize (uint8 HWC, pooled; <see cref="Pixels"/> is then null).</summary>
    public RgbImage? Crop { get; init; }

    /// <summary>The side <see cref="Crop"/> is to be resized to (the dataset's <c>image_size</c>).</summary>
    public int CropResizeTo { get; init; }

    /// <summary><c>image_latents</c> read from <c>image_latents_folder</c>, when configured.</summary>
    public Tensor? ImageLatents { get; init; }

    /// <summary><c>image_tokens</c> (int64) read from <c>image_tokens_folder</c>, when configured.</summary>
    public Tensor? ImageTokens { get; init; }

    /// <summary>Which dataset of a <see cref="ConcatDataset"/> it came from (0 otherwise).</summary>
    public int Source { get; internal set; }

    /// <summary>float32 [3, S, S] in [-1, 1]; a <see cref="Crop"/> is resized here, on the CPU, as the device would.</summary>
    public Tensor PixelValuesTensor()
    {
        if (Pixels is null && Crop is { } crop)
        {
            using var resized = DeviceResize.Resize(crop, CropResizeTo, CropResizeTo);
            return PixelValues.Normalize(resized, ScalarType.Float32);
        }
        return PixelValues.ToTensor(Pixels ?? throw new InvalidOperationException("this sample carries no pixels"));
    }

    /// <summary>The anchor's dict: <c>input_ids</c> int64 [T] and <c>pixel_values</c> float32 [3, S, S] (or copies of
    /// <c>image_latents</c> / <c>image_tokens</c>); the tensors outlive the sample.</summary>
    public Dictionary<string, Tensor> ToTensors()
    {
        var result = new Dictionary<string, Tensor> { ["input_ids"] = tensor(InputIds) };
        if (Pixels != null || Crop != null) result["pixel_values"] = PixelValuesTensor();
        if (ImageLatents is { } latents) result["image_latents"] = latents.clone();
        if (ImageTokens is { } tokens) result["image_tokens"] = tokens.clone();
        return result;
    }

    public void Dispose()
    {
        Pixels?.Dispose();
        Crop?.Dispose();
        ImageLatents?.Dispose();
        ImageTokens?.Dispose();
    }
}
