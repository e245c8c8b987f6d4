using System.Runtime.InteropServices;
using System.Text.Json;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using VgtData.Collate;
using VgtData.Datasets;
using VgtData.Images;
using VgtData.Loading;
using VgtData.Preparation;
using VgtData.Sampling;
using VgtData.Tests.Config;
using VgtData.Tests.Fixtures;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace VgtData.Tests.Collate;

/// <summary>
/// <c>train_dataloader.resize_on: device</c> on the CPU device: the same batch as the Pillow-exact path except for the
/// resized pixels, which stay within the bounds the accuracy benchmark measured (benchmarks/ResizeBench --device).
/// </summary>
public sealed class DeviceResizeTests(ITestOutputHelper output) : IDisposable
{
    private const int ImageSize = 64;
    private readonly TestImages _images = new();

    public void Dispose() => _images.Dispose();

    /// <summary>Photo-like images of mixed sizes: downscales from wide, tall and square images and one upscale.</summary>
    private CaptionDatasetOptions PhotoDataset(int count = 24)
    {
        var sizes = new (int W, int H)[] { (200, 150), (120, 200), (160, 160), (48, 48), (97, 130), (256, 192) };
        var entries = new List<object>();
        for (int i = 0; i < count; i++)
        {
            var (w, h) = sizes[i % sizes.Length];
            using var image = SyntheticDataset.Render(w, h, (ulong)i + 1);
            _images.WritePng($"p{i:00}.png", image);
            entries.Add(new { image = $"p{i:00}.png", caption = $"picture {i}" + new string('.', i % 5) });
        }
        _images.WriteManifest("data.json", entries);
        return _images.Options(imageSize: ImageSize) with { Unconditional = 0.3, Seed = 5, Limits = ImageLimits.Default with { MinImageSize = 0 } };
    }

    private static List<Dictionary<string, Tensor>> Batches(CaptionDatasetOptions options, bool device, ScalarType dtype, int count)
    {
        using var dataset = new CaptionDataset(options with { ResizeOnDevice = device });
        var collator = new Collator(new CollateOptions { Seed = 3, ResizeOnDevice = device, DType = dtype });
        var sampler = new InfiniteSampler(dataset.Entries.Count, shuffle: true, seed: 11, rank: 0, worldSize: 1);
        using var loader = new DataLoader(dataset, sampler, collator, new DataLoaderOptions { BatchSize = 8, NumWorkers = 2, MaxBatches = count });
        var list = new List<Dictionary<string, Tensor>>();
        foreach (var batch in loader)
        {
            list.Add(batch.ToDictionary().ToDictionary(kv => kv.Key, kv => kv.Value.clone()));
            batch.Dispose();
        }
        return list;
    }

    /// <summary>pixel_values back to 0..255 levels (the table maps each level to a distinct float).</summary>
    private static byte[] Levels(Tensor pixelValues)
    {
        using var f = pixelValues.to(ScalarType.Float32).contiguous();
        return f.data<float>().ToArray().Select(v => (byte)Math.Round((v + 1f) / 2f * 255f)).ToArray();
    }

    private static (int Max, double Mean) Difference(byte[] a, byte[] b) => PixelDifference.Of(a, b);

    [Theory]
    [InlineData(ScalarType.Float32)]
    [InlineData(ScalarType.BFloat16)]
    public void BatchesMatchTheCpuPathExceptForTheResizedPixels(ScalarType dtype)
    {
        var options = PhotoDataset();
        var cpu = Batches(options, device: false, dtype, count: 3);
        var dev = Batches(options, device: true, dtype, count: 3);
        Assert.Equal(3, dev.Count);
        int max = 0;
        double meanSum = 0;
        for (int b = 0; b < cpu.Count; b++)
        {
            Assert.Equal(cpu[b].Keys.Order(), dev[b].Keys.Order());
            foreach (var key in cpu[b].Keys)
            {
                Assert.Equal(cpu[b][key].shape, dev[b][key].shape);
                Assert.Equal(cpu[b][key].dtype, dev[b][key].dtype);
                Assert.Equal(cpu[b][key].device_type, dev[b][key].device_type);
            }
            Assert.Equal(new long[] { 8, 3, ImageSize, ImageSize }, dev[b]["pixel_values"].shape);
            Assert.Equal(dtype, dev[b]["pixel_values"].dtype);
            Assert.Equal(cpu[b]["input_ids"].data<long>().ToArray(), dev[b]["input_ids"].data<long>().ToArray());
            Assert.Equal(cpu[b]["attention_mask"].data<bool>().ToArray(), dev[b]["attention_mask"].data<bool>().ToArray());
            var (m, mean) = Difference(Levels(cpu[b]["pixel_values"]), Levels(dev[b]["pixel_values"]));
            max = Math.Max(max, m);
            meanSum += mean;
        }
        double meanAll = meanSum / cpu.Count;
        output.WriteLine($"{dtype}: max |diff| {max} levels, mean {meanAll:0.0000}");
        // Measured on these images: max 2 levels (the 48² upscale), mean 0.158, float32 and bfloat16 alike (both paths
        // normalise the same uint8 levels through the same table). The benchmark's photo cases: max 1-3, mean <= 0.21.
        Assert.True(max <= 2, $"max |diff| {max} levels");
        Assert.True(meanAll <= 0.17, $"mean |diff| {meanAll:0.0000} levels");
        Assert.True(meanAll > 0, "the device resize is not Pillow's: some pixel must differ");
        foreach (var batch in cpu.Concat(dev)) foreach (var t in batch.Values) t.Dispose();
    }

    [Fact]
    public void ACropThatIsAlreadyImageSizePassesThroughUnchanged()
    {
        // Square images of image_size, and wide/tall ones whose short side is image_size (their crop is image_size²).
        var entries = new List<object>();
        var sizes = new (int W, int H)[] { (ImageSize, ImageSize), (ImageSize + 30, ImageSize), (ImageSize, ImageSize + 17) };
        for (int i = 0; i < 8; i++)
        {
            var (w, h) = sizes[i % sizes.Length];
            _images.WriteNoisePng($"s{i}.png", w, h, seed: i);
            entries.Add(new { image = $"s{i}.png", caption = $"square {i}" });
        }
        _images.WriteManifest("square.json", entries);
        var options = _images.Options("square.json", ImageSize) with { Seed = 2, Limits = ImageLimits.Default with { MinImageSize = 0 } };
        var cpu = Batches(options, device: false, ScalarType.Float32, count: 2);
        var dev = Batches(options, device: true, ScalarType.Float32, count: 2);
        for (int b = 0; b < cpu.Count; b++)
        {
            using var c = cpu[b]["pixel_values"].contiguous();
            using var d = dev[b]["pixel_values"].contiguous();
            Assert.True(c.bytes.SequenceEqual(d.bytes), $"batch {b}: a crop of image_size must reach pixel_values unchanged");
        }
        foreach (var batch in cpu.Concat(dev)) foreach (var t in batch.Values) t.Dispose();
    }

    [Fact]
    public void GetTensorResizesTheCropWithTheSameOp()
    {
        var options = PhotoDataset(6) with { Unconditional = 0 };
        using var dataset = new CaptionDataset(options with { ResizeOnDevice = true });
        using var sample = dataset.GetSample(0);
        Assert.Null(sample.Pixels);
        Assert.NotNull(sample.Crop);
        Assert.Equal((150, 150), (sample.Crop!.Width, sample.Crop.Height));
        var tensors = dataset.GetTensor(0);
        var collator = new Collator(new CollateOptions { ResizeOnDevice = true });
        using var batch = collator.Collate([sample]);
        using var first = batch.PixelValues![0];
        Assert.Equal(new long[] { 3, ImageSize, ImageSize }, tensors["pixel_values"].shape);
        Assert.True(tensors["pixel_values"].eq(first).all().item<bool>());
        foreach (var t in tensors.Values) t.Dispose();
    }

    [Fact]
    public void ABatchOfAnotherSizeIsRefusedWithItsReason()
    {
        var options = PhotoDataset(2);
        using var dataset = new CaptionDataset(options with { ResizeOnDevice = true });
        using var sample = dataset.GetSample(0);
        var collator = new Collator(new CollateOptions { ResizeOnDevice = true, Resolutions = [(32, 48)] });
        var e = Assert.Throws<VgtDataException>(() => collator.Collate([sample]));
        Assert.Equal("sample 0 (p00.png): resize_on: device resizes to image_size (64x64), but the batch is 48x32; use resize_on: cpu", e.Message);
    }

    [SkippableFact]
    public void GoldenCasesStayWithinTheMeasuredDistanceOfPillow()
    {
        var folder = SharedData.Require("golden/pil-resize");
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "cases.json")));
        var decoder = ImageDecoder.Shared;
        foreach (var c in doc.RootElement.GetProperty("cases").EnumerateArray())
        {
            var name = c.GetProperty("name").GetString()!;
            var src = Path.Combine(folder, c.GetProperty("source").GetString()!);
            int size = c.GetProperty("size").GetInt32();
            using var image = decoder.Decode(File.ReadAllBytes(src), src, ImageLimits.Default with { MinImageSize = 0 });
            var box = c.GetProperty("crop_box").ValueKind == JsonValueKind.Null
                ? new CropBox(0, 0, image.Width, image.Height)
                : new CropBox(c.GetProperty("crop_box")[0].GetInt32(), c.GetProperty("crop_box")[1].GetInt32(),
                    c.GetProperty("crop_box")[2].GetInt32(), c.GetProperty("crop_box")[3].GetInt32());
            using var crop = DeviceResize.Crop(image, box);
            using var resized = DeviceResize.Resize(crop, size, size);
            using var hwc = resized.permute(1, 2, 0).contiguous();
            using var expected = Image.Load<Rgb24>(Path.Combine(folder, c.GetProperty("expected").GetString()!));
            var pillow = new byte[size * size * 3];
            expected.CopyPixelDataTo(MemoryMarshal.Cast<byte, Rgb24>(pillow.AsSpan()));
            var (max, mean) = Difference(hwc.bytes.ToArray(), pillow);
            output.WriteLine($"{name}: max {max}, mean {mean:0.0000}");
            // Measured (benchmarks/ResizeBench --device): photo448 0 (same size), palette512 7 (hard palette edges),
            // photo513 3, the others 1-2; every mean <= 0.206.
            int bound = name switch { "photo448" => 0, "palette512" => 7, _ => 3 };
            Assert.True(max <= bound, $"{name}: max |diff| {max} levels, expected <= {bound}");
            Assert.True(mean <= 0.21, $"{name}: mean |diff| {mean:0.0000} levels");
        }
    }

    [Fact]
    public void AnUnknownResizeOnIsRefusedNamingTheKeyAndTheValues()
    {
        using var dir = new ConfigDir();
        SyntheticDataset.Write(dir.Root, 4, [(96, 96)], seed: 1, workers: 1);
        var config = dir.Write("config.json", """
            { "tokenizer": "embedded:o200k", "image_size": 64,
              "dataset": { "type": "CaptionDataset", "data_path": "data.json", "image_folder": "." },
              "train_dataloader": { "batch_size": 2, "num_workers": 1 } }
            """);
        var (code, stdout, error) = ConfigDir.Cli("config", config, "--set", "train_dataloader.resize_on=gpu");
        Assert.Equal(1, code);
        Assert.Equal("", stdout);
        Assert.Equal("error: --set: train_dataloader.resize_on: expected one of cpu, device; got \"gpu\"", error.Trim());

        var outDir = Path.Combine(dir.Root, "out");
        (code, _, error) = ConfigDir.Cli("sample", config, "--index", "0", "--out", outDir,
            "--set", "train_dataloader.resize_on=device", "--set", "train_dataloader.collate_fn.resolutions=[32,48]");
        Assert.Equal(1, code);
        Assert.Equal("vgtdata sample: error: --set: train_dataloader.resize_on: \"device\" needs every batch at image_size: collate_fn.resolutions asks for " +
            "32x48, but the device resizes each crop to image_size (64x64); use resize_on: cpu", error.Trim());

        (code, _, error) = ConfigDir.Cli("sample", config, "--index", "0", "--out", outDir, "--set", "train_dataloader.resize_on=device");
        Assert.True(code == 0, error);
        // vgtdata sample writes the resized [3, 64, 64] float32 pixel_values (the crop resized on the CPU).
        var npy = File.ReadAllBytes(Path.Combine(outDir, "pixel_values.npy"));
        Assert.Contains("'shape': (3, 64, 64)", System.Text.Encoding.ASCII.GetString(npy, 0, 128));

        var concat = dir.Write("concat.json", """
            { "tokenizer": "embedded:o200k",
              "dataset": { "type": "ConcatDataset", "datasets": [
                { "type": "CaptionDataset", "data_path": "data.json", "image_folder": ".", "image_size": 64 },
                { "type": "CaptionDataset", "data_path": "data.json", "image_folder": ".", "image_size": 32 } ] },
              "train_dataloader": { "batch_size": 2, "num_workers": 1, "resize_on": "device" } }
            """);
        (code, _, error) = ConfigDir.Cli("sample", concat, "--index", "0", "--out", outDir);
        Assert.Equal(1, code);
        Assert.Equal($"vgtdata sample: error: {concat}: train_dataloader.resize_on: \"device\" needs every batch at image_size: the datasets' " +
            "image_size differ (32, 64) and samples would need a second resize to the batch's size; use resize_on: cpu", error.Trim());
    }
}
