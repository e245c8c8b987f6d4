using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;
using TorchSharp;
using VgtData.Datasets;
using VgtData.Images;
using VgtData.Tests.Fixtures;
using static TorchSharp.torch;

namespace VgtData.Tests.Datasets;

public sealed class CaptionDatasetTests : IDisposable
{
    private readonly TestImages _dir = new();

    public void Dispose() => _dir.Dispose();

    private static long[] Ids(Tensor t) => t.data<long>().ToArray();

    [Fact]
    public void GetTensorGivesPixelValuesAndInputIds()
    {
        _dir.WriteDataset(2);
        using var ds = new CaptionDataset(_dir.Options());
        var d = ds.GetTensor(1);
        using var pixels = d["pixel_values"];
        using var ids = d["input_ids"];
        Assert.Equal(ScalarType.Float32, pixels.dtype);
        Assert.Equal(new long[] { 3, 16, 16 }, pixels.shape);
        Assert.True(pixels.min().item<float>() >= -1f && pixels.max().item<float>() <= 1f);
        Assert.Equal(ScalarType.Int64, ids.dtype);
        Assert.Equal(1, ids.dim());
        Assert.Equal(TestImages.Text.Tokenize("picture number 1 of a blue thing", cfg: false), Ids(ids));
    }

    [Fact]
    public void PixelValuesAreTheResizedBytesNormalisedExactly()
    {
        _dir.WriteDataset(1);
        using var ds = new CaptionDataset(_dir.Options());
        using var sample = ds.GetSample(0);

        // The resize on its own: Pillow's bicubic (PillowResampler) from the whole source to 16×16, as SquareResize does it.
        using var source = Image.Load<Rgb24>(_dir.PathOf("img000.png"));
        var expectedBytes = new byte[16 * 16 * 3];
        PillowResampler.Resample(ImageSharpRoute.Copy(source), new CropBox(0, 0, source.Width, source.Height), expectedBytes, 16, 16);
        Assert.Equal(expectedBytes, sample.Pixels!.Pixels.ToArray());

        var expected = new float[3 * 16 * 16];
        for (int y = 0; y < 16; y++)
        for (int x = 0; x < 16; x++)
        for (int c = 0; c < 3; c++)
            expected[c * 256 + y * 16 + x] = expectedBytes[(y * 16 + x) * 3 + c] / 255f * 2f - 1f;
        using var t = ds.GetTensor(0)["pixel_values"];
        var actual = t.data<float>().ToArray();
        Assert.Equal(expected.Select(BitConverter.SingleToInt32Bits), actual.Select(BitConverter.SingleToInt32Bits));
    }

    [Fact]
    public void SameSeedIndexEpochGivesTheSameSample()
    {
        _dir.WriteManifest("data.json", [new { image = "wide.png", caption = "a wide picture" }]);
        _dir.WriteNoisePng("wide.png", 300, 100, seed: 3);
        var options = _dir.Options() with { Unconditional = 0.5, Seed = 42 };
        using var a = new CaptionDataset(options);
        using var b = new CaptionDataset(options);
        for (int epoch = 0; epoch < 4; epoch++)
        {
            using var x = a.GetSample(0, epoch);
            using var y = b.GetSample(0, epoch);
            Assert.Equal(x.Pixels!.Pixels.ToArray(), y.Pixels!.Pixels.ToArray());
            Assert.Equal(x.InputIds, y.InputIds);
            Assert.Equal(x.Cfg, y.Cfg);
        }
    }

    [Fact]
    public void OtherEpochsDrawOtherCfgAndCrops()
    {
        var entries = new List<object>();
        for (int i = 0; i < 8; i++)
        {
            _dir.WriteNoisePng($"w{i}.png", 200, 100, seed: i);
            entries.Add(new { image = $"w{i}.png", caption = $"wide {i}" });
        }
        _dir.WriteManifest("data.json", entries);
        using var ds = new CaptionDataset(_dir.Options() with { Unconditional = 0.5, Seed = 7 });
        int cfgDiffers = 0, pixelsDiffer = 0;
        for (int i = 0; i < 8; i++)
        {
            using var e0 = ds.GetSample(i, epoch: 0);
            using var e1 = ds.GetSample(i, epoch: 1);
            if (e0.Cfg != e1.Cfg) cfgDiffers++;
            if (!e0.Pixels!.Pixels.SequenceEqual(e1.Pixels!.Pixels)) pixelsDiffer++;
        }
        Assert.True(cfgDiffers > 0, "no index changed its CFG draw between epochs 0 and 1");
        Assert.True(pixelsDiffer > 0, "no index changed its crop between epochs 0 and 1");
    }

    [Fact]
    public void UnconditionalZeroNeverCfgAndOneAlwaysCfg()
    {
        _dir.WriteDataset(3);
        using var never = new CaptionDataset(_dir.Options() with { Unconditional = 0 });
        using var always = new CaptionDataset(_dir.Options() with { Unconditional = 1 });
        var cfgIds = TestImages.Text.Tokenize("ignored", cfg: true);
        for (int i = 0; i < 3; i++)
        for (int epoch = 0; epoch < 20; epoch++)
        {
            using var n = never.GetSample(i, epoch);
            Assert.False(n.Cfg);
            Assert.Equal(TestImages.Text.Tokenize($"picture number {i} of a {(i % 2 == 0 ? "red" : "blue")} thing", false), n.InputIds);
            using var a = always.GetSample(i, epoch);
            Assert.True(a.Cfg);
            Assert.Equal(cfgIds, a.InputIds);
        }
    }

    [Fact]
    public void CfgRateIsAboutUnconditional()
    {
        // One tiny image, many entries pointing at it: the CFG coin is drawn per entry.
        _dir.WriteNoisePng("one.png", 96, 96, seed: 1);
        _dir.WriteManifest("data.json", Enumerable.Range(0, 2000).Select(i => (object)new { image = "one.png", caption = $"c{i}" }));
        using var ds = new CaptionDataset(_dir.Options() with { Unconditional = 0.1, Seed = 3, ImageSize = 16 });
        int cfg = 0;
        for (int i = 0; i < 2000; i++)
        {
            using var s = ds.GetSample(i);
            if (s.Cfg) cfg++;
        }
        // Binomial(2000, 0.1): mean 200, sd ≈ 13.4; ±60 is 4.5 sd.
        Assert.InRange(cfg, 140, 260);
    }

    [Fact]
    public void Crop2SquareTakesASquareAtADrawnOffset()
    {
        // R encodes x, G encodes y: the crop's top-left pixel says where it was taken.
        using (var img = TestImages.Rgb(200, 100, (x, y) => new Rgb24((byte)x, (byte)y, 0))) _dir.WritePng("wide.png", img);
        _dir.WriteManifest("data.json", [new { image = "wide.png", caption = "wide" }]);
        var offsets = new HashSet<int>();
        for (int seed = 0; seed < 12; seed++)
        {
            using var ds = new CaptionDataset(_dir.Options(imageSize: 100) with { Seed = seed });
            using var s = ds.GetSample(0);
            var p = s.Pixels!;
            Assert.Equal((100, 100), (p.Width, p.Height));
            int offset = p.Pixels[0];
            Assert.InRange(offset, 0, 100);
            // A plain crop, no resize: every pixel is the source pixel at (offset + x, y).
            for (int y = 0; y < 100; y += 9)
            for (int x = 0; x < 100; x += 7)
            {
                int i = (y * 100 + x) * 3;
                Assert.Equal((byte)(offset + x), p.Pixels[i]);
                Assert.Equal((byte)y, p.Pixels[i + 1]);
            }
            offsets.Add(offset);
        }
        Assert.True(offsets.Count >= 3, $"12 seeds gave only offsets {string.Join(",", offsets)}");
    }

    [Fact]
    public void Crop2SquareOnATallImageCropsRows()
    {
        using (var img = TestImages.Rgb(90, 150, (x, y) => new Rgb24((byte)x, (byte)y, 0))) _dir.WritePng("tall.png", img);
        _dir.WriteManifest("data.json", [new { image = "tall.png", caption = "tall" }]);
        using var ds = new CaptionDataset(_dir.Options(imageSize: 90) with { Seed = 5 });
        using var s = ds.GetSample(0);
        int offset = s.Pixels!.Pixels[1];
        Assert.InRange(offset, 0, 60);
        Assert.Equal(0, s.Pixels.Pixels[0]);
        Assert.Equal((byte)(offset + 89), s.Pixels.Pixels[(89 * 90) * 3 + 1]);
    }

    [Fact]
    public void DebugServesEntryZeroForEveryIndex()
    {
        _dir.WriteDataset(4);
        using var ds = new CaptionDataset(_dir.Options() with { Debug = true });
        using var zero = ds.GetSample(0);
        for (int i = 1; i < 4; i++)
        {
            using var s = ds.GetSample(i);
            Assert.Equal(i, s.Index);
            Assert.Equal(0, s.SourceIndex);
            Assert.Equal("img000.png", s.ImageFile);
            Assert.Equal(zero.InputIds, s.InputIds);
            Assert.Equal(zero.Pixels!.Pixels.ToArray(), s.Pixels!.Pixels.ToArray());
        }
    }

    [Fact]
    public void AnnotationJsonInCapFolderUsesCapSourceKey()
    {
        _dir.WriteNoisePng("1.png", 96, 96, 1);
        _dir.WriteText("caps/1.json", """{"caption": "not this", "long_caption": "a cat on a mat\u00e9"}""");
        _dir.WriteManifest("data.json", [new { image = "1.png", annotation = "1.json" }]);
        using var ds = new CaptionDataset(_dir.Options() with { CapFolder = _dir.PathOf("caps"), CapSource = "long_caption" });
        using var s = ds.GetSample(0);
        Assert.Equal("a cat on a maté", s.Caption);
        Assert.Equal(TestImages.Text.Tokenize("a cat on a maté", false), s.InputIds);
    }

    [Fact]
    public void TxtAnnotationIsStrippedLikePython()
    {
        _dir.WriteNoisePng("1.png", 96, 96, 1);
        _dir.WriteText("caps/1.txt", "\u001c\u001f \t a dog running \r\n\u001d\u000b\u0085");
        _dir.WriteManifest("data.json", [new { image = "1.png", annotation = "1.txt" }]);
        using var ds = new CaptionDataset(_dir.Options() with { CapFolder = _dir.PathOf("caps") });
        using var s = ds.GetSample(0);
        Assert.Equal("a dog running", s.Caption);
        Assert.Equal(TestImages.Text.Tokenize("a dog running", false), s.InputIds);
    }

    [Fact]
    public void TextAnnotationsOptionStripsAnyExtension()
    {
        _dir.WriteNoisePng("1.png", 96, 96, 1);
        _dir.WriteText("caps/1.caption", "  \u001eblip caption\u001c\n");
        _dir.WriteManifest("data.json", [new { image = "1.png", annotation = "1.caption" }]);
        using var ds = new CaptionDataset(_dir.Options() with { CapFolder = _dir.PathOf("caps"), TextAnnotations = true });
        using var s = ds.GetSample(0);
        Assert.Equal("blip caption", s.Caption);
    }

    [Fact]
    public void IndexOutsideTheDatasetThrows()
    {
        _dir.WriteDataset(2);
        using var ds = new CaptionDataset(_dir.Options());
        Assert.Throws<IndexOutOfRangeException>(() => ds.GetSample(2));
        Assert.Throws<IndexOutOfRangeException>(() => ds.GetSample(-1));
    }

    [Fact]
    public void EmptyManifestIsRefused()
    {
        _dir.WriteText("data.json", "[]");
        var e = Assert.Throws<VgtDataException>(() => new CaptionDataset(_dir.Options()));
        Assert.Contains("no entries", e.Message);
    }

    [Fact]
    public void PixelValuesTableIsTheAnchorFormula()
    {
        for (int v = 0; v < 256; v++)
            Assert.Equal(BitConverter.SingleToInt32Bits(v / 255f * 2f - 1f), BitConverter.SingleToInt32Bits(PixelValues.Table[v]));
        Assert.Equal(-1f, PixelValues.Table[0]);
        Assert.Equal(1f, PixelValues.Table[255]);
    }
}
