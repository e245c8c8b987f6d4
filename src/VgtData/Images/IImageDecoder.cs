namespace VgtData.Images;

/// <summary>Bytes → an RGB image as Pillow's <c>Image.open(f).convert('RGB')</c> would give, after the limits are checked
/// on the header. Every failure is a <see cref="SampleException"/> with its reason.</summary>
internal interface IImageDecoder
{
    string Name { get; }

    /// <summary>Width and height from the header only (no pixel decoding).</summary>
    (int Width, int Height) ReadSize(ReadOnlyMemory<byte> data, string path);

    RgbImage Decode(ReadOnlyMemory<byte> data, string path, ImageLimits limits);

    /// <summary>Decodes at least rows [0, <paramref name="rowsNeeded"/>) — a crop that ends above the last row need not
    /// pay for the rest. The image returned may be shorter than the header says, never shorter than that.</summary>
    RgbImage Decode(ReadOnlyMemory<byte> data, string path, ImageLimits limits, int rowsNeeded) => Decode(data, path, limits);

    /// <summary>The size <see cref="DecodeDraft"/> gives for a request of <paramref name="requestWidth"/> ×
    /// <paramref name="requestHeight"/>: for a JPEG, Pillow's <c>draft('RGB', (w, h))</c> rule (the largest DCT scale 1/2,
    /// 1/4 or 1/8 that keeps both sides at least the request); for anything else, or a decoder without draft mode, the
    /// full size.</summary>
    (int Width, int Height) ReadDraftSize(ReadOnlyMemory<byte> data, string path, int requestWidth, int requestHeight) => ReadSize(data, path);

    /// <summary>Decodes at the size <see cref="ReadDraftSize"/> gives (at least rows [0, <paramref name="rowsNeeded"/>) of
    /// it), as Pillow's <c>draft</c> then <c>convert('RGB')</c> would. The limits apply to the file's full size.</summary>
    RgbImage DecodeDraft(ReadOnlyMemory<byte> data, string path, ImageLimits limits, int requestWidth, int requestHeight, int rowsNeeded) =>
        Decode(data, path, limits, rowsNeeded);
}
