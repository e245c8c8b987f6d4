using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using VgtData.Images;
using VgtData.Tests.Fixtures;

namespace VgtData.Tests.Images;

/// <summary>Which JPEGs go which way (TurboJPEG, libvips), Pillow's draft scale and sizes, and CMYK with black.</summary>
[Collection(nameof(SerialJpegCollection))]
public sealed class JpegRouteChoiceTests
{
    private static readonly ImageLimits Limits = ImageLimits.Default with { MinImageSize = 0 };

    private static byte[] Photo(int width, int height) => JpegRoute.Photo(width, height, seed: width * 1000 + height);

    /// <summary>Runs <paramref name="work"/> on a new thread; true when it made that thread's TurboJPEG handle.</summary>
    private static bool UsedTurboJpeg(Action work)
    {
        bool used = false;
        var thread = new Thread(() => { work(); used = TurboJpeg.ThreadHandle != null; });
        thread.Start();
        thread.Join();
        return used;
    }

    [Theory]
    [InlineData(1024, 1024, 448, 448, 2)]
    [InlineData(1024, 1536, 448, 448, 2)]
    [InlineData(4000, 3000, 448, 448, 4)]   // min(8, 6) = 6: the largest of 8, 4, 2, 1 not above it
    [InlineData(4000, 4000, 448, 448, 8)]
    [InlineData(9000, 9000, 448, 448, 8)]
    [InlineData(800, 3000, 448, 448, 1)]
    [InlineData(1000, 1000, 500, 250, 2)]
    [InlineData(1000, 1000, 0, 448, 1)]
    [InlineData(1000, 1000, 448, 0, 1)]
    [InlineData(1000, 1000, -4, 448, 1)]
    [InlineData(1000, 1000, 1, 1, 8)]
    public void DraftScaleIsPillows(int width, int height, int requestWidth, int requestHeight, int expected) =>
        Assert.Equal(expected, LibjpegTurboDecoder.DraftScale(width, height, requestWidth, requestHeight));

    [Fact]
    public void DraftSizesRoundUpAsLibjpegsDo()
    {
        var jpeg = Photo(65, 49);
        var decoder = ImageDecoder.Shared;
        Assert.Equal((65, 49), decoder.ReadDraftSize(jpeg, "x.jpg", 40, 40));    // scale 1
        Assert.Equal((33, 25), decoder.ReadDraftSize(jpeg, "x.jpg", 16, 16));    // scale 2: libjpeg's ⌈side / 2⌉
        Assert.Equal((17, 13), decoder.ReadDraftSize(jpeg, "x.jpg", 12, 12));    // min(5, 4) → 4
        // The same header with four components (libvips decodes those): the same sizes.
        int sof = 2;
        while (!(jpeg[sof] == 0xFF && jpeg[sof + 1] == 0xC0)) sof++;
        jpeg[sof + 9] = 4;
        Assert.Equal((33, 25), decoder.ReadDraftSize(jpeg, "x.jpg", 16, 16));
        Assert.Equal((65, 49), decoder.ReadDraftSize(jpeg, "x.jpg", 40, 40));
    }

    [SkippableFact]
    public void ADraftWhoseSidesDoNotDivideGivesTurboJpegsSizeAndPixelsThroughLibvips()
    {
        Skip.IfNot(TurboJpeg.IsAvailable && LibjpegTurboDecoder.IsAvailable, "needs libturbojpeg.so.0 and libvips");
        var jpeg = Photo(65, 49);
        var decoder = ImageDecoder.Shared;
        foreach (int request in new[] { 16, 12 })
        {
            using var turbo = JpegRoute.On(true, () => decoder.DecodeDraft(jpeg, "x.jpg", Limits, request, request, int.MaxValue));
            using var other = JpegRoute.On(false, () => decoder.DecodeDraft(jpeg, "x.jpg", Limits, request, request, int.MaxValue));
            Assert.Equal(decoder.ReadDraftSize(jpeg, "x.jpg", request, request), (other.Width, other.Height));
            Assert.Equal(JpegRoute.Pixels(turbo), JpegRoute.Pixels(other));
            using var top = JpegRoute.On(false, () => decoder.DecodeDraft(jpeg, "x.jpg", Limits, request, request, 5));
            Assert.Equal((other.Width, 5), (top.Width, top.Height));
            Assert.Equal(JpegRoute.Pixels(other).AsSpan(0, other.Width * 5 * 3).ToArray(), JpegRoute.Pixels(top));
        }
    }

    [SkippableFact]
    public void GreyAndYCbCrGoThroughTurboJpegAndCmykDoesNot()
    {
        Skip.IfNot(TurboJpeg.IsAvailable && LibjpegTurboDecoder.IsAvailable, "needs libturbojpeg.so.0 and libvips");
        var decoder = ImageDecoder.Shared;
        var ycbcr = Photo(48, 40);
        Assert.True(UsedTurboJpeg(() => decoder.Decode(ycbcr, "x.jpg", Limits).Dispose()));
        Assert.True(UsedTurboJpeg(() => decoder.DecodeDraft(ycbcr, "x.jpg", Limits, 24, 20, int.MaxValue).Dispose()));
        Assert.False(UsedTurboJpeg(() => JpegRoute.On(false, () => { decoder.Decode(ycbcr, "x.jpg", Limits).Dispose(); return 0; })));
        Assert.False(UsedTurboJpeg(() => decoder.Decode(CmykJpegFixture.Jpeg, "x.jpg", Limits).Dispose()));
        // 3x3 at half size: TurboJPEG would pick 5/8 (see DecodesAtScale), so libvips decodes it.
        var tiny = Photo(3, 3);
        Assert.False(UsedTurboJpeg(() => decoder.DecodeDraft(tiny, "x.jpg", Limits, 1, 1, int.MaxValue).Dispose()));
    }

    [SkippableFact]
    public void CmykWithBlackIsPillows()
    {
        Skip.IfNot(LibjpegTurboDecoder.IsAvailable, $"libvips is not available: {LibjpegTurboDecoder.UnavailableReason}");
        var jpeg = CmykJpegFixture.Jpeg;
        foreach (bool turbo in new[] { true, false })
        {
            using var image = JpegRoute.On(turbo, () => ImageDecoder.Shared.Decode(jpeg, "cmyk.jpg", Limits));
            Assert.Equal((CmykJpegFixture.Width, CmykJpegFixture.Height), (image.Width, image.Height));
            Assert.True(CmykJpegFixture.PillowRgb.AsSpan().SequenceEqual(JpegRoute.Pixels(image)), $"TurboJPEG {turbo}: not Pillow's pixels");
        }
    }

    [Theory]
    [InlineData(2)]
    [InlineData(5)]
    public void OnlyOneThreeOrFourComponentsAreDecoded(int components)
    {
        var jpeg = Photo(48, 40);
        int sof = 2;
        while (!(jpeg[sof] == 0xFF && jpeg[sof + 1] == 0xC0)) sof++;
        jpeg[sof + 9] = (byte)components;
        var decoder = ImageDecoder.Shared;
        foreach (int request in new[] { 0, 20 })
        {
            var e = Assert.Throws<SampleException>(() =>
                (request == 0 ? decoder.Decode(jpeg, "x.jpg", Limits) : decoder.DecodeDraft(jpeg, "x.jpg", Limits, request, request, int.MaxValue)).Dispose());
            Assert.Equal(SampleFailureReason.Undecodable, e.Reason);
            Assert.Equal($"JPEG with {components} colour components", e.Detail);
        }
    }

    [Fact]
    public void AnEmptyFileAndAFileThatIsNoJpegAreRefusedByName()
    {
        var decoder = ImageDecoder.Shared;
        var empty = Assert.Throws<SampleException>(() => decoder.ReadSize(Array.Empty<byte>(), "x.jpg"));
        Assert.Equal((SampleFailureReason.Undecodable, "file is empty"), (empty.Reason, empty.Detail));
        var png = Assert.Throws<SampleException>(() => decoder.Decode(new byte[] { 0x89, 0x50, 0x4E, 0x47 }, "x.jpg", Limits));
        Assert.Equal((SampleFailureReason.Undecodable, "not a recognised image format"), (png.Reason, png.Detail));
    }

    [SkippableFact]
    public void ADraftWithOneSideDividingGoesThroughLibvipsWithLibjpegsSize()
    {
        Skip.IfNot(TurboJpeg.IsAvailable && LibjpegTurboDecoder.IsAvailable, "needs libturbojpeg.so.0 and libvips");
        var jpeg = Photo(66, 64);   // 64 divides by 4, 66 does not: libvips would round the width down
        var decoder = ImageDecoder.Shared;
        using var turbo = JpegRoute.On(true, () => decoder.DecodeDraft(jpeg, "x.jpg", Limits, 16, 16, int.MaxValue));
        using var other = JpegRoute.On(false, () => decoder.DecodeDraft(jpeg, "x.jpg", Limits, 16, 16, int.MaxValue));
        Assert.Equal((17, 16), (turbo.Width, turbo.Height));
        Assert.Equal((17, 16), (other.Width, other.Height));
        Assert.Equal(JpegRoute.Pixels(turbo), JpegRoute.Pixels(other));
    }

    [Fact]
    public void ADraftChecksTheLimitsOnTheFullSize()
    {
        var jpeg = Photo(64, 48);
        var limits = Limits with { MaxPixels = 64 * 48 - 1 };
        foreach (bool turbo in new[] { true, false })
        {
            var e = Assert.Throws<SampleException>(() => JpegRoute.On(turbo, () => ImageDecoder.Shared.DecodeDraft(jpeg, "x.jpg", limits, 16, 12, int.MaxValue)));
            Assert.Equal((SampleFailureReason.TooManyPixels, $"64x48 = 3072 pixels exceeds the limit of {64 * 48 - 1}"), (e.Reason, e.Detail));
        }
    }

    [SkippableFact]
    public void ACmykDraftRefusesADamagedFileForTheReasonTheFullDecodeGives()
    {
        Skip.IfNot(LibjpegTurboDecoder.IsAvailable, $"libvips is not available: {LibjpegTurboDecoder.UnavailableReason}");
        var jpeg = CmykJpegFixture.Jpeg;
        var decoder = ImageDecoder.Shared;
        int compared = 0;
        var random = new Random(7);
        for (int trial = 0; trial < 200; trial++)
        {
            var damaged = (byte[])jpeg.Clone();
            for (int k = 0; k < 1 + trial % 3; k++) damaged[random.Next(2, damaged.Length - 2)] = (byte)random.Next(256);
            SampleException? full = null;
            try { decoder.Decode(damaged, "x.jpg", Limits).Dispose(); }
            catch (SampleException e) { full = e; }
            if (full == null || !full.Detail.StartsWith("libjpeg-turbo: ")) continue;
            var draft = Assert.Throws<SampleException>(() => decoder.DecodeDraft(damaged, "x.jpg", Limits, 12, 8, int.MaxValue).Dispose());
            Assert.Equal((full.Reason, full.Detail), (draft.Reason, draft.Detail));
            compared++;
        }
        Assert.True(compared >= 10, $"only {compared} damaged files refused by libjpeg");
    }
}
