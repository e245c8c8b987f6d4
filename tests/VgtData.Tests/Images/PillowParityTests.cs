using System.Text.Json;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using VgtData.Images;
using Xunit.Abstractions;

namespace VgtData.Tests.Images;

public class PillowParityTests(ITestOutputHelper output)
{
    public static IEnumerable<object[]> Cases()
    {
        // The case list is read lazily in the test so that a missing ../shared skips instead of failing discovery.
        foreach (var name in new[] { "photo1024", "photo640", "photo513", "photo448", "photo300_up", "gray777", "rgba600",
                     "palette512", "rect1024x768_x100", "photo1024_to256" })
            yield return [name];
    }

    [SkippableTheory]
    [MemberData(nameof(Cases))]
    public void MatchesPillowResize(string name)
    {
        var folder = SharedData.Require("golden/pil-resize");
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "cases.json")));
        var c = doc.RootElement.GetProperty("cases").EnumerateArray().Single(e => e.GetProperty("name").GetString() == name);
        var src = Path.Combine(folder, c.GetProperty("source").GetString()!);
        int size = c.GetProperty("size").GetInt32();

        var bytes = File.ReadAllBytes(src);
        using var image = ImageDecoder.Shared.Decode(bytes, src, ImageLimits.Default with { MinImageSize = 0 });
        var box = c.GetProperty("crop_box").ValueKind == JsonValueKind.Null
            ? new CropBox(0, 0, image.Width, image.Height)
            : ReadBox(c.GetProperty("crop_box"));
        using var ours = SquareResize.Apply(image, box, size, size);

        using var expected = Image.Load<Rgb24>(Path.Combine(folder, c.GetProperty("expected").GetString()!));
        Assert.Equal(size, expected.Width);
        var theirs = new byte[size * size * 3];
        expected.CopyPixelDataTo(System.Runtime.InteropServices.MemoryMarshal.Cast<byte, Rgb24>(theirs.AsSpan()));

        long sum = 0;
        int max = 0;
        var mine = ours.Pixels;
        for (int i = 0; i < theirs.Length; i++)
        {
            int d = Math.Abs(mine[i] - theirs[i]);
            sum += d;
            max = Math.Max(max, d);
        }
        double mean = (double)sum / theirs.Length;
        output.WriteLine($"{name}: mean |diff| {mean:0.000}/255, max {max}/255");
        // PillowResampler reproduces Pillow's fixed-point bicubic: every byte must match.
        Assert.True(max == 0, $"{name}: max |diff| {max}/255, mean {mean:0.000}/255; Pillow's bytes expected exactly");
    }

    private static CropBox ReadBox(JsonElement e)
    {
        var v = e.EnumerateArray().Select(x => x.GetInt32()).ToArray();
        return new CropBox(v[0], v[1], v[2], v[3]);
    }
}
