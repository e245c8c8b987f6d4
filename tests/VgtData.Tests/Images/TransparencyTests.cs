using System.Runtime.InteropServices;
using SixLabors.ImageSharp.PixelFormats;
using VgtData.Images;

namespace VgtData.Tests.Images;

/// <summary>Transparent palette, GIF, colour-key and RGBA pixels as Pillow 9.4's <c>convert('RGB')</c> gives them: the stored
/// colour, never black. Fixtures and Pillow's bytes are tiny committed files beside this test (Transparency/make_fixtures.py).</summary>
public sealed class TransparencyTests
{
    private static readonly string Folder = Path.Combine(SharedData.RepoRoot, "tests", "VgtData.Tests", "Images", "Transparency");

    public static IEnumerable<object[]> Cases()
    {
        // cases.txt: file, Pillow's width and height (a GIF's canvas grows to hold its frame).
        foreach (var line in File.ReadAllLines(Path.Combine(Folder, "cases.txt")).Where(l => l.Length > 0))
        {
            var f = line.Split(' ');
            foreach (var decoder in ImageDecoders.Names)
                yield return [f[0], int.Parse(f[1]), int.Parse(f[2]), decoder];
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void TransparentPixelsKeepTheirColourAsPillowConvertsThem(string file, int width, int height, string decoder)
    {
        var path = Path.Combine(Folder, file);
        var expected = File.ReadAllBytes(Path.ChangeExtension(path, ".rgb"));
        var bytes = File.ReadAllBytes(path);
        var d = ImageDecoders.Create(decoder);
        Assert.Equal((width, height), d.ReadSize(bytes, path));
        using var image = d.Decode(bytes, path, ImageLimits.Default with { MinImageSize = 0 });
        Assert.Equal((width, height), (image.Width, image.Height));
        var actual = new byte[width * height * 3];
        image.CopyPixelDataTo(MemoryMarshal.Cast<byte, Rgb24>(actual.AsSpan()));
        int differing = 0;
        for (int i = 0; i < actual.Length; i++) if (actual[i] != expected[i]) differing++;
        Assert.True(differing == 0, $"{file} ({decoder}): {differing} of {actual.Length} values differ from Pillow's convert('RGB')");
    }

    [Fact]
    public void FixturesHaveTransparentPixelsThatAreNotBlack()
    {
        // Guards the fixtures themselves: a transparent entry whose colour is black would make the tests above vacuous.
        var expected = File.ReadAllBytes(Path.Combine(Folder, "trns0.rgb"));
        Assert.Equal((200, 30, 40), (expected[0], expected[1], expected[2]));
    }
}
