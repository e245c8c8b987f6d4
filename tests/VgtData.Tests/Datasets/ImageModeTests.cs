using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using VgtData.Datasets;
using VgtData.Tests.Fixtures;

namespace VgtData.Tests.Datasets;

/// <summary>
/// Every PNG mode must come out as Pillow's <c>convert('RGB')</c> gives it. The image size equals the source size, so
/// crop2square (of a square) and the resize are identities and the bytes can be compared exactly.
/// </summary>
public sealed class ImageModeTests : IDisposable
{
    private const int S = 96;
    private readonly TestImages _dir = new();

    public void Dispose() => _dir.Dispose();

    private byte[] Served(string file)
    {
        _dir.WriteManifest("data.json", [new { image = file, caption = "mode test" }]);
        using var ds = new CaptionDataset(_dir.Options(imageSize: S) with { MaxReplacements = 1 });
        using var s = ds.GetSample(0);
        Assert.Equal((S, S), (s.Pixels!.Width, s.Pixels.Height));
        return s.Pixels.Pixels.ToArray();
    }

    private static void AssertPixels(byte[] actual, Func<int, int, (byte R, byte G, byte B)> expected)
    {
        for (int y = 0; y < S; y++)
        for (int x = 0; x < S; x++)
        {
            int i = (y * S + x) * 3;
            var (r, g, b) = expected(x, y);
            if (actual[i] != r || actual[i + 1] != g || actual[i + 2] != b)
                Assert.Fail($"pixel ({x},{y}) is ({actual[i]},{actual[i + 1]},{actual[i + 2]}), expected ({r},{g},{b})");
        }
    }

    [Fact]
    public void RgbIsUnchanged()
    {
        using (var img = TestImages.Noise(S, S, 4)) _dir.WritePng("rgb.png", img);
        using var reference = TestImages.Noise(S, S, 4);
        Assert.Equal(TestImages.Bytes(reference), Served("rgb.png"));
    }

    [Fact]
    public void GreyBecomesEqualChannels()
    {
        static byte L(int x, int y) => (byte)((x * 3 + y * 5) & 255);
        using (var img = new Image<L8>(S, S))
        {
            for (int y = 0; y < S; y++) for (int x = 0; x < S; x++) img[x, y] = new L8(L(x, y));
            Assert.Equal((0, 8), ToTuple(TestImages.PngHeader(_dir.WritePng("grey.png", img, TestImages.Grey8))));
        }
        AssertPixels(Served("grey.png"), (x, y) => (L(x, y), L(x, y), L(x, y)));
    }

    [Fact]
    public void PaletteGivesThePaletteColours()
    {
        Color[] palette = [Color.FromRgb(10, 20, 30), Color.FromRgb(250, 0, 128), Color.FromRgb(0, 255, 7), Color.FromRgb(77, 77, 200)];
        var rgb = palette.Select(c => c.ToPixel<Rgb24>()).ToArray();
        Rgb24 At(int x, int y) => rgb[(x / 8 + y / 8) % 4];
        using (var img = TestImages.Rgb(S, S, At))
            Assert.Equal((3, 8), ToTuple(TestImages.PngHeader(_dir.WritePng("palette.png", img, TestImages.Palette(palette)))));
        AssertPixels(Served("palette.png"), (x, y) => (At(x, y).R, At(x, y).G, At(x, y).B));
    }

    [Fact]
    public void AlphaIsDroppedNotComposited()
    {
        static Rgba32 At(int x, int y) => new((byte)(x * 2), (byte)(y * 2), (byte)(x + y), (byte)((x * 7 + y) % 256));
        using (var img = new Image<Rgba32>(S, S))
        {
            for (int y = 0; y < S; y++) for (int x = 0; x < S; x++) img[x, y] = At(x, y);
            Assert.Equal((6, 8), ToTuple(TestImages.PngHeader(_dir.WritePng("rgba.png", img, TestImages.Rgba8))));
        }
        AssertPixels(Served("rgba.png"), (x, y) => (At(x, y).R, At(x, y).G, At(x, y).B));
    }

    [Fact]
    public void SixteenBitRgbKeepsTheHighByte()
    {
        // Low bytes 0xFF and 0x80 make the high byte differ from a rounded v / 257.
        static Rgb48 At(int x, int y) => new((ushort)((x << 8) | 0xFF), (ushort)((y << 8) | 0x80), (ushort)(((x + y) << 8) | 0x7F));
        using (var img = new Image<Rgb48>(S, S))
        {
            for (int y = 0; y < S; y++) for (int x = 0; x < S; x++) img[x, y] = At(x, y);
            Assert.Equal((2, 16), ToTuple(TestImages.PngHeader(_dir.WritePng("rgb16.png", img, TestImages.Rgb16))));
        }
        AssertPixels(Served("rgb16.png"), (x, y) => ((byte)x, (byte)y, (byte)(x + y)));
    }

    [Fact]
    public void SixteenBitGreyIsClippedAt255()
    {
        // Pillow opens it as mode "I"; I → RGB clips: 0..255 stay, everything above becomes 255.
        static ushort V(int x, int y) => (ushort)(x < 48 ? x * 5 + y : (x * 677 + y * 31) % 65536);
        using (var img = new Image<L16>(S, S))
        {
            for (int y = 0; y < S; y++) for (int x = 0; x < S; x++) img[x, y] = new L16(V(x, y));
            Assert.Equal((0, 16), ToTuple(TestImages.PngHeader(_dir.WritePng("grey16.png", img, TestImages.Grey16))));
        }
        AssertPixels(Served("grey16.png"), (x, y) =>
        {
            byte v = (byte)Math.Min((int)V(x, y), 255);
            return (v, v, v);
        });
    }

    private static (int, int) ToTuple((byte ColorType, byte BitDepth) h) => (h.ColorType, h.BitDepth);
}
