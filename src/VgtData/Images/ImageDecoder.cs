namespace VgtData.Images;

/// <summary>
/// The one image decoder: sniffs the format once, reads the header, checks the limits and the file's integrity once,
/// then hands the bytes to the one route for that format (docs/images.md has the table). Every route returns an
/// <see cref="RgbImage"/>; every failure is a <see cref="SampleException"/> with its reason. Stateless, so one instance
/// serves every worker.
/// </summary>
internal sealed class ImageDecoder(IReadOnlyList<IImageRoute> routes) : IImageDecoder
{
    /// <summary>One row per format, tried in order; ImageSharp's own detection is last (BMP, TGA, TIFF, WebP, PBM).
    /// A new format is a new <see cref="IImageRoute"/> file and a row here.</summary>
    internal static IReadOnlyList<IImageRoute> DefaultRoutes { get; } =
    [
        new PngRoute(),
        new LibjpegTurboDecoder(),
        new PillowGifDecoder(),
        new IcoRoute(),
        new ImageSharpRoute(),
    ];

    /// <summary>The instance datasets use when none is given.</summary>
    public static ImageDecoder Shared { get; } = new(DefaultRoutes);

    internal IReadOnlyList<IImageRoute> Routes { get; } = routes;

    public string Name => "default";

    /// <summary>Why JPEGs cannot be decoded on this machine (the bundled libvips did not load), or null.</summary>
    public static string? JpegUnavailableReason => LibVips.UnavailableReason;

    /// <summary>The route for <paramref name="data"/>; refuses an empty file and an unknown format.</summary>
    internal IImageRoute Route(ReadOnlySpan<byte> data, string path)
    {
        if (data.IsEmpty) throw new SampleException(SampleFailureReason.Undecodable, path, "file is empty");
        foreach (var route in Routes)
            if (route.Matches(data)) return route;
        throw new SampleException(SampleFailureReason.Undecodable, path, "not a recognised image format");
    }

    public (int Width, int Height) ReadSize(ReadOnlyMemory<byte> data, string path) => Route(data.Span, path).ReadSize(data, path);

    public (int Width, int Height) ReadDraftSize(ReadOnlyMemory<byte> data, string path, int requestWidth, int requestHeight) =>
        Route(data.Span, path).ReadDraftSize(data, path, requestWidth, requestHeight);

    public RgbImage Decode(ReadOnlyMemory<byte> data, string path, ImageLimits limits) => Decode(data, path, limits, int.MaxValue);

    public RgbImage Decode(ReadOnlyMemory<byte> data, string path, ImageLimits limits, int rowsNeeded) =>
        Checked(data, path, limits).Decode(data, path, rowsNeeded);

    public RgbImage DecodeDraft(ReadOnlyMemory<byte> data, string path, ImageLimits limits, int requestWidth, int requestHeight, int rowsNeeded) =>
        Checked(data, path, limits).DecodeDraft(data, path, requestWidth, requestHeight, rowsNeeded);

    /// <summary>The route, once the header's size has passed the limits (the full size, also for a draft) and the file
    /// shows no damage: every format goes through these checks here and nowhere else.</summary>
    internal IImageRoute Checked(ReadOnlyMemory<byte> data, string path, ImageLimits limits)
    {
        var route = Route(data.Span, path);
        var (width, height) = route.ReadSize(data, path);
        limits.Check(width, height, path);
        if (route.FindDamage(data, path) is { } damage) throw new SampleException(damage.Reason, path, damage.Detail);
        return route;
    }
}
