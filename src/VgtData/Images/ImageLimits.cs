namespace VgtData.Images;

/// <summary>What an image must satisfy before it is decoded: the anchor's size and aspect filters, Pillow's bomb limit, and
/// the memory a single file may cost (its size on disk, the decode buffers its header asks for).</summary>
public sealed record ImageLimits
{
    /// <summary>Pillow refuses images over 2 × <c>Image.MAX_IMAGE_PIXELS</c> (89,478,485) as decompression bombs.</summary>
    public const long PillowBombPixels = 178_956_970;

    /// <summary>Refuse when width or height is at most this (the anchor's <c>min_image_size</c>).</summary>
    public int MinImageSize { get; init; } = 80;

    /// <summary>Refuse when width / height is at most this …</summary>
    public double MinAspect { get; init; } = 0.1;

    /// <summary>… or at least this.</summary>
    public double MaxAspect { get; init; } = 10.0;

    /// <summary>Refuse when the header declares more pixels than this.</summary>
    public long MaxPixels { get; init; } = PillowBombPixels;

    /// <summary>256 MiB: a 8192² image at 4 bytes a pixel, sixteen times a 4096² RGBA image.</summary>
    public const long DefaultMaxDecodeBytes = 256L << 20;

    /// <summary>The sources' file-size cap (<see cref="Sources.FolderImageSource.DefaultMaxFileBytes"/>).</summary>
    public const long DefaultMaxFileBytes = Sources.FolderImageSource.DefaultMaxFileBytes;

    /// <summary>Refuse when decoding would need more than this many bytes, estimated from the header as width × height × 4
    /// (the widest 8-bit working format any decoder here uses), before anything is allocated.</summary>
    public long MaxDecodeBytes { get; init; } = DefaultMaxDecodeBytes;

    /// <summary>Refuse files larger than this before reading them.</summary>
    public long MaxFileBytes { get; init; } = DefaultMaxFileBytes;

    public static ImageLimits Default { get; } = new();

    /// <summary>The decode memory <see cref="MaxDecodeBytes"/> is compared with.</summary>
    public static long DecodeBytes(int width, int height) => (long)width * height * 4;

    /// <summary>Checks header dimensions; throws <see cref="SampleException"/> with the reason when they are refused.</summary>
    public void Check(int width, int height, string path)
    {
        if ((long)width * height > MaxPixels)
            throw new SampleException(SampleFailureReason.TooManyPixels, path,
                $"{width}x{height} = {(long)width * height} pixels exceeds the limit of {MaxPixels}");
        if (DecodeBytes(width, height) > MaxDecodeBytes)
            throw new SampleException(SampleFailureReason.TooManyPixels, path,
                $"{width}x{height} needs about {DecodeBytes(width, height) >> 20} MiB to decode, over the limit of {MaxDecodeBytes >> 20} MiB");
        if (width <= MinImageSize || height <= MinImageSize)
            throw new SampleException(SampleFailureReason.TooSmall, path, $"{width}x{height} has a side of at most {MinImageSize} px");
        double aspect = (double)width / height;
        if (aspect <= MinAspect || aspect >= MaxAspect)
            throw new SampleException(SampleFailureReason.BadAspect, path,
                $"{width}x{height} has aspect {aspect:0.###}, outside ({MinAspect}, {MaxAspect})");
    }
}
