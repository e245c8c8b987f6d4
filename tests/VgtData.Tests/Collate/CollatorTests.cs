using TorchSharp;
using VgtData.Collate;
using VgtData.Datasets;
using VgtData.Images;
using static TorchSharp.torch;

namespace VgtData.Tests.Collate;

public sealed class CollatorTests
{
    /// <summary>An image whose channel c of pixel (x, y) is px(x, y, c).</summary>
    internal static RgbImage Image(int width, int height, Func<int, int, int, byte> px)
    {
        var img = new RgbImage(width, height);
        var p = img.Pixels;
        for (int y = 0; y < height; y++)
        for (int x = 0; x < width; x++)
        for (int c = 0; c < 3; c++)
            p[(y * width + x) * 3 + c] = px(x, y, c);
        return img;
    }

    private const long Pad = 151643;

    /// <summary>A sample whose pixel (x, y) channel c is <paramref name="px"/>(x, y, c).</summary>
    private static CaptionSample Sample(int index, long[] ids, int height = 16, int width = 16, Func<int, int, int, byte>? px = null)
    {
        px ??= (x, y, c) => (byte)((x * 13 + y * 7 + c * 50 + index * 31) & 255);
        var img = Image(width, height, px);
        return new CaptionSample
        {
            Index = index, SourceIndex = index + 100, ImageFile = $"{index}.png", Caption = $"caption {index}", Cfg = index == 1,
            InputIds = ids, Pixels = img,
        };
    }

    private static List<CaptionSample> ThreeSamples(int height = 16, int width = 16, Func<int, int, int, byte>? px = null) =>
    [
        Sample(0, [1, 2, 3], height, width, px),
        Sample(1, [4, 5, 6, 7, 8], height, width, px),
        Sample(2, [9, 10, 11, 12], height, width, px),
    ];

    private static void DisposeAll(IEnumerable<CaptionSample> samples)
    {
        foreach (var s in samples) s.Dispose();
    }

    private static byte[] Bytes(Tensor t)
    {
        using var c = t.contiguous();
        return c.bytes.ToArray();
    }

    [Fact]
    public void RightPaddingWithPadIndexAndExactMask()
    {
        var samples = ThreeSamples();
        using var batch = new Collator(new CollateOptions()).Collate(samples);
        Assert.Equal(new long[] { 3, 5 }, batch.InputIds.shape);
        Assert.Equal(ScalarType.Int64, batch.InputIds.dtype);
        Assert.Equal(new long[] { 1, 2, 3, Pad, Pad, 4, 5, 6, 7, 8, 9, 10, 11, 12, Pad }, batch.InputIds.data<long>().ToArray());
        Assert.Equal(ScalarType.Bool, batch.AttentionMask.dtype);
        Assert.Equal(new[] { true, true, true, false, false, true, true, true, true, true, true, true, true, true, false },
            batch.AttentionMask.data<bool>().ToArray());
        Assert.Equal((16, 16), batch.BatchResolution);
        Assert.Equal([0, 1, 2], batch.Samples.Select(s => s.Index));
        Assert.Equal([100, 101, 102], batch.Samples.Select(s => s.SourceIndex));
        Assert.Equal([false, true, false], batch.Samples.Select(s => s.Cfg));
        Assert.Equal("caption 2", batch.Samples[2].Caption);
        DisposeAll(samples);
    }

    [Fact]
    public void LeftPadding()
    {
        var samples = ThreeSamples();
        using var batch = new Collator(new CollateOptions { Padding = PaddingSide.Left, PadIndex = -7 }).Collate(samples);
        Assert.Equal(new long[] { -7, -7, 1, 2, 3, 4, 5, 6, 7, 8, -7, 9, 10, 11, 12 }, batch.InputIds.data<long>().ToArray());
        Assert.Equal(new[] { false, false, true, true, true, true, true, true, true, true, false, true, true, true, true },
            batch.AttentionMask.data<bool>().ToArray());
        DisposeAll(samples);
    }

    [Fact]
    public void PixelValuesAreTheStackedSampleTensors()
    {
        var samples = ThreeSamples();
        using var batch = new Collator(new CollateOptions()).Collate(samples);
        Assert.Equal(new long[] { 3, 3, 16, 16 }, batch.PixelValues!.shape);
        Assert.Equal(ScalarType.Float32, batch.PixelValues.dtype);
        using var scope = NewDisposeScope();
        var expected = stack(samples.Select(s => s.PixelValuesTensor()).ToArray());
        Assert.Equal(Bytes(expected), Bytes(batch.PixelValues));
        DisposeAll(samples);
    }

    [Fact]
    public void BFloat16IsTheFloat32BatchConverted()
    {
        var samples = ThreeSamples();
        using var f32 = new Collator(new CollateOptions()).Collate(samples);
        using var bf16 = new Collator(new CollateOptions { DType = ScalarType.BFloat16 }).Collate(samples);
        Assert.Equal(ScalarType.BFloat16, bf16.PixelValues!.dtype);
        using var converted = f32.PixelValues!.to(ScalarType.BFloat16);
        Assert.Equal(Bytes(converted), Bytes(bf16.PixelValues));
        DisposeAll(samples);
    }

    [Theory]
    [InlineData(ScalarType.Float32)]
    [InlineData(ScalarType.BFloat16)]
    public void Uint8TransferGivesIdenticalBits(ScalarType dtype)
    {
        var samples = ThreeSamples();
        using var direct = new Collator(new CollateOptions { DType = dtype, Uint8Transfer = false }).Collate(samples);
        using var viaUint8 = new Collator(new CollateOptions { DType = dtype, Uint8Transfer = true }).Collate(samples);
        Assert.Equal(dtype, viaUint8.PixelValues!.dtype);
        Assert.Equal(direct.PixelValues!.shape, viaUint8.PixelValues.shape);
        Assert.Equal(Bytes(direct.PixelValues), Bytes(viaUint8.PixelValues));
        DisposeAll(samples);
    }

    [Fact]
    public void CenterCropToANarrowerResolutionTakesTheMiddleColumns()
    {
        // 16×16 into 16 high × 8 wide: the scale is 1, so the crop is exact: columns 4..11.
        var samples = ThreeSamples();
        using var batch = new Collator(new CollateOptions { Resolutions = [(16, 8)], ResizeMode = ResizeMode.CenterCrop }).Collate(samples);
        Assert.Equal((16, 8), batch.BatchResolution);
        Assert.Equal(new long[] { 3, 3, 16, 8 }, batch.PixelValues!.shape);
        using var scope = NewDisposeScope();
        for (int i = 0; i < 3; i++)
        {
            var expected = samples[i].PixelValuesTensor()[.., .., 4..12];
            Assert.Equal(Bytes(expected), Bytes(batch.PixelValues[i]));
        }
        DisposeAll(samples);
    }

    [Fact]
    public void CenterCropWithAResizeFillsTheResolution()
    {
        var samples = ThreeSamples(px: (x, y, c) => (byte)(40 + c * 60));
        using var batch = new Collator(new CollateOptions { Resolutions = [(8, 12)] }).Collate(samples);
        Assert.Equal((8, 12), batch.BatchResolution);
        Assert.Equal(new long[] { 3, 3, 8, 12 }, batch.PixelValues!.shape);
        // A flat colour stays that colour through the resize.
        using var scope = NewDisposeScope();
        for (int c = 0; c < 3; c++)
            Assert.True(batch.PixelValues[.., c].eq(PixelValues.Table[40 + c * 60]).all().item<bool>(), $"channel {c} not flat");
        DisposeAll(samples);
    }

    [Fact]
    public void RandomCropIsAnExactShiftDeterministicPerSeedAndBatch()
    {
        var samples = ThreeSamples(px: (x, y, c) => c == 0 ? (byte)x : (byte)y);
        var offsets = new HashSet<int>();
        for (long number = 0; number < 12; number++)
        {
            var options = new CollateOptions { Resolutions = [(16, 8)], ResizeMode = ResizeMode.RandomCrop, Seed = 11 };
            using var a = new Collator(options).Collate(samples, number);
            using var b = new Collator(options).Collate(samples, number);
            Assert.Equal(Bytes(a.PixelValues!), Bytes(b.PixelValues!));
            Assert.Equal((16, 8), a.BatchResolution);
            for (int i = 0; i < 3; i++)
            {
                // Channel 0 encodes x: the first column says where the crop started; the rest follow it.
                var row = a.PixelValues![i, 0, 5].data<float>().ToArray();
                int x0 = Array.IndexOf(PixelValues.Table, row[0]);
                Assert.InRange(x0, 0, 8);
                Assert.Equal(Enumerable.Range(x0, 8).Select(x => PixelValues.Table[x]), row);
                offsets.Add(x0);
            }
        }
        Assert.True(offsets.Count > 2, $"random crops used only offsets {string.Join(",", offsets)}");
    }

    [Fact]
    public void PadResizePadsWithMinusOneExactly()
    {
        // 16×16 into 16 high × 32 wide: the scale is 1, the image sits in columns 8..23, the rest is black (-1).
        var samples = ThreeSamples();
        using var batch = new Collator(new CollateOptions { Resolutions = [(16, 32)], ResizeMode = ResizeMode.PadResize }).Collate(samples);
        Assert.Equal((16, 32), batch.BatchResolution);
        Assert.Equal(new long[] { 3, 3, 16, 32 }, batch.PixelValues!.shape);
        using var scope = NewDisposeScope();
        var pv = batch.PixelValues;
        Assert.True(pv[.., .., .., ..8].eq(-1f).all().item<bool>());
        Assert.True(pv[.., .., .., 24..].eq(-1f).all().item<bool>());
        for (int i = 0; i < 3; i++)
            Assert.Equal(Bytes(samples[i].PixelValuesTensor()), Bytes(pv[i, .., .., 8..24]));
        DisposeAll(samples);
    }

    [Fact]
    public void PadResizeShrinkingPadsTheShortSide()
    {
        // 16×16 into 8 high × 12 wide: scaled to 8×8 at columns 2..9, columns 0-1 and 10-11 are padding.
        var samples = ThreeSamples(px: (x, y, c) => 200);
        using var batch = new Collator(new CollateOptions { Resolutions = [(8, 12)], ResizeMode = ResizeMode.PadResize }).Collate(samples);
        Assert.Equal(new long[] { 3, 3, 8, 12 }, batch.PixelValues!.shape);
        using var scope = NewDisposeScope();
        var pv = batch.PixelValues;
        Assert.True(pv[.., .., .., ..2].eq(-1f).all().item<bool>());
        Assert.True(pv[.., .., .., 10..].eq(-1f).all().item<bool>());
        Assert.True(pv[.., .., .., 2..10].eq(PixelValues.Table[200]).all().item<bool>());
        DisposeAll(samples);
    }

    [Fact]
    public void ZeroWeightResolutionIsNeverDrawn()
    {
        var collator = new Collator(new CollateOptions { Resolutions = [(16, 16), (8, 8)], ResolutionsRatio = [1, 0], Seed = 3 });
        for (long n = 0; n < 500; n++) Assert.Equal((16, 16), collator.Resolution(n, (32, 32)));
        var other = new Collator(new CollateOptions { Resolutions = [(16, 16), (8, 8)], ResolutionsRatio = [0, 2], Seed = 3 });
        for (long n = 0; n < 500; n++) Assert.Equal((8, 8), other.Resolution(n, (32, 32)));
    }

    [Fact]
    public void ResolutionDrawsAreDeterministicPerSeedAndBatch()
    {
        var options = new CollateOptions { Resolutions = [(16, 16), (8, 8), (12, 4)], ResolutionsRatio = [1, 2, 1], Seed = 5 };
        var a = Enumerable.Range(0, 400).Select(n => new Collator(options).Resolution(n, (0, 0))).ToList();
        var b = Enumerable.Range(0, 400).Select(n => new Collator(options).Resolution(n, (0, 0))).ToList();
        Assert.Equal(a, b);
        Assert.Equal(3, a.Distinct().Count());
        // Weights 1:2:1 → about 100 / 200 / 100 of 400.
        Assert.InRange(a.Count(r => r == (8, 8)), 160, 240);
        var otherSeed = Enumerable.Range(0, 400).Select(n => new Collator(options with { Seed = 6 }).Resolution(n, (0, 0))).ToList();
        Assert.NotEqual(a, otherSeed);

        // The batch carries the drawn resolution.
        var samples = ThreeSamples();
        using var batch = new Collator(options).Collate(samples, batchNumber: 17);
        Assert.Equal(a[17], batch.BatchResolution);
        Assert.Equal(new long[] { 3, 3, a[17].Height, a[17].Width }, batch.PixelValues!.shape);
        DisposeAll(samples);
    }

    [Fact]
    public void WithoutResolutionsTheSampleSizeIsKept()
    {
        var c = new Collator(new CollateOptions());
        Assert.Equal((20, 30), c.Resolution(4, (20, 30)));
    }

    [Fact]
    public void BadRatiosAndEmptyBatchesAreRefused()
    {
        Assert.Throws<VgtDataException>(() => new Collator(new CollateOptions { Resolutions = [(8, 8)], ResolutionsRatio = [1, 1] }));
        Assert.Throws<VgtDataException>(() => new Collator(new CollateOptions { Resolutions = [(8, 8), (4, 4)], ResolutionsRatio = [0, 0] }));
        Assert.Throws<VgtDataException>(() => new Collator(new CollateOptions { Resolutions = [(8, 8), (4, 4)], ResolutionsRatio = [-1, 2] }));
        Assert.Throws<ArgumentException>(() => new Collator(new CollateOptions()).Collate([]));
    }

    [Fact]
    public void BuilderRefusesAnUnfilledSlot()
    {
        var collator = new Collator(new CollateOptions());
        using var builder = collator.Begin(0, 2, (16, 16));
        using var s = Sample(0, [1]);
        builder.Put(0, s);
        Assert.Throws<InvalidOperationException>(() => builder.Finish());
    }
}
