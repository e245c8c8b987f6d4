namespace VgtData.Images;

/// <summary>The decoders a config may name (<c>dataset.decoder</c>).</summary>
public static class ImageDecoders
{
    /// <summary>Used when a config names none: Skia decodes PNGs 1.5–1.8× faster with the same pixels (benchmarks/DecodeBench).</summary>
    public const string DefaultName = "skia";

    public static IReadOnlyList<string> Names { get; } = ["imagesharp", "skia"];

    /// <summary>The decoder called <paramref name="name"/>, or null when there is no such decoder.</summary>
    public static IImageDecoder? TryCreate(string name) => name switch
    {
        "imagesharp" => new ImageSharpDecoder(),
        "skia" => new SkiaDecoder(),
        _ => null,
    };

    public static IImageDecoder Create(string name) =>
        TryCreate(name) ?? throw new VgtDataException($"unknown image decoder '{name}' (known: {string.Join(", ", Names)})");
}
