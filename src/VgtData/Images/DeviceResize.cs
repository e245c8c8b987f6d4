using TorchSharp;
using static TorchSharp.torch;

namespace VgtData.Images;

/// <summary>
/// <c>train_dataloader.resize_on: device</c>, in two halves. A worker copies the crop out of the decoded image
/// (<see cref="Crop"/>); the collate step resizes it to the batch's size with a torch op on the batch's device
/// (<see cref="Resize(Tensor, int, int)"/>): uint8 → float32, bicubic with antialiasing (Pillow's a = −0.5 kernel, widened when
/// shrinking), rounded half up and clamped to 0..255 as Pillow's 8-bit output is. It is close to Pillow, not equal
/// to it: Pillow rounds to 8 bits between its horizontal and vertical passes and sums in 22-bit fixed point.
/// </summary>
internal static class DeviceResize
{
    /// <summary>The <paramref name="box"/> region of <paramref name="image"/> as a packed HWC image (pooled: dispose it).</summary>
    public static RgbImage Crop(RgbImage image, CropBox box)
    {
        if (box.Left < 0 || box.Upper < 0 || box.Right > image.Width || box.Lower > image.Height || box.Width < 1 || box.Height < 1)
            throw new ArgumentOutOfRangeException(nameof(box), $"crop {box} is not inside the {image.Width}x{image.Height} image");
        var crop = new RgbImage(box.Width, box.Height);
        var dst = crop.Pixels;
        int row = box.Width * 3;
        for (int y = 0; y < box.Height; y++)
            image.Row(box.Upper + y).Slice(box.Left * 3, row).CopyTo(dst.Slice(y * row, row));
        return crop;
    }

    /// <summary>
    /// A uint8 HWC image tensor (any device) resized to uint8 [3, <paramref name="height"/>, <paramref name="width"/>]
    /// on the same device. A crop that already has the size is only transposed, so its values pass through unchanged.
    /// </summary>
    public static Tensor Resize(Tensor hwc, int height, int width)
    {
        if (hwc.dim() != 3 || hwc.shape[2] != 3 || hwc.dtype != ScalarType.Byte)
            throw new ArgumentException($"expected a uint8 [H, W, 3] tensor, got {hwc.dtype} [{string.Join(", ", hwc.shape)}]", nameof(hwc));
        using var scope = torch.NewDisposeScope();
        var chw = hwc.permute(2, 0, 1);
        if (hwc.shape[0] == height && hwc.shape[1] == width) return chw.contiguous().MoveToOuterDisposeScope();
        var x = chw.unsqueeze(0).to(ScalarType.Float32);
        var y = nn.functional.interpolate(x, size: [height, width], mode: InterpolationMode.Bicubic, align_corners: false, antialias: true);
        // Pillow's clip8 rounds half up: floor(v + 0.5), then clamps.
        var rounded = y.add_(0.5).floor_().clamp_(0, 255).to(ScalarType.Byte).squeeze(0);
        return rounded.MoveToOuterDisposeScope();
    }

    /// <summary><see cref="Resize(Tensor, int, int)"/> of a packed HWC image to a <paramref name="size"/>² packed HWC
    /// image, on the CPU (for what shows one sample: <c>vgtdata sample</c>, previews).</summary>
    public static RgbImage ResizeToImage(RgbImage crop, int size)
    {
        using var chw = Resize(crop, size, size);
        using var hwc = chw.permute(1, 2, 0).contiguous();
        var result = new RgbImage(size, size);
        hwc.bytes.CopyTo(result.Pixels);
        return result;
    }

    /// <summary><see cref="Resize(Tensor, int, int)"/> of a packed HWC image, on the CPU.</summary>
    public static Tensor Resize(RgbImage image, int height, int width)
    {
        using var host = torch.tensor(image.Pixels.ToArray(), new long[] { image.Height, image.Width, 3 });
        return Resize(host, height, width);
    }
}
