namespace VgtData.Images;

/// <summary>The decoders a config may name (<c>dataset.decoder</c>).</summary>
internal static class ImageDecoders
{
    /// <summary>Used when a config names none: PNGs through zlib-ng row decoding (only the rows a crop needs), the rest
    /// through Skia, same pixels as ImageSharp (benchmarks/DecodeBench).</summary>
    public const string DefaultName = "fast";

    public static IReadOnlyList<string> Names { get; } = ["fast", "imagesharp", "skia"];

    /// <summary>The decoder called <paramref name="name"/>, or null when there is no such decoder.</summary>
    public static IImageDecoder? TryCreate(string name) => name switch
    {
        "imagesharp" => new ImageSharpDecoder(),
        "skia" => new SkiaDecoder(),
        "fast" => new FastDecoder(),
        _ => null,
    };

    public static IImageDecoder Create(string name) =>
        TryCreate(name) ?? throw new VgtDataException($"unknown image decoder '{name}' (known: {string.Join(", ", Names)})");
}
