using System.Runtime.InteropServices;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using VgtData.Datasets;
using VgtData.Images;
using VgtData.Tests.Fixtures;

namespace VgtData.Tests.Images;

/// <summary>JPEG draft mode against Pillow 9.4: <c>Image.open(f)</c>, <c>draft('RGB', (S, S))</c>, <c>convert('RGB')</c>,
/// crop, bicubic resize, every byte. Cases and Pillow's images are small committed files (JpegDraft/make_cases.py).</summary>
public sealed class JpegDraftTests : IDisposable
{
    private static readonly string Folder = Path.Combine(SharedData.RepoRoot, "tests", "VgtData.Tests", "Images", "JpegDraft");
    private readonly TestImages _dir = new();

    public void Dispose() => _dir.Dispose();

    // cases.txt: name, requested size S, crop offset along the long side, Pillow's drafted width and height.
    public static IEnumerable<object[]> Cases() =>
        File.ReadAllLines(Path.Combine(Folder, "cases.txt")).Where(l => l.Length > 0).Select(l => l.Split(' '))
            .SelectMany(f => JpegRoute.Names.Select(r =>
                new object[] { f[0], int.Parse(f[1]), int.Parse(f[2]), int.Parse(f[3]), int.Parse(f[4]), r }));

    private static byte[] Pixels(RgbImage image) => image.Pixels.ToArray();

    private static byte[] Pixels(Image<Rgb24> image)
    {
        var bytes = new byte[image.Width * image.Height * 3];
        image.CopyPixelDataTo(MemoryMarshal.Cast<byte, Rgb24>(bytes.AsSpan()));
        return bytes;
    }

    private static void AssertSame(byte[] expected, ReadOnlySpan<byte> actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        int differing = 0;
        for (int i = 0; i < expected.Length; i++) if (expected[i] != actual[i]) differing++;
        Assert.True(differing == 0, $"{what}: {differing} of {expected.Length} values differ from Pillow's");
    }

    [SkippableTheory]
    [MemberData(nameof(Cases))]
    public void DraftCropAndResizeMatchPillow(string name, int size, int offset, int draftWidth, int draftHeight, string route)
    {
        Skip.IfNot(LibjpegTurboDecoder.IsAvailable, $"libvips is not available: {LibjpegTurboDecoder.UnavailableReason}");
        using var _ = JpegRoute.Use(route);
        var jpg = Path.Combine(Folder, name + ".jpg");
        var bytes = File.ReadAllBytes(jpg);
        var d = ImageDecoder.Shared;
        var limits = ImageLimits.Default with { MinImageSize = 0 };

        Assert.Equal((draftWidth, draftHeight), d.ReadDraftSize(bytes, jpg, size, size));
        using var drafted = d.DecodeDraft(bytes, jpg, limits, size, size, int.MaxValue);
        Assert.Equal((draftWidth, draftHeight), (drafted.Width, drafted.Height));
        using (var pillowDraft = Image.Load<Rgb24>(Path.Combine(Folder, name + ".draft.png")))
            AssertSame(Pixels(pillowDraft), Pixels(drafted), $"{name} draft ({route})");

        var box = CropBox.Square(draftWidth, draftHeight, offset);
        using var top = d.DecodeDraft(bytes, jpg, limits, size, size, box.Lower);   // only the rows the crop needs
        Assert.InRange(top.Height, box.Lower, draftHeight);
        using var resized = SquareResize.Apply(top, box, size, size);
        using var pillow = Image.Load<Rgb24>(Path.Combine(Folder, $"{name}.{size}.png"));
        AssertSame(Pixels(pillow), resized.Pixels, $"{name} draft + crop + resize ({route})");
    }

    [SkippableFact]
    public void DatasetWithJpegDraftGivesPillowsPixels()
    {
        Skip.IfNot(LibjpegTurboDecoder.IsAvailable, $"libvips is not available: {LibjpegTurboDecoder.UnavailableReason}");
        // square420 drafts to a square, so the crop is the whole image whatever the dataset draws.
        _dir.WriteBytes("a.jpg", File.ReadAllBytes(Path.Combine(Folder, "square420.jpg")));
        _dir.WriteManifest("data.json", [new { image = "a.jpg", caption = "a" }]);
        using var drafted = new CaptionDataset(_dir.Options(imageSize: 40) with { JpegDraft = true });
        using var sample = drafted.GetSample(0);
        using var pillow = Image.Load<Rgb24>(Path.Combine(Folder, "square420.40.png"));
        AssertSame(Pixels(pillow), sample.Pixels!.Pixels, "square420 through CaptionDataset with JpegDraft");

        // Without draft mode the same file decodes at full size, and the resize then differs.
        using var plain = new CaptionDataset(_dir.Options(imageSize: 40));
        using var full = plain.GetSample(0);
        Assert.NotEqual(Pixels(pillow), full.Pixels!.Pixels.ToArray());
    }

    [Theory]
    [InlineData(1024, 768, 448, 1)]
    [InlineData(1024, 1024, 448, 2)]
    [InlineData(4000, 3000, 448, 4)]
    [InlineData(4000, 3000, 300, 8)]
    [InlineData(511, 509, 64, 4)]
    [InlineData(100, 100, 448, 1)]
    public void DraftScaleIsPillowsRule(int width, int height, int size, int scale) =>
        Assert.Equal(scale, LibjpegTurboDecoder.DraftScale(width, height, size, size));
}
