using System.Text.Json;
using System.Text.RegularExpressions;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using VgtData.Preparation;

namespace VgtData.Tests.Preparation;

/// <summary>The synthetic dataset's layout and its determinism per seed (demos, examples and benchmarks compare runs made
/// from it, so the same seed must keep giving the same captions and pixels).</summary>
public sealed class SyntheticDatasetTests
{
    private static readonly Regex CaptionShape = new(
        "^(a red fox|an old lighthouse|a bowl of ramen|a mountain lake|a city street at night|a sleeping cat|a sailboat|a field of sunflowers|a glass teapot|a snowy forest|a vintage car|a hummingbird) " +
        "(in watercolor|as a studio photograph|in soft morning light|as an oil painting|with dramatic shadows|in a minimalist style|seen from above|under a starry sky)" +
        "(, (with mist in the background|surrounded by autumn leaves|reflected in still water|next to a wooden fence|with warm golden tones|in high detail|on a rainy afternoon))?$");

    [Fact]
    public void Captions_AreSubjectStyleAndMostlyADetail_DeterministicPerSeed()
    {
        var captions = Enumerable.Range(0, 2000).Select(i => SyntheticDataset.Caption(i, 3)).ToList();
        Assert.All(captions, c => Assert.Matches(CaptionShape, c));
        Assert.Equal(captions, Enumerable.Range(0, 2000).Select(i => SyntheticDataset.Caption(i, 3)));
        Assert.NotEqual(captions, Enumerable.Range(0, 2000).Select(i => SyntheticDataset.Caption(i, 4)));
        // About 70% carry a detail; every subject, style and detail is drawn.
        double withDetail = captions.Count(c => c.Contains(", ")) / (double)captions.Count;
        Assert.InRange(withDetail, 0.65, 0.75);
        var groups = captions.Select(c => CaptionShape.Match(c)).ToList();
        Assert.Equal(12, groups.Select(m => m.Groups[1].Value).Distinct().Count());
        Assert.Equal(8, groups.Select(m => m.Groups[2].Value).Distinct().Count());
        Assert.Equal(8, groups.Select(m => m.Groups[4].Value).Distinct().Count()); // 7 details and "" for none
    }

    [Fact]
    public void Write_SizesCycled_DataJsonMatchesImages_ExistingImagesKept_NoTemporariesLeft()
    {
        using var t = new TempTree();
        var root = Path.Combine(t.Root, "synthetic");
        Directory.CreateDirectory(Path.Combine(root, "images"));
        File.WriteAllBytes(Path.Combine(root, "images", "000001.png"), [1, 2, 3]); // already there: left alone
        var dataJson = SyntheticDataset.Write(root, 5, [(32, 24), (20, 40)], seed: 9, workers: 2);

        Assert.Equal(Path.Combine(root, "data.json"), dataJson);
        var text = File.ReadAllText(dataJson);
        Assert.StartsWith("[\n  {\n    \"image\": \"images/000000.png\",\n    \"caption\": ", text.ReplaceLineEndings("\n"));
        // Written again over itself: same text, the existing images kept.
        SyntheticDataset.Write(root, 5, [(32, 24), (20, 40)], seed: 9, workers: 1);
        Assert.Equal(text, File.ReadAllText(dataJson));
        // A root with no folders yet.
        var fresh = Path.Combine(t.Container, "fresh");
        SyntheticDataset.Write(fresh, 1, [(8, 8)], seed: 1, workers: 1);
        Assert.True(File.Exists(Path.Combine(fresh, "images", "000000.png")));
        Assert.Equal(
            ["root/synthetic/data.json", "root/synthetic/images/000000.png", "root/synthetic/images/000001.png",
             "root/synthetic/images/000002.png", "root/synthetic/images/000003.png", "root/synthetic/images/000004.png"],
            t.AllFiles().Where(f => !f.StartsWith("fresh/")));
        Assert.Equal([1, 2, 3], File.ReadAllBytes(Path.Combine(root, "images", "000001.png")));
        using var doc = JsonDocument.Parse(File.ReadAllText(dataJson));
        var rows = doc.RootElement.EnumerateArray().ToList();
        Assert.Equal(5, rows.Count);
        for (int i = 0; i < 5; i++)
        {
            var (w, h) = i % 2 == 0 ? (32, 24) : (20, 40);
            Assert.Equal($"images/{i:D6}.png", rows[i].GetProperty("image").GetString());
            Assert.Equal(SyntheticDataset.Caption(i, 9), rows[i].GetProperty("caption").GetString());
            Assert.Equal(w, rows[i].GetProperty("width").GetInt32());
            Assert.Equal(h, rows[i].GetProperty("height").GetInt32());
            Assert.Equal(["image", "caption", "width", "height"], rows[i].EnumerateObject().Select(p => p.Name));
            if (i == 1) continue;
            using var image = Image.Load<Rgb24>(Path.Combine(root, "images", $"{i:D6}.png"));
            using var expected = SyntheticDataset.Render(w, h, 9UL * 1_000_003UL + (ulong)i);
            Assert.Equal((w, h), (image.Width, image.Height));
            Assert.Equal(Pixels(expected), Pixels(image));
        }
    }

    private static byte[] Pixels(Image<Rgb24> image)
    {
        var bytes = new byte[image.Width * image.Height * 3];
        image.CopyPixelDataTo(bytes);
        return bytes;
    }

    [Fact]
    public void Render_IsDeterministic_SmoothWithGrain_AndDiffersBySeed()
    {
        using var a = SyntheticDataset.Render(64, 48, 5);
        using var b = SyntheticDataset.Render(64, 48, 5);
        using var c = SyntheticDataset.Render(64, 48, 6);
        Assert.Equal(Pixels(a), Pixels(b));
        Assert.NotEqual(Pixels(a), Pixels(c));
        var p = Pixels(a);
        // Photo-like: neighbours close (gradient + blobs + grain of at most ±8 levels), yet not flat.
        int maxStep = 0;
        for (int i = 3; i < p.Length; i++) if (i % (64 * 3) >= 3) maxStep = Math.Max(maxStep, Math.Abs(p[i] - p[i - 3]));
        Assert.InRange(maxStep, 2, 40);
        Assert.True(p.Distinct().Count() > 20);
    }

    // Render(8, 6, seed 5) as made when the generator was written; within 2 levels, as MathF.Exp / Sin may round
    // differently on another CPU.
    private const string Render8x6Seed5 =
        "C9ABADAC90A8A675ABA769B79E629DA17068C09D5DC8A58DB2CFCD92BEC89D7EB19547A4913390903178A96072BB858DC1C3BBAFB6C4A877AB963C9892248A88167C8F3089974AA3DEB59CD4A6AAB4769B9D4E939A3C979B3A9D973FA68738B0" +
        "E3B896D4AB98AF8A848F6871936183AC6EAF924DAB7F38B1E0BA93CDB78796A05A658B29789444988D82996BA8884AB7";

    [Fact]
    public void SameSeed_KeepsGivingTheSameCaptionsAndPixels()
    {
        Assert.Equal(
            ["a vintage car as a studio photograph", "a hummingbird as an oil painting", "a mountain lake with dramatic shadows",
             "a snowy forest seen from above, with warm golden tones"],
            Enumerable.Range(0, 4).Select(i => SyntheticDataset.Caption(i, 7)));
        using var image = SyntheticDataset.Render(8, 6, 5);
        var expected = Convert.FromHexString(Render8x6Seed5);
        var actual = Pixels(image);
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= 2, $"byte {i}: {actual[i]}, expected {expected[i]}");
    }
}
