// --device mode: train_dataloader.resize_on: device against the Pillow-exact CPU resize. For each case it prints the
// max and mean |difference| in 0..255 levels between the torch resize (on the CPU device here, one torch thread) and
// Pillow's output, then the worker's resize-stage CPU time (Pillow resize vs crop copy) and the collate step's CPU time
// per sample (BatchBuilder.Put + Finish of a one-sample batch, CPU path vs device path), medians over --runs of the
// calling thread's CPU time (Linux clock_gettime), which a loaded machine does not inflate.
// Usage: dotnet run -c Release --project benchmarks/ResizeBench -- --device [--runs R] [--shared DIR]
using System.Runtime.InteropServices;
using System.Text.Json;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using VgtData.Collate;
using VgtData.Datasets;
using VgtData.Images;
using VgtData.Preparation;
using static TorchSharp.torch;

internal static class DeviceResizeBench
{
    private sealed record Case(string Name, RgbImage Image, CropBox Box, int Size, byte[] Pillow, string Origin);

    public static int Run(string[] args)
    {
        int runs = 7;
        string shared = Path.Combine("..", "shared");
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--device": break;
                case "--runs": runs = int.Parse(args[++i]); break;
                case "--shared": shared = args[++i]; break;
                default: Console.Error.WriteLine($"unknown argument {args[i]}"); return 2;
            }
        }
        set_num_threads(1);
        Console.WriteLine($"resize_on: device (torch bicubic, antialias, on cpu, 1 torch thread) vs Pillow-exact; median thread CPU time of {runs} runs; " +
            $"{Environment.ProcessorCount} logical CPUs");
        var cases = Generated().Concat(Golden(Path.Combine(shared, "golden", "pil-resize"))).ToList();
        Console.WriteLine($"{"case",-34} {"origin",-9} {"max",4} {"mean",7} {"≠",7}  {"worker: pillow",15} {"crop copy",10}  {"collate: cpu",13} {"device",8}");
        long totalSum = 0, totalCount = 0;
        int totalMax = 0;
        double savedSum = 0, extraSum = 0;
        foreach (var c in cases)
        {
            using var crop = DeviceResize.Crop(c.Image, c.Box);
            using var resized = DeviceResize.Resize(crop, c.Size, c.Size);
            using var hwc = resized.permute(1, 2, 0).contiguous();
            var device = hwc.bytes.ToArray();
            long sum = 0, differ = 0;
            int max = 0;
            for (int i = 0; i < device.Length; i++)
            {
                int d = Math.Abs(device[i] - c.Pillow[i]);
                sum += d;
                if (d != 0) differ++;
                max = Math.Max(max, d);
            }
            totalSum += sum;
            totalCount += device.Length;
            totalMax = Math.Max(totalMax, max);

            var output = new byte[c.Size * c.Size * 3];
            double pillow = Median(runs, () => PillowResampler.Resample(c.Image, c.Box, output, c.Size, c.Size));
            double copy = Median(runs, () => DeviceResize.Crop(c.Image, c.Box).Dispose());
            var cpuCollator = new Collator(new CollateOptions());
            var deviceCollator = new Collator(new CollateOptions { ResizeOnDevice = true });
            using var pixels = new RgbImage(c.Size, c.Size);
            c.Pillow.CopyTo(pixels.Pixels);
            double cpuCollate = Median(runs, () => CollateOne(cpuCollator, Sample(pixels: pixels), c.Size));
            double deviceCollate = Median(runs, () => CollateOne(deviceCollator, Sample(crop: crop, resizeTo: c.Size), c.Size));
            savedSum += pillow - copy;
            extraSum += deviceCollate - cpuCollate;
            Console.WriteLine($"{c.Name,-34} {c.Origin,-9} {max,4} {(double)sum / device.Length,7:0.0000} {(double)differ / device.Length,7:0.0%}  " +
                $"{pillow,12:0.000} ms {copy,7:0.000} ms  {cpuCollate,10:0.000} ms {deviceCollate,5:0.000} ms");
        }
        Console.WriteLine($"all {cases.Count} cases: max |diff| {totalMax} levels, mean |diff| {(double)totalSum / totalCount:0.0000} levels; " +
            $"per sample the worker saves {savedSum / cases.Count:0.000} ms of resize and the collate step spends {extraSum / cases.Count:0.000} ms more");
        foreach (var c in cases) c.Image.Dispose();
        return 0;
    }

    // A sample as CaptionDataset makes it; the pixels or crop stay owned by the caller (not disposed with the sample).
    private static CaptionSample Sample(RgbImage? pixels = null, RgbImage? crop = null, int resizeTo = 0) => new()
    {
        Index = 0, SourceIndex = 0, ImageFile = "bench", Caption = "bench", Cfg = false, InputIds = [1, 2, 3],
        Pixels = pixels, Crop = crop, CropResizeTo = resizeTo,
    };

    private static void CollateOne(Collator collator, CaptionSample sample, int size)
    {
        using var builder = collator.Begin(0, 1, (size, size));
        builder.Put(0, sample);
        using var batch = builder.Finish();
    }

    /// <summary>Median milliseconds of this thread's CPU time (torch runs inline with one thread), so a busy machine
    /// slows the run but does not inflate the numbers.</summary>
    private static double Median(int runs, Action run)
    {
        run(); // warm-up
        var times = new List<double>();
        for (int r = 0; r < runs; r++)
        {
            double t = ThreadCpuMs();
            run();
            times.Add(ThreadCpuMs() - t);
        }
        times.Sort();
        return times[times.Count / 2];
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct Timespec { public long Seconds, Nanoseconds; }

    [DllImport("libc", EntryPoint = "clock_gettime")]
    private static extern int ClockGetTime(int clock, out Timespec time);

    private static double ThreadCpuMs()
    {
        const int ThreadCpuTimeClock = 3; // CLOCK_THREAD_CPUTIME_ID
        if (ClockGetTime(ThreadCpuTimeClock, out var t) != 0) throw new InvalidOperationException("clock_gettime failed");
        return t.Seconds * 1e3 + t.Nanoseconds / 1e6;
    }

    private static IEnumerable<Case> Generated()
    {
        var shapes = new (string Name, int W, int H, int Offset, int Size)[]
        {
            ("photo 1024x1024 -> 448", 1024, 1024, 0, 448),
            ("photo 1024x1536 crop -> 448", 1024, 1536, 256, 448),
            ("photo 1536x1024 crop -> 448", 1536, 1024, 511, 448),
            ("photo 2048x2048 -> 448", 2048, 2048, 0, 448),
            ("photo 640x640 -> 448", 640, 640, 0, 448),
            ("photo 513x513 -> 448", 513, 513, 0, 448),
            ("photo 448x448 -> 448 (same)", 448, 448, 0, 448),
            ("photo 300x300 -> 448 (up)", 300, 300, 0, 448),
            ("photo 1024x1024 -> 256", 1024, 1024, 0, 256),
        };
        ulong seed = 1;
        foreach (var (name, w, h, offset, size) in shapes)
        {
            using var rendered = SyntheticDataset.Render(w, h, seed++);
            var image = ImageSharpRoute.Copy(rendered);
            var box = CropBox.Square(w, h, offset);
            yield return new Case(name, image, box, size, PillowBytes(image, box, size), "generated");
        }
        // Per-pixel noise: the worst case for any two resamplers (every output sums large, independent taps).
        var random = new Random(7);
        var noise = new byte[600 * 600 * 3];
        random.NextBytes(noise);
        var noisy = new RgbImage(600, 600);
        noise.CopyTo(noisy.Pixels);
        yield return new Case("noise 600x600 -> 448", noisy, new CropBox(0, 0, 600, 600), 448, PillowBytes(noisy, new CropBox(0, 0, 600, 600), 448), "generated");
    }

    private static byte[] PillowBytes(RgbImage image, CropBox box, int size)
    {
        var output = new byte[size * size * 3];
        PillowResampler.Resample(image, box, output, size, size);
        return output;
    }

    /// <summary>../shared/golden/pil-resize: Pillow 9.4's own output is the reference (the CPU path equals it).</summary>
    private static IEnumerable<Case> Golden(string folder)
    {
        var index = Path.Combine(folder, "cases.json");
        if (!File.Exists(index))
        {
            Console.WriteLine($"({index} is absent: golden cases not run)");
            yield break;
        }
        using var doc = JsonDocument.Parse(File.ReadAllText(index));
        var decoder = ImageDecoder.Shared;
        foreach (var c in doc.RootElement.GetProperty("cases").EnumerateArray())
        {
            var src = Path.Combine(folder, c.GetProperty("source").GetString()!);
            int size = c.GetProperty("size").GetInt32();
            var image = decoder.Decode(File.ReadAllBytes(src), src, ImageLimits.Default with { MinImageSize = 0 });
            var box = c.GetProperty("crop_box").ValueKind == JsonValueKind.Null
                ? new CropBox(0, 0, image.Width, image.Height)
                : new CropBox(c.GetProperty("crop_box")[0].GetInt32(), c.GetProperty("crop_box")[1].GetInt32(),
                    c.GetProperty("crop_box")[2].GetInt32(), c.GetProperty("crop_box")[3].GetInt32());
            using var expected = Image.Load<Rgb24>(Path.Combine(folder, c.GetProperty("expected").GetString()!));
            var pillow = new byte[size * size * 3];
            expected.CopyPixelDataTo(MemoryMarshal.Cast<byte, Rgb24>(pillow.AsSpan()));
            yield return new Case($"{c.GetProperty("name").GetString()} ({c.GetProperty("mode").GetString()})", image, box, size, pillow, "pil-resize");
        }
    }
}
