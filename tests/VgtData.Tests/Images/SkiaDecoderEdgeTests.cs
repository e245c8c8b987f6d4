using VgtData.Images;
using VgtData.Tests.Fixtures;

namespace VgtData.Tests.Images;

/// <summary>The Skia decoder at its edges: PNG headers at their size limits, image data that ends or breaks inside intact
/// chunks, JPEGs decoded by Skia itself, drafts of files that are not JPEGs, and the decoders' names.</summary>
[Collection(nameof(SerialJpegCollection))]
public sealed class SkiaDecoderEdgeTests
{
    private static readonly ImageLimits Limits = ImageLimits.Default with { MinImageSize = 0 };

    /// <summary>The signature and an IHDR (8-bit grey), nothing after it: 33 bytes.</summary>
    private static byte[] HeaderOnly(uint width, uint height) => TestImages.PngHead(width, height, 0);

    private static SampleException Refusal(IImageDecoder decoder, byte[] data) =>
        Assert.Throws<SampleException>(() => decoder.Decode(data, "x.png", Limits).Dispose());

    [Fact]
    public void AHeaderOnlyPngIsCutShortAndItsSizeIsCheckedFirst()
    {
        var cut = Refusal(new SkiaDecoder(), HeaderOnly(4, 4));
        Assert.Equal((SampleFailureReason.Truncated, ContainerCheck.FindTruncation(HeaderOnly(4, 4))), (cut.Reason, cut.Detail));
        var bomb = Refusal(new SkiaDecoder(), HeaderOnly(100_000, 100_000));
        Assert.Equal(SampleFailureReason.TooManyPixels, bomb.Reason);
        // The largest height a PNG may declare is a size, refused by the limits, not an invalid header.
        var tallest = Refusal(new SkiaDecoder(), HeaderOnly(1, int.MaxValue));
        Assert.Equal((SampleFailureReason.TooManyPixels, $"1x{int.MaxValue} = {int.MaxValue} pixels exceeds the limit of {Limits.MaxPixels}"), (tallest.Reason, tallest.Detail));
        var past = Refusal(new SkiaDecoder(), HeaderOnly(1, (uint)int.MaxValue + 1));
        Assert.Equal((SampleFailureReason.Undecodable, $"PNG header declares an invalid size 1x{(uint)int.MaxValue + 1}"), (past.Reason, past.Detail));
    }


    /// <summary>8 rows of an 8x8 grey image with some noise, unfiltered.</summary>
    private static byte[] GreyRows() =>
        Enumerable.Range(0, 8).SelectMany(y => new byte[] { 0 }.Concat(Enumerable.Range(0, 8).Select(x => (byte)(x * 31 ^ y * 17)))).ToArray();

    [Theory]
    [InlineData(true, SampleFailureReason.Truncated, "PNG image data ")]
    [InlineData(false, SampleFailureReason.Undecodable, "PNG image data is corrupt: ")]
    public void ImageDataShortOrBrokenInsideIntactChunksGetsTheImageSharpRoutesVerdict(bool cut, SampleFailureReason reason, string detail)
    {
        var zlib = TestImages.Zlib(GreyRows());
        if (cut) zlib = zlib[..(zlib.Length / 2)];
        else for (int i = 2; i < zlib.Length - 4; i += 3) zlib[i] ^= 0xA5;
        var png = TestImages.PngFromZlib(8, 8, 0, zlib);
        var e = Refusal(new SkiaDecoder(), png);
        Assert.Equal(reason, e.Reason);
        Assert.StartsWith(detail, e.Detail);
        var imageSharp = Refusal(new ImageSharpDecoder(), png);
        Assert.Equal((imageSharp.Reason, imageSharp.Detail), (e.Reason, e.Detail));
    }

    [Fact]
    public void AnEmptyFileIsRefusedBeforeSkiaSeesIt()
    {
        var e = Assert.Throws<SampleException>(() => SkiaDecoder.WithCodec<int>(ReadOnlyMemory<byte>.Empty, "x.png", _ => 0));
        Assert.Equal((SampleFailureReason.Undecodable, "file is empty"), (e.Reason, e.Detail));
    }

    [SkippableFact]
    public void JpegsSkiaDecodesItselfAreLibjpegTurbosPixelsAndCutOnesAreTruncated()
    {
        Skip.IfNot(LibjpegTurboDecoder.IsAvailable, $"libvips is not available: {LibjpegTurboDecoder.UnavailableReason}");
        var jpeg = JpegRoute.Photo(40, 24);
        var skia = new SkiaDecoder(decodeJpeg: true);
        using var own = skia.Decode(jpeg, "x.jpg", Limits);
        using var turbo = new LibjpegTurboDecoder().Decode(jpeg, "x.jpg", Limits);
        Assert.Equal(JpegRoute.Pixels(turbo), JpegRoute.Pixels(own));
        var cut = jpeg[..(jpeg.Length * 2 / 3)];
        var e = Assert.Throws<SampleException>(() => skia.Decode(cut, "x.jpg", Limits).Dispose());
        Assert.Equal((SampleFailureReason.Truncated, ContainerCheck.FindTruncation(cut)), (e.Reason, e.Detail));
    }

    [SkippableFact]
    public void DraftsAreJpegOnly()
    {
        Skip.IfNot(LibjpegTurboDecoder.IsAvailable, $"libvips is not available: {LibjpegTurboDecoder.UnavailableReason}");
        var png = TestImages.PngFromZlib(8, 8, 0, TestImages.Zlib(GreyRows()));
        var jpeg = JpegRoute.Photo(64, 48);
        foreach (IImageDecoder decoder in new IImageDecoder[] { new SkiaDecoder(), new FastDecoder() })
        {
            Assert.Equal((8, 8), decoder.ReadDraftSize(png, "x.png", 2, 2));
            using var whole = decoder.DecodeDraft(png, "x.png", Limits, 2, 2, int.MaxValue);
            Assert.Equal((8, 8), (whole.Width, whole.Height));
            Assert.Equal((32, 24), decoder.ReadDraftSize(jpeg, "x.jpg", 32, 24));
            using var draft = decoder.DecodeDraft(jpeg, "x.jpg", Limits, 32, 24, int.MaxValue);
            Assert.Equal((32, 24), (draft.Width, draft.Height));
        }
        // The default decoder's draft of an RGB PNG is its own row decode, which stops after the rows asked for.
        var rgb = TestImages.PngFromZlib(4, 8, 2, TestImages.Zlib(Enumerable.Range(0, 8).SelectMany(y => new byte[] { 0 }.Concat(Enumerable.Range(0, 12).Select(i => (byte)(i * 20 + y)))).ToArray()));
        using var top = new FastDecoder().DecodeDraft(rgb, "x.png", Limits, 2, 2, 3);
        using var all = new FastDecoder().Decode(rgb, "x.png", Limits);
        Assert.Equal((4, 3), (top.Width, top.Height));
        Assert.Equal(JpegRoute.Pixels(all)[..(4 * 3 * 3)], JpegRoute.Pixels(top));
    }

    [Fact]
    public void EachDecoderHasItsName()
    {
        foreach (var name in ImageDecoders.Names) Assert.Equal(name, ImageDecoders.Create(name).Name);
        Assert.Equal("jpeg", new LibjpegTurboDecoder().Name);
    }

    [Fact]
    public void LibVipsLoadsFromTheBundledPackage() =>
        Assert.True(LibVips.IsAvailable, $"libvips (NetVips.Native.linux-x64) did not load: {LibVips.UnavailableReason}");
}
