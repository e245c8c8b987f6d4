using VgtData.Collate;
using VgtData.Datasets;
using VgtData.Images;
using static TorchSharp.torch;

namespace VgtData.Tests.Collate;

/// <summary>Collate behaviour that mutation testing found unguarded: latent batches, builder misuse, vertical crops and pads.</summary>
public sealed class CollateMutationTests
{
    private static RgbImage Image(int width, int height, Func<int, int, int, byte> px) => CollatorTests.Image(width, height, px);

    private static CaptionSample Sample(int index, long[] ids, RgbImage? pixels = null, Tensor? latents = null, Tensor? tokens = null) => new()
    {
        Index = index, SourceIndex = index + 10, ImageFile = $"{index}.png", Caption = $"c{index}", Cfg = false,
        InputIds = ids, Pixels = pixels, ImageLatents = latents, ImageTokens = tokens,
    };

    private static float[] Floats(Tensor t)
    {
        using var c = t.contiguous();
        return c.data<float>().ToArray();
    }

    [Fact]
    public void LatentBatchesStackTheSamplesAndHaveNoPixels()
    {
        using var a = Sample(0, [1, 2], latents: tensor(new float[] { 1, 2, 3, 4 }, new long[] { 2, 2 }));
        using var b = Sample(1, [3], latents: tensor(new float[] { 5, 6, 7, 8 }, new long[] { 2, 2 }));
        using var batch = new Collator(new CollateOptions { PadIndex = 0 }).Collate([a, b], batchNumber: 9);
        Assert.Null(batch.PixelValues);
        Assert.Null(batch.ImageTokens);
        Assert.Equal(new long[] { 2, 2, 2 }, batch.ImageLatents!.shape);
        Assert.Equal(new float[] { 1, 2, 3, 4, 5, 6, 7, 8 }, Floats(batch.ImageLatents));
        Assert.Equal((0, 0), batch.BatchResolution);
        Assert.Equal(9, batch.Number);
        Assert.Equal(2, batch.Size);
        Assert.All(batch.Samples, s => Assert.Equal("text2image", s.Type));
        Assert.Equal(["attention_mask", "image_latents", "input_ids"], batch.ToDictionary().Keys.Order(StringComparer.Ordinal));
        Assert.Same(batch.ImageLatents, batch.ToDictionary()["image_latents"]);
    }

    [Fact]
    public void TheBatchOwnsCopiesOfTheLatents()
    {
        using var latents = tensor(new float[] { 1, 2 }, new long[] { 2 });
        using var a = Sample(0, [1], latents: latents);
        using var batch = new Collator(new CollateOptions()).Collate([a]);
        latents.fill_(9f);
        Assert.Equal(new float[] { 1, 2 }, Floats(batch.ImageLatents!));
    }

    [Fact]
    public void TokenBatchesStackAndAreKeyedImageTokens()
    {
        using var a = Sample(0, [1], tokens: tensor(new long[] { 4, 5, 6 }));
        using var b = Sample(1, [2], tokens: tensor(new long[] { 7, 8, 9 }));
        using var batch = new Collator(new CollateOptions()).Collate([a, b]);
        Assert.Null(batch.ImageLatents);
        Assert.Equal(new long[] { 4, 5, 6, 7, 8, 9 }, batch.ImageTokens!.data<long>().ToArray());
        var d = batch.ToDictionary();
        Assert.Equal(3, d.Count);
        Assert.Same(batch.ImageTokens, d["image_tokens"]);
        Assert.Same(batch.InputIds, d["input_ids"]);
        Assert.Same(batch.AttentionMask, d["attention_mask"]);
    }

    [Fact]
    public void PixelBatchDictionaryHasPixelValuesOnly()
    {
        using var a = Sample(0, [1], pixels: Image(4, 4, (x, y, c) => 7));
        using var batch = new Collator(new CollateOptions()).Collate([a]);
        var d = batch.ToDictionary();
        Assert.Equal(3, d.Count);
        Assert.Same(batch.PixelValues, d["pixel_values"]);
    }

    [Fact]
    public void MixedOrMismatchedLatentsAreRefusedWithTheShapes()
    {
        using var with = Sample(0, [1], latents: zeros(2, 2));
        using var without = Sample(1, [1]);
        var mixed = Assert.Throws<VgtDataException>(() => new Collator(new CollateOptions()).Collate([with, without]));
        Assert.Equal("a batch mixes samples with and without latents", mixed.Message);
        var mixedOtherOrder = Assert.Throws<VgtDataException>(() => new Collator(new CollateOptions()).Collate([without, with]));
        Assert.Equal("a batch mixes samples with and without latents", mixedOtherOrder.Message);

        using var same = Sample(1, [1], latents: zeros(2, 2));
        using var other = Sample(2, [1], latents: zeros(3, 2));
        var e = Assert.Throws<VgtDataException>(() => new Collator(new CollateOptions()).Collate([with, same, other]));
        Assert.Equal("latent shapes differ in one batch: [2,2] Float32 vs [3,2] Float32", e.Message);
    }

    [Fact]
    public void DisposingABatchFreesItsTensors()
    {
        using var a = Sample(0, [1], pixels: Image(2, 2, (x, y, c) => 1), latents: zeros(2), tokens: zeros(2, dtype: ScalarType.Int64));
        var batch = new Collator(new CollateOptions()).Collate([a]);
        batch.Dispose();
        Assert.True(batch.InputIds.IsInvalid);
        Assert.True(batch.AttentionMask.IsInvalid);
        Assert.True(batch.PixelValues!.IsInvalid);
        Assert.True(batch.ImageLatents!.IsInvalid);
        Assert.True(batch.ImageTokens!.IsInvalid);
    }

    [Fact]
    public void DisposingABuilderFreesItsCopies()
    {
        using var latents = zeros(2);
        using var a = Sample(0, [1], latents: latents);
        var builder = new Collator(new CollateOptions()).Begin(0, 1, (0, 0), pixels: false);
        builder.Put(0, a);
        var batch = builder.Finish();
        builder.Dispose();
        // The batch's stack is its own tensor; the builder's clone is gone, the caller's sample is untouched.
        Assert.False(batch.ImageLatents!.IsInvalid);
        Assert.False(latents.IsInvalid);
        batch.Dispose();
    }

    [Fact]
    public void BuilderMisuseIsRefusedWithAReason()
    {
        var collator = new Collator(new CollateOptions());
        using (var builder = collator.Begin(4, 2, (4, 4)))
        {
            using var s = Sample(0, [1], pixels: Image(4, 4, (x, y, c) => 1));
            builder.Put(0, s);
            var unfilled = Assert.Throws<InvalidOperationException>(() => builder.Finish());
            Assert.Equal("batch 4: slot 1 was never filled", unfilled.Message);
            builder.Put(1, s);
            using var batch = builder.Finish();
            var twice = Assert.Throws<InvalidOperationException>(() => builder.Finish());
            Assert.Equal("batch already finished", twice.Message);
        }
        using (var builder = collator.Begin(0, 1, (4, 4)))
        {
            using var noPixels = Sample(5, [1]);
            var e = Assert.Throws<VgtDataException>(() => builder.Put(0, noPixels));
            Assert.Equal("sample 5 (5.png) has no pixels for a pixel batch", e.Message);
        }
        Assert.Equal(4, collator.Begin(4, 3, (8, 6)).Number);
        using var b = collator.Begin(4, 3, (8, 6));
        Assert.Equal(3, b.Size);
        Assert.Equal((8, 6), b.Resolution);
    }

    [Fact]
    public void RatioErrorsSayWhatIsWrong()
    {
        var count = Assert.Throws<VgtDataException>(() => new Collator(new CollateOptions { Resolutions = [(8, 8)], ResolutionsRatio = [1, 1] }));
        Assert.Equal("resolutions_ratio has 2 weights for 1 resolutions", count.Message);
        var nan = Assert.Throws<VgtDataException>(() => new Collator(new CollateOptions { Resolutions = [(8, 8), (4, 4)], ResolutionsRatio = [double.NaN, 1] }));
        Assert.Equal("resolutions_ratio must be non-negative weights with a positive sum", nan.Message);
        // Zero is a valid weight as long as another is positive; no ratio at all is valid too.
        _ = new Collator(new CollateOptions { Resolutions = [(8, 8), (4, 4)], ResolutionsRatio = [0, 1e-9] });
        _ = new Collator(new CollateOptions { Resolutions = [(8, 8), (4, 4)] });
    }

    [Fact]
    public void WithoutRatiosEveryResolutionIsAboutEquallyLikely()
    {
        var collator = new Collator(new CollateOptions { Resolutions = [(16, 16), (8, 8), (12, 4)], Seed = 2 });
        var draws = Enumerable.Range(0, 600).Select(n => collator.Resolution(n, (0, 0))).ToList();
        foreach (var r in new[] { (16, 16), (8, 8), (12, 4) })
            Assert.InRange(draws.Count(d => d == r), 150, 250);
        // A single resolution is always the one, whatever the seed and batch.
        var one = new Collator(new CollateOptions { Resolutions = [(12, 4)], Seed = 9 });
        Assert.All(Enumerable.Range(0, 50), n => Assert.Equal((12, 4), one.Resolution(n, (3, 3))));
    }

    [Fact]
    public void TheLastResolutionIsDrawnWhenItCarriesAllTheWeight()
    {
        var collator = new Collator(new CollateOptions { Resolutions = [(16, 16), (8, 8), (12, 4)], ResolutionsRatio = [0, 0, 1], Seed = 4 });
        Assert.All(Enumerable.Range(0, 200), n => Assert.Equal((12, 4), collator.Resolution(n, (0, 0))));
        var middle = new Collator(new CollateOptions { Resolutions = [(16, 16), (8, 8), (12, 4)], ResolutionsRatio = [0, 1, 0], Seed = 4 });
        Assert.All(Enumerable.Range(0, 200), n => Assert.Equal((8, 8), middle.Resolution(n, (0, 0))));
    }

    [Fact]
    public void Uint8TransferDefaultsOffOnTheCpu()
    {
        Assert.False(new CollateOptions().UseUint8Transfer);
        Assert.True(new CollateOptions { Uint8Transfer = true }.UseUint8Transfer);
        Assert.False(new CollateOptions { Uint8Transfer = false }.UseUint8Transfer);
    }

    [Fact]
    public void PaddingAnEmptyListGivesEmptyTensors()
    {
        var (ids, mask) = TokenPadding.Pad([], 5, PaddingSide.Right);
        using (ids)
        using (mask)
        {
            Assert.Equal(new long[] { 0, 0 }, ids.shape);
            Assert.Equal(new long[] { 0, 0 }, mask.shape);
        }
        var (one, oneMask) = TokenPadding.Pad([[], [3]], 5, PaddingSide.Left);
        using (one)
        using (oneMask)
        {
            Assert.Equal(new long[] { 5, 3 }, one.data<long>().ToArray());
            Assert.Equal(new[] { false, true }, oneMask.data<bool>().ToArray());
        }
    }

    [Fact]
    public void SmartResizeCopiesASampleThatAlreadyFits()
    {
        using var img = Image(3, 2, (x, y, c) => (byte)(x + 10 * y + 100 * c));
        var dst = new byte[3 * 2 * 3 + 5];
        var random = new SampleRandom(0, 0, 0);
        SmartResize.Apply(img, 2, 3, ResizeMode.RandomCrop, ref random, dst);
        Assert.Equal(img.Pixels.ToArray(), dst[..18]);
        Assert.All(dst[18..], b => Assert.Equal(0, b));
    }

    [Fact]
    public void CenterCropToAShorterResolutionTakesTheMiddleRows()
    {
        // 8×8 into 4 high × 8 wide: the scale is 1, so the crop is exact: rows 2..5.
        using var img = Image(8, 8, (x, y, c) => (byte)(y * 8 + x));
        var dst = new byte[4 * 8 * 3];
        var random = new SampleRandom(0, 0, 0);
        SmartResize.Apply(img, 4, 8, ResizeMode.CenterCrop, ref random, dst);
        for (int y = 0; y < 4; y++)
        for (int x = 0; x < 8; x++)
            Assert.Equal((byte)((y + 2) * 8 + x), dst[(y * 8 + x) * 3]);
    }

    [Fact]
    public void RandomCropsReachTheFirstAndLastOffsetOnBothAxes()
    {
        // 12×12 into 8×12 and 12×8: offsets 0..4 are possible; over 200 fixed-seed draws each one is drawn.
        using var img = Image(12, 12, (x, y, c) => c == 0 ? (byte)x : (byte)y);
        var rows = new HashSet<int>();
        var columns = new HashSet<int>();
        for (long n = 0; n < 200; n++)
        {
            var random = new SampleRandom(3, n, 0, stream: 7);
            var tall = new byte[8 * 12 * 3];
            SmartResize.Apply(img, 8, 12, ResizeMode.RandomCrop, ref random, tall);
            rows.Add(tall[1]);
            for (int y = 0; y < 8; y++) Assert.Equal(tall[1] + y, tall[y * 12 * 3 + 1]);
            var wide = new byte[12 * 8 * 3];
            SmartResize.Apply(img, 12, 8, ResizeMode.RandomCrop, ref random, wide);
            columns.Add(wide[0]);
            for (int x = 0; x < 8; x++) Assert.Equal(wide[0] + x, wide[x * 3]);
        }
        Assert.Equal([0, 1, 2, 3, 4], rows.Order());
        Assert.Equal([0, 1, 2, 3, 4], columns.Order());
    }

    [Fact]
    public void PadResizeCentresVertically()
    {
        // 8×8 into 16 high × 8 wide: the scale is 1; rows 4..11 hold the image, the rest is zero (black after normalising).
        using var img = Image(8, 8, (x, y, c) => 200);
        var dst = Enumerable.Repeat((byte)99, 16 * 8 * 3).ToArray();
        var random = new SampleRandom(0, 0, 0);
        SmartResize.Apply(img, 16, 8, ResizeMode.PadResize, ref random, dst);
        for (int y = 0; y < 16; y++)
            Assert.All(dst.AsSpan(y * 8 * 3, 8 * 3).ToArray(), b => Assert.Equal(y is >= 4 and < 12 ? 200 : 0, b));
    }

    [Fact]
    public void PadResizeKeepsAtLeastOneRowOfAVeryWideImage()
    {
        // 64×1 into 4×4: scaled to 4 wide and round(1/16) = 0 high, kept at one row, in row (4 - 1) / 2 = 1.
        using var img = Image(64, 1, (x, y, c) => 150);
        var dst = new byte[4 * 4 * 3];
        var random = new SampleRandom(0, 0, 0);
        SmartResize.Apply(img, 4, 4, ResizeMode.PadResize, ref random, dst);
        for (int y = 0; y < 4; y++)
            Assert.All(dst.AsSpan(y * 4 * 3, 4 * 3).ToArray(), b => Assert.Equal(y == 1 ? 150 : 0, b));
    }

    [Fact]
    public void AChangeOfHeightAloneIsStillFitted()
    {
        // 16×16 into 8 high × 16 wide: same width, so only the height tells the builder to crop: rows 4..11.
        using var a = Sample(0, [1], pixels: Image(16, 16, (x, y, c) => (byte)(y * 16 + x)));
        using var batch = new Collator(new CollateOptions { Resolutions = [(8, 16)] }).Collate([a]);
        Assert.Equal(PixelValues.Table[4 * 16], batch.PixelValues![0, 0, 0, 0].item<float>());
        Assert.Equal(PixelValues.Table[11 * 16 + 15], batch.PixelValues[0, 0, 7, 15].item<float>());
        var e = Assert.Throws<ArgumentException>(() => new Collator(new CollateOptions()).Collate([]));
        Assert.StartsWith("cannot collate an empty batch", e.Message);
    }
}
