namespace VgtData.Images;

/// <summary>What an image must satisfy before it is decoded: the anchor's size and aspect filters and Pillow's bomb limit.</summary>
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

    public static ImageLimits Default { get; } = new();

    /// <summary>Checks header dimensions; throws <see cref="SampleException"/> with the reason when they are refused.</summary>
    public void Check(int width, int height, string path)
    {
        if ((long)width * height > MaxPixels)
            throw new SampleException(SampleFailureReason.TooManyPixels, path,
                $"{width}x{height} = {(long)width * height} pixels exceeds the limit of {MaxPixels}");
        if (width <= MinImageSize || height <= MinImageSize)
            throw new SampleException(SampleFailureReason.TooSmall, path, $"{width}x{height} has a side of at most {MinImageSize} px");
        double aspect = (double)width / height;
        if (aspect <= MinAspect || aspect >= MaxAspect)
            throw new SampleException(SampleFailureReason.BadAspect, path,
                $"{width}x{height} has aspect {aspect:0.###}, outside ({MinAspect}, {MaxAspect})");
    }
}
