// Per-core decode throughput of each IImageDecoder on a 1024×1024 photo-like PNG (and a JPEG of it), alone and
// followed by the loader's crop + resize to 448. Single-threaded; prints the median of the runs for each decoder.
// Usage: dotnet run -c Release --project benchmarks/DecodeBench -- [--images N] [--runs R] [--size S]
using System.Diagnostics;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Jpeg;
using VgtData.Images;
using VgtData.Preparation;

int images = 12, runs = 5, size = 1024;
for (int i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--images": images = int.Parse(args[++i]); break;
        case "--runs": runs = int.Parse(args[++i]); break;
        case "--size": size = int.Parse(args[++i]); break;
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
foreach (var (format, bytes) in new[] { ("png", png), ("jpeg", jpeg) })
{
    var results = new Dictionary<string, (double Decode, double Resize)>();
    foreach (var name in ImageDecoders.Names)
    {
        var decoder = ImageDecoders.Create(name);
        double Measure(bool resize)
        {
            var rates = new List<double>();
            for (int r = 0; r < runs + 1; r++)
            {
                var clock = Stopwatch.StartNew();
                for (int i = 0; i < images; i++)
                {
                    using var image = decoder.Decode(bytes, "bench." + format, limits);
                    if (resize)
                    {
                        using var rgb = SquareResize.Apply(image, CropBox.Square(image.Width, image.Height, 0), 448, 448);
                    }
                }
                if (r > 0) rates.Add(images / clock.Elapsed.TotalSeconds); // run 0 warms up
            }
            rates.Sort();
            return rates[rates.Count / 2];
        }
        results[name] = (Measure(false), Measure(true));
        Console.WriteLine($"{format,-4} {name,-10} decode {results[name].Decode,7:0.0} img/s   decode+crop+resize448 {results[name].Resize,7:0.0} img/s");
    }
    var a = results["imagesharp"];
    var b = results["skia"];
    Console.WriteLine($"{format,-4} skia/imagesharp: decode {b.Decode / a.Decode:0.00}x, decode+resize {b.Resize / a.Resize:0.00}x");
}
return 0;
