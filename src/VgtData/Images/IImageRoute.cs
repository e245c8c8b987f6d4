namespace VgtData.Images;

/// <summary>
/// One format's decoder behind <see cref="ImageDecoder"/>: it recognises its files, reads their size from the header,
/// names any damage it can see without decoding, and decodes. The registry calls these in that order, once each, and
/// runs the limits between the size and the damage check, so a route never repeats a check.
/// </summary>
internal interface IImageRoute
{
    /// <summary>The format's name in messages and docs ("PNG").</summary>
    string Format { get; }

    /// <summary>Whether <paramref name="data"/> (non-empty) is this format, from its first bytes.</summary>
    bool Matches(ReadOnlySpan<byte> data);

    /// <summary>Width and height from the header; throws <see cref="SampleException"/> when the header is unusable.</summary>
    (int Width, int Height) ReadSize(ReadOnlyMemory<byte> data, string path);

    /// <summary>Truncation, checksum or structure damage found before decoding, or null (the decoder may still refuse).</summary>
    ImageDamage? FindDamage(ReadOnlyMemory<byte> data, string path);

    /// <summary>At least rows [0, <paramref name="rowsNeeded"/>) of the image; the checks have already passed.</summary>
    RgbImage Decode(ReadOnlyMemory<byte> data, string path, int rowsNeeded);

    /// <summary>The size <see cref="DecodeDraft"/> gives (Pillow's <c>draft</c>); the full size for formats without one.</summary>
    (int Width, int Height) ReadDraftSize(ReadOnlyMemory<byte> data, string path, int requestWidth, int requestHeight) => ReadSize(data, path);

    RgbImage DecodeDraft(ReadOnlyMemory<byte> data, string path, int requestWidth, int requestHeight, int rowsNeeded) =>
        Decode(data, path, rowsNeeded);
}

/// <summary>Why a file is refused before decoding: the reason and its detail line.</summary>
internal readonly record struct ImageDamage(SampleFailureReason Reason, string Detail);
