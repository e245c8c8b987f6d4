using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using VgtData.Datasets;
using VgtData.Images;
using VgtData.Tests.Fixtures;

namespace VgtData.Tests.Datasets;

/// <summary>
/// crop2square draws its offset uniformly from [0, long − short]: over many epochs (fixed seed, so the outcome is fixed)
/// every offset is drawn, the first and the last included, each near its share.
/// </summary>
public sealed class CropOffsetTests : IDisposable
{
    private readonly TestImages _dir = new();

    public void Dispose() => _dir.Dispose();

    [Theory]
    [InlineData(87, 81)]
    [InlineData(81, 90)]
    public void EveryOffsetIsDrawnTheFirstAndTheLastIncluded(int width, int height)
    {
        const int epochs = 240;
        // Every column and row has its own colour, so each offset gives different pixels.
        using (var image = TestImages.Rgb(width, height, (x, y) => new Rgb24((byte)(x * 3), (byte)(y * 3), 77)))
            _dir.WritePng("strip.png", image);
        _dir.WriteManifest("data.json", [new { image = "strip.png", caption = "a strip" }]);
        using var source = Image.Load<Rgb24>(_dir.PathOf("strip.png"));
        int range = Math.Abs(width - height);
        int side = Math.Min(width, height); // served at its own size (the dataset refuses sides under 80 px)
        // The pixels each offset gives, cropped and resized the way the dataset does it.
        var byOffset = Enumerable.Range(0, range + 1).Select(o =>
        {
            var bytes = new byte[side * side * 3];
            PillowResampler.Resample(ImageSharpRoute.Copy(source), CropBox.Square(width, height, o), bytes, side, side);
            return bytes;
        }).ToArray();
        Assert.Equal(range + 1, byOffset.Select(Convert.ToHexString).Distinct().Count());

        using var ds = new CaptionDataset(_dir.Options(imageSize: side) with { Seed = 1234 });
        var counts = new int[range + 1];
        for (int epoch = 0; epoch < epochs; epoch++)
        {
            using var sample = ds.GetSample(0, epoch);
            var pixels = sample.Pixels!.Pixels.ToArray();
            int offset = Array.FindIndex(byOffset, b => b.AsSpan().SequenceEqual(pixels));
            Assert.True(offset >= 0, $"epoch {epoch}: the pixels match no square crop offset");
            counts[offset]++;
        }
        Assert.True(counts[0] > 0, "offset 0 was never drawn");
        Assert.True(counts[range] > 0, $"the last offset ({range}) was never drawn");
        // Uniform: each of the range + 1 offsets expects epochs / (range + 1) draws; allow a wide margin.
        double expected = (double)epochs / (range + 1);
        Assert.All(counts, c => Assert.InRange(c, expected * 0.4, expected * 1.6));
    }
}
