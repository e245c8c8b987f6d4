using System.Runtime.InteropServices;
using System.Text.Json;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using VgtData.Images;
using Xunit.Abstractions;

namespace VgtData.Tests.Images;

public class PillowResamplerTests(ITestOutputHelper output)
{
    // ---- golden parity, both paths ----

    public static IEnumerable<object[]> GoldenCases()
    {
        foreach (var name in new[] { "photo1024", "photo640", "photo513", "photo448", "photo300_up", "gray777", "rgba600",
                     "palette512", "rect1024x768_x100", "photo1024_to256" })
            foreach (var vectorize in new[] { false, true })
                yield return [name, vectorize];
    }

    [SkippableTheory]
    [MemberData(nameof(GoldenCases))]
    public void MatchesPillowExactly(string name, bool vectorize)
    {
        var folder = SharedData.Require("golden/pil-resize");
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "cases.json")));
        var c = doc.RootElement.GetProperty("cases").EnumerateArray().Single(e => e.GetProperty("name").GetString() == name);
        int size = c.GetProperty("size").GetInt32();
        using var image = Image.Load<Rgb24>(Path.Combine(folder, c.GetProperty("source").GetString()!));
        var box = c.GetProperty("crop_box").ValueKind == JsonValueKind.Null
            ? new CropBox(0, 0, image.Width, image.Height)
            : new CropBox(c.GetProperty("crop_box")[0].GetInt32(), c.GetProperty("crop_box")[1].GetInt32(),
                c.GetProperty("crop_box")[2].GetInt32(), c.GetProperty("crop_box")[3].GetInt32());

        var mine = new byte[size * size * 3];
        PillowResampler.Resample(ImageSharpRoute.Copy(image), box, mine, size, size, vectorize);

        using var expected = Image.Load<Rgb24>(Path.Combine(folder, c.GetProperty("expected").GetString()!));
        var theirs = Bytes(expected);
        int differing = 0, max = 0;
        for (int i = 0; i < theirs.Length; i++)
        {
            int d = Math.Abs(mine[i] - theirs[i]);
            if (d != 0) differing++;
            max = Math.Max(max, d);
        }
        output.WriteLine($"{name} (vectorize {vectorize}, AVX2 {PillowResampler.IsVectorized}): {differing} bytes differ, max {max}/255");
        Assert.Equal(0, differing);
    }

    // ---- vector path == scalar path ----

    public static IEnumerable<object[]> Shapes() =>
    [
        // width, height, outWidth, outHeight
        [1024, 1024, 448, 448],
        [1024, 1536, 448, 448],
        [300, 300, 448, 448],
        [513, 513, 448, 448],
        [777, 333, 448, 256],
        [1, 1, 1, 1],
        [1, 1, 7, 5],
        [5, 3, 1, 1],
        [2, 9, 3, 4],
        [37, 41, 37, 20],   // vertical only
        [37, 41, 19, 41],   // horizontal only
        [33, 17, 33, 17],   // identity
        [64, 64, 11, 97],
        [97, 11, 64, 64],
        [4000, 3, 17, 3],   // strong downscale along x (many taps)
        [3, 4000, 3, 17],
        [10, 10, 1000, 3],
    ];

    [Theory]
    [MemberData(nameof(Shapes))]
    public void VectorPathEqualsScalarPath(int width, int height, int outWidth, int outHeight)
    {
        foreach (int seed in new[] { 1, 2 })
        {
            var src = Noise(width * height * 3, seed, extremes: seed == 2);
            var scalar = new byte[outWidth * outHeight * 3];
            var vector = new byte[outWidth * outHeight * 3];
            PillowResampler.Resample(src, width, height, width * 3, scalar, outWidth, outHeight, vectorize: false);
            PillowResampler.Resample(src, width, height, width * 3, vector, outWidth, outHeight, vectorize: true);
            Assert.Equal(scalar, vector);
            Assert.Equal(Naive(src, width, height, new ResampleBox(0, 0, width, height), outWidth, outHeight), scalar);
        }
    }

    [Theory]
    [InlineData(10.0f, 20.0f, 60.0f, 40.0f, 25, 10)]
    [InlineData(0.5f, 0.25f, 63.75f, 40.5f, 30, 77)]
    [InlineData(3f, 0f, 64f, 48f, 64, 48)]      // same size, shifted box: both passes still run
    [InlineData(0f, 0f, 64f, 48f, 64, 48)]      // whole image, same size: a copy
    [InlineData(0f, 5f, 64f, 6f, 64, 9)]        // one source row stretched
    [InlineData(17.3f, 2.2f, 17.9f, 47.9f, 3, 5)]
    public void BoxesMatchTheNaiveTranscription(float left, float top, float right, float bottom, int outWidth, int outHeight)
    {
        const int width = 64, height = 48;
        var src = Noise(width * height * 3, 7, extremes: false);
        var box = new ResampleBox(left, top, right, bottom);
        var scalar = new byte[outWidth * outHeight * 3];
        var vector = new byte[outWidth * outHeight * 3];
        PillowResampler.Resample(src, width, height, width * 3, box, scalar, outWidth, outHeight, vectorize: false);
        PillowResampler.Resample(src, width, height, width * 3, box, vector, outWidth, outHeight, vectorize: true);
        Assert.Equal(Naive(src, width, height, box, outWidth, outHeight), scalar);
        Assert.Equal(scalar, vector);
    }

    [Fact]
    public void StridedAndCroppedSourcesReadTheRightPixels()
    {
        // A crop of an image equals the same pixels packed on their own (Pillow: crop, then resize the crop).
        const int width = 301, height = 203;
        var all = Noise(width * height * 3, 11, extremes: false);
        using var image = Image.LoadPixelData<Rgb24>(all, width, height);
        var crop = new CropBox(40, 7, 240, 190);
        var packed = new byte[crop.Width * crop.Height * 3];
        for (int y = 0; y < crop.Height; y++)
            all.AsSpan(((crop.Upper + y) * width + crop.Left) * 3, crop.Width * 3).CopyTo(packed.AsSpan(y * crop.Width * 3));
        foreach (var vectorize in new[] { false, true })
        {
            var fromImage = new byte[96 * 64 * 3];
            var fromPacked = new byte[96 * 64 * 3];
            PillowResampler.Resample(ImageSharpRoute.Copy(image), crop, fromImage, 96, 64, vectorize);
            PillowResampler.Resample(packed, crop.Width, crop.Height, crop.Width * 3, fromPacked, 96, 64, vectorize);
            Assert.Equal(fromPacked, fromImage);
            // And with a stride: the crop read out of the full buffer.
            var fromStrided = new byte[96 * 64 * 3];
            PillowResampler.Resample(all.AsSpan((crop.Upper * width + crop.Left) * 3), crop.Width, crop.Height, width * 3,
                fromStrided, 96, 64, vectorize);
            Assert.Equal(fromPacked, fromStrided);
        }
    }

    [Fact]
    public void ImagesInSeveralBuffersGiveTheSameBytes()
    {
        // ImageSharp splits large images into several buffers; the resampler then reads row by row.
        const int width = 2100, height = 2100;
        var all = Noise(width * height * 3, 5, extremes: false);
        using var image = Image.LoadPixelData<Rgb24>(all, width, height);
        output.WriteLine($"single buffer: {image.DangerousTryGetSinglePixelMemory(out _)}");
        var crop = new CropBox(13, 0, 2013, 2000);
        var fromImage = new byte[448 * 448 * 3];
        PillowResampler.Resample(ImageSharpRoute.Copy(image), crop, fromImage, 448, 448);
        var fromSpan = new byte[448 * 448 * 3];
        PillowResampler.Resample(all.AsSpan((crop.Upper * width + crop.Left) * 3), crop.Width, crop.Height, width * 3, fromSpan, 448, 448);
        Assert.Equal(fromSpan, fromImage);
    }

    // ---- coefficients ----

    [Fact]
    public void KernelValues()
    {
        Assert.Equal(1.0, ResampleCoefficients.Bicubic(0));
        Assert.Equal(0.5625, ResampleCoefficients.Bicubic(0.5));
        Assert.Equal(0.5625, ResampleCoefficients.Bicubic(-0.5));
        Assert.Equal(0.0, ResampleCoefficients.Bicubic(1));
        Assert.Equal(-0.0625, ResampleCoefficients.Bicubic(1.5));
        Assert.Equal(0.0, ResampleCoefficients.Bicubic(2));
        Assert.Equal(0.0, ResampleCoefficients.Bicubic(-7));
    }

    [Fact]
    public void UpscaleUsesFourTapsAndClampsAtTheEdges()
    {
        var c = ResampleCoefficients.For(300, 0, 300, 448);
        Assert.Equal(5, c.KSize); // support 2 (no widening when enlarging): ceil(2)·2 + 1
        Assert.Equal(0, c.First(0));
        Assert.Equal(2, c.Count(0)); // center 0.335: xmin (int)(−1.165) → 0, xmax (int)(2.835) = 2
        Assert.Equal(300, c.First(447) + c.Count(447));
        for (int xx = 0; xx < 448; xx++)
        {
            Assert.InRange(c.Count(xx), 2, 4);
            Assert.Equal(1.0, c.WeightsOf(xx).ToArray().Sum(), 12);
            // Fixed-point weights sum to 1 << 22 within rounding.
            Assert.InRange(c.FixedOf(xx).ToArray().Sum(), (1 << 22) - c.Count(xx), (1 << 22) + c.Count(xx));
        }
    }

    [Fact]
    public void DownscaleWidensTheFilter()
    {
        var c = ResampleCoefficients.For(1024, 0, 1024, 448);
        double scale = 1024.0 / 448;
        Assert.Equal((int)Math.Ceiling(2 * scale) * 2 + 1, c.KSize); // 11
        for (int xx = 0; xx < 448; xx++)
        {
            Assert.InRange(c.Count(xx), 1, c.KSize);
            Assert.True(c.First(xx) >= 0 && c.First(xx) + c.Count(xx) <= 1024);
        }
    }

    [Fact]
    public void SameSizeHasIdentityWeights()
    {
        // At scale 1 the bicubic kernel is 1 at the center tap and 0 at the integer offsets beside it.
        var c = ResampleCoefficients.For(448, 0, 448, 448);
        for (int xx = 0; xx < 448; xx++)
        {
            var k = c.FixedOf(xx);
            int center = xx - c.First(xx);
            for (int t = 0; t < k.Length; t++) Assert.Equal(t == center ? 1 << 22 : 0, k[t]);
        }
    }

    [Fact]
    public void IdentityResizeCopiesExactly()
    {
        var src = Noise(448 * 448 * 3, 3, extremes: true);
        foreach (var vectorize in new[] { false, true })
        {
            var dst = new byte[src.Length];
            PillowResampler.Resample(src, 448, 448, 448 * 3, dst, 448, 448, vectorize);
            Assert.Equal(src, dst);
        }
        // Through the Image overload as SquareResize calls it.
        using var image = Image.LoadPixelData<Rgb24>(src, 448, 448);
        var viaCrop = new byte[src.Length];
        PillowResampler.Resample(ImageSharpRoute.Copy(image), new CropBox(0, 0, 448, 448), viaCrop, 448, 448);
        Assert.Equal(src, viaCrop);
    }

    [Fact]
    public void BoxOffsetsShiftTheCenters()
    {
        var c = ResampleCoefficients.For(200, 10, 110, 50);
        // scale 2: center of output 0 is 10 + 0.5·2 = 11; support 4 → taps from (int)(11 − 4 + 0.5) = 7 to (int)(15.5) = 15.
        Assert.Equal(7, c.First(0));
        Assert.Equal(8, c.Count(0));
        Assert.Equal(9, c.KSize);
        // Symmetric about the center: weights of taps 7..14 around 11 (pixel centers 7.5..14.5).
        var w = c.WeightsOf(0).ToArray();
        for (int t = 0; t < 4; t++) Assert.Equal(w[t], w[7 - t], 15);
    }

    [Fact]
    public void RejectsBadArguments()
    {
        var src = new byte[10 * 10 * 3];
        var dst = new byte[5 * 5 * 3];
        Assert.Throws<ArgumentOutOfRangeException>(() => PillowResampler.Resample(src, 10, 10, 30, new ResampleBox(-1, 0, 5, 5), dst, 5, 5));
        Assert.Throws<ArgumentOutOfRangeException>(() => PillowResampler.Resample(src, 10, 10, 30, new ResampleBox(0, 0, 11, 5), dst, 5, 5));
        Assert.Throws<ArgumentException>(() => PillowResampler.Resample(src, 10, 10, 30, dst, 6, 6));
        Assert.Throws<ArgumentException>(() => PillowResampler.Resample(src, 11, 10, 33, dst, 5, 5));
        using var image = new Image<Rgb24>(10, 10);
        Assert.Throws<ArgumentOutOfRangeException>(() => PillowResampler.Resample(ImageSharpRoute.Copy(image), new CropBox(5, 0, 11, 6), dst, 5, 5));
    }

    // ---- helpers ----

    private static byte[] Noise(int n, int seed, bool extremes)
    {
        var r = new Random(seed);
        var b = new byte[n];
        r.NextBytes(b);
        if (extremes) // mostly 0 / 255 with sharp edges: the sums reach past the clip limits
            for (int i = 0; i < n; i++) b[i] = b[i] < 100 ? (byte)0 : b[i] < 200 ? (byte)255 : b[i];
        return b;
    }

    private static byte[] Bytes(Image<Rgb24> image)
    {
        var b = new byte[image.Width * image.Height * 3];
        image.CopyPixelDataTo(MemoryMarshal.Cast<byte, Rgb24>(b.AsSpan()));
        return b;
    }

    /// <summary>
    /// Pillow's ImagingResampleInner written out plainly (2-D arrays, one pixel and channel at a time), for the box
    /// path: horizontal pass over rows ybox_first..ybox_last into a temporary image, then vertical with shifted bounds.
    /// </summary>
    private static byte[] Naive(byte[] src, int width, int height, ResampleBox box, int outWidth, int outHeight)
    {
        bool needH = outWidth != width || box.Left != 0 || box.Right != outWidth;
        bool needV = outHeight != height || box.Top != 0 || box.Bottom != outHeight;
        var h = ResampleCoefficients.For(width, box.Left, box.Right, outWidth);
        var v = ResampleCoefficients.For(height, box.Top, box.Bottom, outHeight);
        int yFirst = v.First(0), yLast = v.First(outHeight - 1) + v.Count(outHeight - 1);

        int curW = width, curH = height;
        var cur = new int[curH, curW * 3];
        for (int y = 0; y < height; y++)
            for (int i = 0; i < width * 3; i++) cur[y, i] = src[y * width * 3 + i];
        int shift = 0;
        if (needH)
        {
            var temp = new int[yLast - yFirst, outWidth * 3];
            for (int y = 0; y < yLast - yFirst; y++)
                for (int xx = 0; xx < outWidth; xx++)
                    for (int ch = 0; ch < 3; ch++)
                    {
                        int acc = 1 << 21;
                        var k = h.FixedOf(xx);
                        for (int t = 0; t < k.Length; t++) acc += cur[y + yFirst, (h.First(xx) + t) * 3 + ch] * k[t];
                        temp[y, xx * 3 + ch] = Clip(acc);
                    }
            cur = temp;
            curW = outWidth;
            curH = yLast - yFirst;
            shift = -yFirst;
        }
        if (needV)
        {
            var temp = new int[outHeight, curW * 3];
            for (int yy = 0; yy < outHeight; yy++)
                for (int i = 0; i < curW * 3; i++)
                {
                    int acc = 1 << 21;
                    var k = v.FixedOf(yy);
                    for (int t = 0; t < k.Length; t++) acc += cur[v.First(yy) + shift + t, i] * k[t];
                    temp[yy, i] = Clip(acc);
                }
            cur = temp;
            curH = outHeight;
        }
        var result = new byte[curH * curW * 3];
        for (int y = 0; y < curH; y++)
            for (int i = 0; i < curW * 3; i++) result[y * curW * 3 + i] = (byte)cur[y, i];
        return result;

        static int Clip(int acc) => acc >= 1 << 30 ? 255 : acc <= 0 ? 0 : acc >> 22;
    }
}
