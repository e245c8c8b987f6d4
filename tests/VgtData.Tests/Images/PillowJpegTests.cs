using System.Runtime.InteropServices;
using System.Text.Json;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using VgtData.Cli;
using VgtData.Datasets;
using VgtData.Images;
using VgtData.Tests.Fixtures;

namespace VgtData.Tests.Images;

/// <summary>JPEG decoding against Pillow 9.4's <c>Image.open(f).convert('RGB')</c> (../shared/golden/pil-jpeg): every byte,
/// through each libjpeg-turbo route (TurboJPEG, libvips), and through the dataset and <c>vgtdata sample</c> for square sources.</summary>
public sealed class PillowJpegTests : IDisposable
{
    private readonly TestImages _dir = new();

    public void Dispose() => _dir.Dispose();

    public static IEnumerable<object[]> Cases()
    {
        foreach (var name in new[] { "baseline420_q90", "baseline444_q95", "baseline422_q85", "progressive420", "gray_q90", "cmyk_q90",
                     "exif_rotated6", "icc_srgb", "odd_size", "optimized_q70", "small_96" })
            foreach (var route in JpegRoute.Names)
                yield return [name, route];
    }

    public static IEnumerable<object[]> SquareCases() =>
        new[] { "baseline420_q90", "baseline444_q95", "progressive420", "gray_q90", "cmyk_q90", "icc_srgb", "optimized_q70", "small_96" }
            .Select(n => new object[] { n });

    private static JsonElement Case(string name, out string folder)
    {
        folder = SharedData.Require("golden/pil-jpeg/cases.json");
        folder = Path.GetDirectoryName(folder)!;
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "cases.json")));
        return doc.RootElement.GetProperty("cases").EnumerateArray().Single(e => e.GetProperty("name").GetString() == name).Clone();
    }


    private static byte[] PngPixels(string path, out int width, out int height)
    {
        using var png = Image.Load<Rgb24>(path);
        width = png.Width;
        height = png.Height;
        var bytes = new byte[width * height * 3];
        png.CopyPixelDataTo(MemoryMarshal.Cast<byte, Rgb24>(bytes.AsSpan()));
        return bytes;
    }

    private static byte[] Pixels(RgbImage image) => image.Pixels.ToArray();

    private static byte[] Pixels(Image<Rgb24> image)
    {
        var bytes = new byte[image.Width * image.Height * 3];
        image.CopyPixelDataTo(MemoryMarshal.Cast<byte, Rgb24>(bytes.AsSpan()));
        return bytes;
    }

    private static void AssertSameBytes(byte[] expected, byte[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        int differing = 0, max = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            int d = Math.Abs(expected[i] - actual[i]);
            if (d != 0) differing++;
            max = Math.Max(max, d);
        }
        Assert.True(differing == 0, $"{what}: {differing} of {expected.Length} values differ from Pillow's (max {max})");
    }

    [SkippableTheory]
    [MemberData(nameof(Cases))]
    public void DecodesLikePillow(string name, string route)
    {
        Skip.IfNot(LibjpegTurboDecoder.IsAvailable, $"libvips is not available: {LibjpegTurboDecoder.UnavailableReason}");
        using var _ = JpegRoute.Use(route);
        var c = Case(name, out var folder);
        var src = Path.Combine(folder, c.GetProperty("source").GetString()!);
        var expected = PngPixels(Path.Combine(folder, c.GetProperty("decoded").GetString()!), out int w, out int h);
        var bytes = File.ReadAllBytes(src);
        var d = ImageDecoder.Shared;

        Assert.Equal((w, h), d.ReadSize(bytes, src));
        using (var image = d.Decode(bytes, src, ImageLimits.Default))
        {
            Assert.Equal((w, h), (image.Width, image.Height));
            AssertSameBytes(expected, Pixels(image), $"{name} ({route})");
        }

        // A crop that ends halfway down gets at least those rows, still Pillow's bytes.
        int rows = h / 2 + 3;
        using var top = d.Decode(bytes, src, ImageLimits.Default, rows);
        Assert.Equal(w, top.Width);
        Assert.InRange(top.Height, rows, h);
        var mine = Pixels(top);
        AssertSameBytes(expected.AsSpan(0, w * rows * 3).ToArray(), mine.AsSpan(0, w * rows * 3).ToArray(), $"{name} ({route}, {rows} rows)");
    }

    [SkippableTheory]
    [MemberData(nameof(SquareCases))]
    public void DatasetGivesPillowsResizedPixels(string name)
    {
        Skip.IfNot(LibjpegTurboDecoder.IsAvailable, $"libvips is not available: {LibjpegTurboDecoder.UnavailableReason}");
        var c = Case(name, out var folder);
        var expected = PngPixels(Path.Combine(folder, c.GetProperty("resized_448").GetString()!), out int w, out int h);
        Assert.Equal((448, 448), (w, h));
        _dir.WriteBytes("image.jpg", File.ReadAllBytes(Path.Combine(folder, c.GetProperty("source").GetString()!)));
        _dir.WriteManifest("data.json", [new { image = "image.jpg", caption = "a photo" }]);

        using var dataset = new CaptionDataset(_dir.Options(imageSize: 448));
        using var sample = dataset.GetSample(0);
        AssertSameBytes(expected, sample.Pixels!.Pixels.ToArray(), $"{name} through CaptionDataset (fast)");
    }

    [SkippableTheory]
    [MemberData(nameof(SquareCases))]
    public void SampleCommandWritesPillowsPixelValues(string name)
    {
        Skip.IfNot(LibjpegTurboDecoder.IsAvailable, $"libvips is not available: {LibjpegTurboDecoder.UnavailableReason}");
        var c = Case(name, out var folder);
        var expected = PngPixels(Path.Combine(folder, c.GetProperty("resized_448").GetString()!), out _, out _);
        _dir.WriteBytes("image.jpg", File.ReadAllBytes(Path.Combine(folder, c.GetProperty("source").GetString()!)));
        _dir.WriteManifest("data.json", [new { image = "image.jpg", caption = "a photo" }]);
        var config = _dir.WriteText("config.json", """
            { "prompt_template": "qwen25vl", "tokenizer": "embedded:o200k", "image_size": 448, "pad_index": 0, "seed": 1,
              "dataset": { "type": "CaptionDataset", "data_path": "data.json", "image_folder": ".", "unconditional": 0 } }
            """);
        var outDir = _dir.PathOf("out");
        var err = new StringWriter();
        int code = Program.Run(["sample", config, "--index", "0", "--out", outDir],
            new CliContext { Out = new StringWriter(), Error = err, In = new StringReader(""), IsTerminal = false });
        Assert.True(code == 0, err.ToString());

        var npy = File.ReadAllBytes(Path.Combine(outDir, "pixel_values.npy"));
        int headerLength = BitConverter.ToUInt16(npy, 8);
        Assert.Contains("'shape': (3, 448, 448)", System.Text.Encoding.ASCII.GetString(npy, 10, headerLength));
        var values = new float[3 * 448 * 448];
        Buffer.BlockCopy(npy, 10 + headerLength, values, 0, values.Length * 4);
        var want = new float[values.Length];
        PixelValues.ToChw(expected, want, 448, 448);
        int differing = 0;
        for (int i = 0; i < want.Length; i++) if (want[i] != values[i]) differing++;
        Assert.True(differing == 0, $"{name}: {differing} of {want.Length} pixel values differ from Pillow's resize");
    }
}
