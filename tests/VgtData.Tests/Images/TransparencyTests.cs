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
            yield return [f[0], int.Parse(f[1]), int.Parse(f[2])];
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void TransparentPixelsKeepTheirColourAsPillowConvertsThem(string file, int width, int height)
    {
        var path = Path.Combine(Folder, file);
        var expected = File.ReadAllBytes(Path.ChangeExtension(path, ".rgb"));
        var bytes = File.ReadAllBytes(path);
        var d = ImageDecoder.Shared;
        Assert.Equal((width, height), d.ReadSize(bytes, path));
        using var image = d.Decode(bytes, path, ImageLimits.Default with { MinImageSize = 0 });
        Assert.Equal((width, height), (image.Width, image.Height));
        var actual = image.Pixels.ToArray();
        int differing = 0;
        for (int i = 0; i < actual.Length; i++) if (actual[i] != expected[i]) differing++;
        Assert.True(differing == 0, $"{file}: {differing} of {actual.Length} values differ from Pillow's convert('RGB')");
    }

    [Fact]
    public void FixturesHaveTransparentPixelsThatAreNotBlack()
    {
        // Guards the fixtures themselves: a transparent entry whose colour is black would make the tests above vacuous.
        var expected = File.ReadAllBytes(Path.Combine(Folder, "trns0.rgb"));
        Assert.Equal((200, 30, 40), (expected[0], expected[1], expected[2]));
    }
}

/// <summary>GIF image data that stops early, against what Pillow 9.4 does with the same bytes.</summary>
public sealed class GifDataEndTests
{
    // A 2-entry palette (black, white), one frame of w×h at (0, 0), LZW code size 2, one data sub-block.
    private static byte[] Gif(int width, int height, params byte[] lzw) =>
        [.. "GIF89a"u8, (byte)width, 0, (byte)height, 0, 0x80, 0, 0, 0, 0, 0, 255, 255, 255,
         (byte)',', 0, 0, 0, 0, (byte)width, 0, (byte)height, 0, 0, 2, (byte)lzw.Length, .. lzw, 0, (byte)';'];

    [Theory]
    [InlineData(1, 1, new byte[] { 0x4C, 0x01 })]   // clear, 1, end: exactly one pixel
    [InlineData(1, 1, new byte[] { 0x0C })]         // clear, 1 and no end code, but the frame is full
    public void FullFrameDecodes(int width, int height, byte[] lzw)
    {
        using var image = ImageDecoder.Shared.Decode(Gif(width, height, lzw), "ok.gif", ImageLimits.Default with { MinImageSize = 0 });
        Assert.Equal([255, 255, 255], image.Pixels[..3].ToArray());
    }

    [Theory]
    [InlineData(2, 1, new byte[] { 0x4C, 0x01 })]   // end code after 1 of 2 pixels: Pillow "image file is truncated"
    [InlineData(3, 1, new byte[] { 0x0C })]         // data runs out after 1 of 3 pixels: likewise
    public void FrameDataEndingEarlyIsTruncated(int width, int height, byte[] lzw)
    {
        var e = Assert.Throws<SampleException>(() => ImageDecoder.Shared.Decode(Gif(width, height, lzw), "short.gif", ImageLimits.Default with { MinImageSize = 0 }));
        Assert.Equal(SampleFailureReason.Truncated, e.Reason);
        Assert.Contains($"after 1 of {width * height} pixels", e.Detail);
    }
}
