// Per-core decode throughput of each IImageDecoder on a 1024×1024 photo-like PNG (and a JPEG of it), alone and
// followed by the loader's crop + resize to 448. Single-threaded; prints the median of the runs for each decoder.
// Usage: dotnet run -c Release --project benchmarks/DecodeBench -- [--images N] [--runs R] [--size S] [--decoders a,b]
using System.Diagnostics;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Jpeg;
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

byte[] png, jpeg;
using (var photo = SyntheticDataset.Render(size, size, 1))
{
    using var ms = new MemoryStream();
    photo.SaveAsPng(ms); // ImageSharp's default compression (level 6)
    png = ms.ToArray();
    ms.SetLength(0);
    photo.SaveAsJpeg(ms, new JpegEncoder { Quality = 90 });
    jpeg = ms.ToArray();
}
Console.WriteLine($"{size}x{size} photo-like: PNG {png.Length / 1024} KiB, JPEG q90 {jpeg.Length / 1024} KiB; " +
    $"{images} images per run, median of {runs} runs, 1 thread, {Environment.ProcessorCount} logical CPUs");

var limits = ImageLimits.Default;
// "skia+jpeg" is Skia's own libjpeg-turbo (decodeJpeg: true); "fast-zlib" is "fast" with libdeflate off (zlib-ng
// inflate, stopping at the crop); "fast-draft" is "fast" with dataset.jpeg_draft (DCT-scaled decode for 448);
// "fast-vips" and "draft-vips" are those with the system's TurboJPEG off (JPEGs through libvips).
var decoders = ImageDecoders.Names.Select(n => (Name: n, Decoder: ImageDecoders.Create(n)))
    .Append((Name: "skia+jpeg", Decoder: (IImageDecoder)new SkiaDecoder(decodeJpeg: true)))
    .Append((Name: "fast-zlib", Decoder: new Switched("fast-zlib", draft: false, libdeflate: false, turboJpeg: true)))
    .Append((Name: "fast-vips", Decoder: new Switched("fast-vips", draft: false, libdeflate: true, turboJpeg: false)))
    .Append((Name: "fast-draft", Decoder: new Switched("fast-draft", draft: true, libdeflate: true, turboJpeg: true)))
    .Append((Name: "draft-vips", Decoder: new Switched("draft-vips", draft: true, libdeflate: true, turboJpeg: false)))
    .Where(d => only == null || only.Contains(d.Name)).ToList();
foreach (var (format, bytes) in new[] { ("png", png), ("jpeg", jpeg) })
{
    var median = new Dictionary<(string, bool), double>();
    foreach (bool resize in new[] { false, true })
    {
        // The decoders take turns run by run, so a change in machine load hits both alike.
        var rates = decoders.ToDictionary(d => d.Name, _ => new List<double>());
        var allocated = decoders.ToDictionary(d => d.Name, _ => 0L);
        for (int r = 0; r < runs + 1; r++)
        {
            foreach (var (name, decoder) in decoders)
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
        foreach (var (name, _) in decoders)
        {
            var list = rates[name];
            list.Sort();
            median[(name, resize)] = list[list.Count / 2];
            Console.WriteLine($"{format,-4} {(resize ? "decode+crop+resize448" : "decode"),-21} {name,-10} {list[list.Count / 2],7:0.0} img/s " +
                $"(runs {string.Join(" ", list.Select(x => x.ToString("0.0")))}; managed alloc {allocated[name] / (runs * images) / 1024} KiB/img)");
        }
        if (!median.TryGetValue(("imagesharp", resize), out double baseline)) continue;
        Console.WriteLine($"{format,-4} {(resize ? "decode+crop+resize448" : "decode"),-21} vs imagesharp: " +
            string.Join(", ", decoders.Where(d => d.Name != "imagesharp").Select(d => $"{d.Name} {median[(d.Name, resize)] / baseline:0.00}x")));
    }
}
return 0;

/// <summary>"fast" with draft mode on or off and libdeflate / TurboJPEG switched off on the calling thread.</summary>
sealed class Switched(string name, bool draft, bool libdeflate, bool turboJpeg) : IImageDecoder
{
    private readonly FastDecoder _fast = new();
    public string Name => name;
    public (int Width, int Height) ReadSize(ReadOnlyMemory<byte> data, string path) =>
        draft ? _fast.ReadDraftSize(data, path, 448, 448) : _fast.ReadSize(data, path);
    public Image<SixLabors.ImageSharp.PixelFormats.Rgb24> Decode(ReadOnlyMemory<byte> data, string path, ImageLimits limits)
    {
        bool deflateWas = Libdeflate.Enabled, turboWas = TurboJpeg.Enabled;
        Libdeflate.Enabled = libdeflate && deflateWas;
        TurboJpeg.Enabled = turboJpeg && turboWas;
        try { return draft ? _fast.DecodeDraft(data, path, limits, 448, 448, int.MaxValue) : _fast.Decode(data, path, limits); }
        finally
        {
            Libdeflate.Enabled = deflateWas;
            TurboJpeg.Enabled = turboWas;
        }
    }
}
