using VgtData.Images;

namespace VgtData.Tests.Images;

/// <summary>The header limits at their exact boundaries, each refusal's reason and detail; the decoder names a config
/// may use; the pooled pixel block's contract.</summary>
public sealed class ImageLimitsTests
{
    private static SampleException Refused(ImageLimits limits, int width, int height) =>
        Assert.Throws<SampleException>(() => limits.Check(width, height, "x.png"));

    [Fact]
    public void TheDefaultsAreTheAnchors()
    {
        var d = ImageLimits.Default;
        Assert.Equal((80, 0.1, 10.0, 178_956_970L, 256L << 20, 256L << 20), (d.MinImageSize, d.MinAspect, d.MaxAspect, d.MaxPixels, d.MaxDecodeBytes, d.MaxFileBytes));
        Assert.Equal(4L * 8192 * 8192, ImageLimits.DecodeBytes(8192, 8192));
        Assert.Equal(4L * 70000 * 70000, ImageLimits.DecodeBytes(70000, 70000));   // no int overflow
    }

    [Fact]
    public void ASideOfExactlyTheMinimumIsTooSmall()
    {
        ImageLimits.Default.Check(81, 81, "x.png");
        foreach (var (w, h) in new[] { (80, 200), (200, 80) })
        {
            var e = Refused(ImageLimits.Default, w, h);
            Assert.Equal((SampleFailureReason.TooSmall, $"{w}x{h} has a side of at most 80 px"), (e.Reason, e.Detail));
        }
    }

    [Fact]
    public void AnAspectOfExactlyTheBoundIsRefused()
    {
        ImageLimits.Default.Check(999, 100, "x.png");
        ImageLimits.Default.Check(101, 1000, "x.png");
        var wide = Refused(ImageLimits.Default, 1000, 100);
        Assert.Equal((SampleFailureReason.BadAspect, "1000x100 has aspect 10, outside (0.1, 10)"), (wide.Reason, wide.Detail));
        var tall = Refused(ImageLimits.Default, 100, 1000);
        Assert.Equal((SampleFailureReason.BadAspect, "100x1000 has aspect 0.1, outside (0.1, 10)"), (tall.Reason, tall.Detail));
        var odd = Refused(ImageLimits.Default with { MaxAspect = 2.5 }, 300, 100);
        Assert.Equal("300x100 has aspect 3, outside (0.1, 2.5)", odd.Detail);
        Assert.Equal("700x300 has aspect 2.333, outside (0.1, 2.2)", Refused(ImageLimits.Default with { MaxAspect = 2.2 }, 700, 300).Detail);
    }

    [Fact]
    public void PixelCountAndDecodeMemoryAreCheckedFirstAndAtTheirBounds()
    {
        var limits = ImageLimits.Default with { MaxPixels = 10_000, MinImageSize = 0 };
        limits.Check(100, 100, "x.png");
        var e = Refused(limits, 101, 100);
        Assert.Equal((SampleFailureReason.TooManyPixels, "101x100 = 10100 pixels exceeds the limit of 10000"), (e.Reason, e.Detail));
        // A huge, thin image is refused for its pixels before its aspect.
        Assert.Equal(SampleFailureReason.TooManyPixels, Refused(ImageLimits.Default, 200_000, 1000).Reason);

        var memory = ImageLimits.Default with { MaxDecodeBytes = 4L << 20, MinImageSize = 0 };
        memory.Check(1024, 1024, "x.png");                       // exactly 4 MiB
        var m = Refused(memory, 1025, 1024);
        Assert.Equal((SampleFailureReason.TooManyPixels, "1025x1024 needs about 4 MiB to decode, over the limit of 4 MiB"), (m.Reason, m.Detail));
        Assert.Equal("2048x2048 needs about 16 MiB to decode, over the limit of 4 MiB", Refused(memory, 2048, 2048).Detail);
        // A tiny image is refused as too small only once its size is known to be affordable.
        Assert.Equal(SampleFailureReason.TooManyPixels, Refused(memory with { MinImageSize = 5000 }, 4096, 4096).Reason);
    }

    [Fact]
    public void PooledImagesAreOneBlockOfRowsReturnedOnce()
    {
        var image = new RgbImage(5, 2);
        Assert.Equal(30, image.Pixels.Length);
        image.Pixels.Fill(7);
        image.Row(1)[14] = 9;
        Assert.Equal(15, image.Row(1).Length);
        Assert.Equal(9, image.Pixels[29]);
        image.Dispose();
        image.Dispose();   // a second dispose returns nothing twice
        Assert.Throws<ObjectDisposedException>(() => image.Pixels.Length);
        Assert.Throws<ArgumentOutOfRangeException>(() => new RgbImage(0, 2));
    }
}
