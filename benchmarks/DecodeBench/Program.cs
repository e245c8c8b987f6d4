// Per-core decode throughput of the image decoder on 1024×1024 photo-like images: an 8-bit RGB PNG, a q90 JPEG, and
// the same photo as a palette PNG and a grey PNG (one byte a pixel: the row decoder's slowest unfiltering), alone and
// followed by the loader's crop + resize to 448. Single-threaded; prints the median of the runs for each decoder. For
// the palette and grey PNGs it also times libvips' PNG loader (bundled libpng) and says whether its pixels equal
// ImageSharp's.
// Usage: dotnet run -c Release --project benchmarks/DecodeBench -- [--images N] [--runs R] [--size S] [--decoders a,b]
using System.Diagnostics;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.PixelFormats;
using VgtData.Images;
using VgtData.Preparation;

int images = 12, runs = 5, size = 1024;
string[]? only = null;
for (int i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--images": images = int.Parse(args[++i]); break;
        case "--runs": runs = int.Parse(args[++i]); break;
        case "--size": size = int.Parse(args[++i]); break;
        case "--decoders": only = args[++i].Split(','); break;
        default: Console.Error.WriteLine($"unknown argument {args[i]}"); return 2;
    }
}

var files = new List<(string Format, byte[] Bytes)>();
using (var photo = SyntheticDataset.Render(size, size, 1))
{
    byte[] Encode(Action<Stream> save) { using var ms = new MemoryStream(); save(ms); return ms.ToArray(); }
    files.Add(("png", Encode(s => photo.SaveAsPng(s)))); // ImageSharp's default compression (level 6)
    files.Add(("jpeg", Encode(s => photo.SaveAsJpeg(s, new JpegEncoder { Quality = 90 }))));
    files.Add(("png-palette", Encode(s => photo.SaveAsPng(s, new PngEncoder { ColorType = PngColorType.Palette }))));
    files.Add(("png-grey", Encode(s => photo.SaveAsPng(s, new PngEncoder { ColorType = PngColorType.Grayscale, BitDepth = PngBitDepth.Bit8 }))));
}
Console.WriteLine($"{size}x{size} photo-like: {string.Join(", ", files.Select(f => $"{f.Format} {f.Bytes.Length / 1024} KiB"))}; " +
    $"{images} images per run, median of {runs} runs, 1 thread, {Environment.ProcessorCount} logical CPUs");

var limits = ImageLimits.Default;
// "default" is ImageDecoder.Shared; "imagesharp" is ImageSharp's own Image.Load, copied out (the baseline, not a route for PNG or
// JPEG); "default-zlib" is "default" with libdeflate off (zlib-ng inflate, stopping at the crop; every PNG); "default-draft" is
// "default" with dataset.jpeg_draft (DCT-scaled decode for 448); "default-vips" and "draft-vips" are those with the
// system's TurboJPEG off (JPEGs through libvips); "vips-png" is libvips' PNG loader (PNGs only).
var decoders = new List<(string Name, IImageDecoder Decoder, Func<string, bool> Takes)>
{
    ("default", ImageDecoder.Shared, _ => true),
    ("imagesharp", new Plain(), _ => true),
    ("default-zlib", new Switched("default-zlib", draft: false, libdeflate: false, turboJpeg: true), f => f.StartsWith("png")),
    ("default-vips", new Switched("default-vips", draft: false, libdeflate: true, turboJpeg: false), f => f == "jpeg"),
    ("default-draft", new Switched("default-draft", draft: true, libdeflate: true, turboJpeg: true), f => f == "jpeg"),
    ("draft-vips", new Switched("draft-vips", draft: true, libdeflate: true, turboJpeg: false), f => f == "jpeg"),
    ("vips-png", new VipsPng(), f => f.StartsWith("png-")),
};
decoders = decoders.Where(d => only == null || only.Contains(d.Name)).ToList();
foreach (var (format, bytes) in files)
{
    var active = decoders.Where(d => d.Takes(format)).ToList();
    if (active.Count == 0) continue;
    if (format.StartsWith("png-") && active.Any(d => d.Name == "vips-png"))
    {
        using var a = new Plain().Decode(bytes, "bench.png", limits);
        using var b = new VipsPng().Decode(bytes, "bench.png", limits);
        Console.WriteLine($"{format}: vips-png pixels {(Pixels(a).SequenceEqual(Pixels(b)) ? "equal" : "DIFFER from")} ImageSharp's");
    }
    var median = new Dictionary<(string, bool), double>();
    foreach (bool resize in new[] { false, true })
    {
        // The decoders take turns run by run, so a change in machine load hits both alike.
        var rates = active.ToDictionary(d => d.Name, _ => new List<double>());
        var allocated = active.ToDictionary(d => d.Name, _ => 0L);
        for (int r = 0; r < runs + 1; r++)
        {
            foreach (var (name, decoder, _) in active)
            {
                long before = GC.GetAllocatedBytesForCurrentThread();
                var clock = Stopwatch.StartNew();
                for (int i = 0; i < images; i++)
                {
                    using var image = decoder.Decode(bytes, "bench." + format, limits);
                    if (resize)
                    {
                        using var rgb = SquareResize.Apply(image, CropBox.Square(image.Width, image.Height, 0), 448, 448);
                    }
                }
                if (r == 0) continue; // warm-up
                rates[name].Add(images / clock.Elapsed.TotalSeconds);
                allocated[name] += GC.GetAllocatedBytesForCurrentThread() - before;
            }
        }
        foreach (var (name, _, _) in active)
        {
            var list = rates[name];
            list.Sort();
            median[(name, resize)] = list[list.Count / 2];
            Console.WriteLine($"{format,-11} {(resize ? "decode+crop+resize448" : "decode"),-21} {name,-13} {list[list.Count / 2],7:0.0} img/s " +
                $"(runs {string.Join(" ", list.Select(x => x.ToString("0.0")))}; managed alloc {allocated[name] / (runs * images) / 1024} KiB/img)");
        }
        if (!median.TryGetValue(("imagesharp", resize), out double baseline)) continue;
        Console.WriteLine($"{format,-11} {(resize ? "decode+crop+resize448" : "decode"),-21} vs imagesharp: " +
            string.Join(", ", active.Where(d => d.Name != "imagesharp").Select(d => $"{d.Name} {median[(d.Name, resize)] / baseline:0.00}x")));
    }
}
return 0;

static byte[] Pixels(RgbImage image) => image.Pixels.ToArray();

/// <summary>ImageSharp's own decode, single-threaded.</summary>
sealed class Plain : IImageDecoder
{
    public string Name => "imagesharp";
    public (int Width, int Height) ReadSize(ReadOnlyMemory<byte> data, string path) => ImageDecoder.Shared.ReadSize(data, path);
    public RgbImage Decode(ReadOnlyMemory<byte> data, string path, ImageLimits limits)
    {
        using var image = Image.Load<Rgb24>(ImageSharpRoute.SingleThreaded, data.Span);
        return ImageSharpRoute.Copy(image);
    }
}

/// <summary>libvips' PNG loader (libpng 1.6), bands reduced to RGB as Pillow's convert('RGB') does (grey copied,
/// alpha dropped), no colour management.</summary>
sealed class VipsPng : IImageDecoder
{
    public string Name => "vips-png";
    public (int Width, int Height) ReadSize(ReadOnlyMemory<byte> data, string path) => ImageDecoder.Shared.ReadSize(data, path);
    public RgbImage Decode(ReadOnlyMemory<byte> data, string path, ImageLimits limits)
    {
        using var image = NetVips.Image.PngloadBuffer(data.ToArray(), access: NetVips.Enums.Access.Sequential, failOn: NetVips.Enums.FailOn.Truncated);
        int bands = image.Bands;
        var raw = image.WriteToMemory();
        var rgb = new RgbImage(image.Width, image.Height);
        var pixels = rgb.Pixels;
        for (int i = 0, o = 0; o < pixels.Length; i += bands, o += 3)
        {
            pixels[o] = raw[i];
            pixels[o + 1] = raw[bands >= 3 ? i + 1 : i];
            pixels[o + 2] = raw[bands >= 3 ? i + 2 : i];
        }
        return rgb;
    }
}

/// <summary>The default decoder with draft mode on or off and libdeflate / TurboJPEG switched off on the calling thread.</summary>
sealed class Switched(string name, bool draft, bool libdeflate, bool turboJpeg) : IImageDecoder
{
    private readonly ImageDecoder _decoder = ImageDecoder.Shared;
    public string Name => name;
    public (int Width, int Height) ReadSize(ReadOnlyMemory<byte> data, string path) =>
        draft ? _decoder.ReadDraftSize(data, path, 448, 448) : _decoder.ReadSize(data, path);
    public RgbImage Decode(ReadOnlyMemory<byte> data, string path, ImageLimits limits)
    {
        bool deflateWas = Libdeflate.Enabled, turboWas = TurboJpeg.Enabled;
        Libdeflate.Enabled = libdeflate && deflateWas;
        TurboJpeg.Enabled = turboJpeg && turboWas;
        try { return draft ? _decoder.DecodeDraft(data, path, limits, 448, 448, int.MaxValue) : _decoder.Decode(data, path, limits); }
        finally
        {
            Libdeflate.Enabled = deflateWas;
            TurboJpeg.Enabled = turboWas;
        }
    }
}
