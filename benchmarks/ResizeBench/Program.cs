// Crop + resize to 448 on one core: ImageSharp's bicubic (the loader's former SquareResize) against PillowResampler,
// scalar and AVX2, on photo-like images already decoded. Prints the median milliseconds per resize.
// Usage: dotnet run -c Release --project benchmarks/ResizeBench -- [--reps N] [--runs R]
// With --device: resize_on: device against Pillow (accuracy and time; see DeviceResizeBench.cs).
using System.Diagnostics;
using System.Runtime.InteropServices;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;
using VgtData.Images;
using VgtData.Preparation;

if (args.Contains("--device")) return DeviceResizeBench.Run(args);
int reps = 10, runs = 9;
for (int i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--reps": reps = int.Parse(args[++i]); break;
        case "--runs": runs = int.Parse(args[++i]); break;
        default: Console.Error.WriteLine($"unknown argument {args[i]}"); return 2;
    }
}
Console.WriteLine($"median of {runs} runs of {reps} resizes, 1 thread, AVX2 {PillowResampler.IsVectorized}, {Environment.ProcessorCount} logical CPUs");

var config = Configuration.Default.Clone();
config.MaxDegreeOfParallelism = 1;
var cases = new (string Name, int W, int H, CropBox Box)[]
{
    ("1024x1024 -> 448", 1024, 1024, new CropBox(0, 0, 1024, 1024)),
    ("1024x1536 crop 1024^2 -> 448", 1024, 1536, CropBox.Square(1024, 1536, 256)),
    ("640x640 -> 448", 640, 640, new CropBox(0, 0, 640, 640)),
    ("300x300 -> 448 (up)", 300, 300, new CropBox(0, 0, 300, 300)),
};
foreach (var (name, w, h, box) in cases)
{
    using var rendered = SyntheticDataset.Render(w, h, 1);
    var pixels = new byte[w * h * 3];
    rendered.CopyPixelDataTo(MemoryMarshal.Cast<byte, Rgb24>(pixels.AsSpan()));
    using var source = Image.LoadPixelData<Rgb24>(config, pixels, w, h);
    var output = new byte[448 * 448 * 3];
    using var rgb = ImageSharpRoute.Copy(source);

    double ImageSharp()
    {
        // The former SquareResize: crop + resize in place, then copy out. Each rep works on a fresh copy (not timed).
        long ticks = 0;
        for (int i = 0; i < reps; i++)
        {
            using var copy = source.Clone();
            long t = Stopwatch.GetTimestamp();
            copy.Mutate(ctx =>
            {
                if (box.Width != w || box.Height != h) ctx.Crop(new Rectangle(box.Left, box.Upper, box.Width, box.Height));
                ctx.Resize(new ResizeOptions { Size = new Size(448, 448), Sampler = KnownResamplers.Bicubic, Mode = ResizeMode.Stretch });
            });
            copy.CopyPixelDataTo(MemoryMarshal.Cast<byte, Rgb24>(output.AsSpan()));
            ticks += Stopwatch.GetTimestamp() - t;
        }
        return ticks * 1000.0 / Stopwatch.Frequency / reps;
    }

    double Pillow(bool vectorize)
    {
        long t = Stopwatch.GetTimestamp();
        for (int i = 0; i < reps; i++) PillowResampler.Resample(rgb, box, output, 448, 448, vectorize);
        return (Stopwatch.GetTimestamp() - t) * 1000.0 / Stopwatch.Frequency / reps;
    }

    var methods = new (string Name, Func<double> Run)[]
    {
        ("imagesharp", ImageSharp), ("pillow scalar", () => Pillow(false)), ("pillow avx2", () => Pillow(true)),
    };
    var times = methods.ToDictionary(m => m.Name, _ => new List<double>());
    for (int r = 0; r < runs + 1; r++)
        foreach (var (m, run) in methods) // taking turns run by run, so load changes hit all alike
        {
            double ms = run();
            if (r > 0) times[m].Add(ms); // run 0 warms up
        }
    double baseline = Median(times["imagesharp"]);
    foreach (var (m, _) in methods)
        Console.WriteLine($"{name,-30} {m,-14} {Median(times[m]),7:0.000} ms  ({baseline / Median(times[m]):0.00}x imagesharp; " +
            $"runs {string.Join(" ", times[m].Select(x => x.ToString("0.00")))})");
}
return 0;

static double Median(List<double> xs)
{
    var s = xs.OrderBy(x => x).ToList();
    return s[s.Count / 2];
}
