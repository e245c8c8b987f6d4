using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace VgtData.Images;

/// <summary>Bytes → an RGB image as Pillow's <c>Image.open(f).convert('RGB')</c> would give, after the limits are checked
/// on the header. Every failure is a <see cref="SampleException"/> with its reason.</summary>
public interface IImageDecoder
{
    string Name { get; }

    /// <summary>Width and height from the header only (no pixel decoding).</summary>
    (int Width, int Height) ReadSize(ReadOnlyMemory<byte> data, string path);

    Image<Rgb24> Decode(ReadOnlyMemory<byte> data, string path, ImageLimits limits);

    /// <summary>Decodes at least rows [0, <paramref name="rowsNeeded"/>) — a crop that ends above the last row need not
    /// pay for the rest. The image returned may be shorter than the header says, never shorter than that.</summary>
    Image<Rgb24> Decode(ReadOnlyMemory<byte> data, string path, ImageLimits limits, int rowsNeeded) => Decode(data, path, limits);
}
