using TorchSharp;
using static TorchSharp.torch;

namespace VgtData.Collate;

/// <summary>How <c>smart_resize_and_crop</c> fits a sample to a batch resolution that differs from its own.</summary>
internal enum ResizeMode
{
    /// <summary>Scale to cover the target, crop the centre.</summary>
    CenterCrop,
    /// <summary>Scale to cover the target, crop at a random (seeded) offset.</summary>
    RandomCrop,
    /// <summary>Scale to fit inside the target, pad the rest with black (-1).</summary>
    PadResize,
}

internal enum PaddingSide { Right, Left }

/// <summary>The anchor's <c>collate_func_gen</c> arguments plus where the batch should end up.</summary>
public sealed record CollateOptions
{
    /// <summary><c>resolutions</c>: (height, width) choices; one is drawn per batch. Empty: the samples' own size.</summary>
    public IReadOnlyList<(int Height, int Width)> Resolutions { get; init; } = Array.Empty<(int, int)>();

    /// <summary><c>resolutions_ratio</c>: weights of <see cref="Resolutions"/> (uniform when empty).</summary>
    public IReadOnlyList<double> ResolutionsRatio { get; init; } = Array.Empty<double>();

    /// <summary><c>train_dataloader.collate_fn.resize_mode</c> (set from the config).</summary>
    internal ResizeMode ResizeMode { get; init; } = ResizeMode.CenterCrop;

    /// <summary>Right padding (the text-to-image collate) or left padding (the img2img collate).</summary>
    internal PaddingSide Padding { get; init; } = PaddingSide.Right;

    /// <summary><c>pad_index</c>: the id that fills input_ids beyond a sample's length.</summary>
    public long PadIndex { get; init; } = 151643;

    /// <summary>Where batches are delivered (cpu, cuda, cuda:1).</summary>
    public Device Device { get; init; } = Runtime.TorchRuntime.CpuDevice();

    /// <summary>pixel_values dtype: float32 (the anchor's) or bfloat16.</summary>
    public ScalarType DType { get; init; } = ScalarType.Float32;

    /// <summary>Send uint8 to the device and normalise there (4× less copying). Default: on for CUDA, off for CPU.
    /// Both give identical values.</summary>
    public bool? Uint8Transfer { get; init; }

    /// <summary><c>train_dataloader.resize_on: device</c>: samples bring their uint8 crop and it is resized to the batch's
    /// size on <see cref="Device"/> (close to Pillow, not equal). Every pixel sample must then bring a crop (or pixels
    /// already of the batch's size), and the batch's size must be the crops' <c>image_size</c>.</summary>
    public bool ResizeOnDevice { get; init; }

    /// <summary>Seed of the per-batch draws (resolution, random crop).</summary>
    public long Seed { get; init; }

    internal bool UseUint8Transfer => Uint8Transfer ?? Device.type == DeviceType.CUDA;
}
