using VgtData.Images;
using VgtData.Tests.Fixtures;

namespace VgtData.Tests.Images;

/// <summary>The decoder at its edges: PNG headers at their size limits, image data that ends or breaks inside intact
/// chunks, drafts of files that are not JPEGs, and the route table.</summary>
[Collection(nameof(SerialJpegCollection))]
public sealed class DecoderEdgeTests
{
    private static readonly ImageLimits Limits = ImageLimits.Default with { MinImageSize = 0 };

    /// <summary>The signature and an IHDR (8-bit grey), nothing after it: 33 bytes.</summary>
    private static byte[] HeaderOnly(uint width, uint height) => TestImages.PngHead(width, height, 0);

    private static SampleException Refusal(IImageDecoder decoder, byte[] data) =>
        Assert.Throws<SampleException>(() => decoder.Decode(data, "x.png", Limits).Dispose());

    [Fact]
    public void AHeaderOnlyPngIsCutShortAndItsSizeIsCheckedFirst()
    {
        var cut = Refusal(ImageDecoder.Shared, HeaderOnly(4, 4));
        Assert.Equal((SampleFailureReason.Truncated, ContainerCheck.Png(HeaderOnly(4, 4))), (cut.Reason, cut.Detail));
        var bomb = Refusal(ImageDecoder.Shared, HeaderOnly(100_000, 100_000));
        Assert.Equal(SampleFailureReason.TooManyPixels, bomb.Reason);
        // The largest height a PNG may declare is a size, refused by the limits, not an invalid header.
        var tallest = Refusal(ImageDecoder.Shared, HeaderOnly(1, int.MaxValue));
        Assert.Equal((SampleFailureReason.TooManyPixels, $"1x{int.MaxValue} = {int.MaxValue} pixels exceeds the limit of {Limits.MaxPixels}"), (tallest.Reason, tallest.Detail));
        var past = Refusal(ImageDecoder.Shared, HeaderOnly(1, (uint)int.MaxValue + 1));
        Assert.Equal((SampleFailureReason.Undecodable, $"PNG header declares an invalid size 1x{(uint)int.MaxValue + 1}"), (past.Reason, past.Detail));
    }


    /// <summary>8 rows of an 8x8 grey image with some noise, unfiltered.</summary>
    private static byte[] GreyRows() =>
        Enumerable.Range(0, 8).SelectMany(y => new byte[] { 0 }.Concat(Enumerable.Range(0, 8).Select(x => (byte)(x * 31 ^ y * 17)))).ToArray();

    [Theory]
    [InlineData(true, SampleFailureReason.Truncated, "PNG image data ")]
    [InlineData(false, SampleFailureReason.Undecodable, "PNG image data is corrupt near row 0: ")]
    public void ImageDataShortOrBrokenInsideIntactChunksIsRefused(bool cut, SampleFailureReason reason, string detail)
    {
        var zlib = TestImages.Zlib(GreyRows());
        if (cut) zlib = zlib[..(zlib.Length / 2)];
        else for (int i = 2; i < zlib.Length - 4; i += 3) zlib[i] ^= 0xA5;
        var png = TestImages.PngFromZlib(8, 8, 0, zlib);
        var e = Refusal(ImageDecoder.Shared, png);
        Assert.Equal(reason, e.Reason);
        Assert.StartsWith(detail, e.Detail);
    }

    [SkippableFact]
    public void DraftsAreJpegOnly()
    {
        Skip.IfNot(LibjpegTurboDecoder.IsAvailable, $"libvips is not available: {LibjpegTurboDecoder.UnavailableReason}");
        var png = TestImages.PngFromZlib(8, 8, 0, TestImages.Zlib(GreyRows()));
        var jpeg = JpegRoute.Photo(64, 48);
        var decoder = ImageDecoder.Shared;
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
        using var top = ImageDecoder.Shared.DecodeDraft(rgb, "x.png", Limits, 2, 2, 3);
        using var all = ImageDecoder.Shared.Decode(rgb, "x.png", Limits);
        Assert.Equal((4, 3), (top.Width, top.Height));
        Assert.Equal(JpegRoute.Pixels(all)[..(4 * 3 * 3)], JpegRoute.Pixels(top));
    }

    [Fact]
    public void EachFormatHasOneRowInTheTable()
    {
        Assert.Equal(["PNG", "JPEG", "GIF", "ICO", "ImageSharp"], ImageDecoder.Shared.Routes.Select(r => r.Format));
        Assert.Equal("PNG", ImageDecoder.Shared.Route(TestImages.PngHead(4, 4, 0), "x").Format);
        Assert.Equal("JPEG", ImageDecoder.Shared.Route(JpegRoute.Photo(16, 16), "x").Format);
        Assert.Equal("GIF", ImageDecoder.Shared.Route("GIF89a"u8.ToArray(), "x").Format);
        Assert.Equal("ImageSharp", ImageDecoder.Shared.Route("BM"u8.ToArray().Concat(new byte[60]).ToArray(), "x").Format);
    }

    [Fact]
    public void LibVipsLoadsFromTheBundledPackage() =>
        Assert.True(LibVips.IsAvailable, $"libvips (NetVips.Native.linux-x64) did not load: {LibVips.UnavailableReason}");
}
