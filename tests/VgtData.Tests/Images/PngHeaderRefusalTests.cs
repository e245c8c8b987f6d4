using System.Buffers.Binary;
using VgtData.Images;
using VgtData.Tests.Fixtures;

namespace VgtData.Tests.Images;

/// <summary>A PNG header the Skia-based decoders refuse before anything is decoded, each with its detail; and a JPEG
/// whose header Skia itself (decodeJpeg) cannot read.</summary>
public sealed class PngHeaderRefusalTests
{
    private static byte[] Header(uint width, uint height, bool goodCrc = true, string type = "IHDR")
    {
        var png = TestImages.PngWithHeader(5, 5);
        BinaryPrimitives.WriteUInt32BigEndian(png.AsSpan(16), width);
        BinaryPrimitives.WriteUInt32BigEndian(png.AsSpan(20), height);
        System.Text.Encoding.ASCII.GetBytes(type).CopyTo(png, 12);
        uint crc = TestImages.Crc32(png.AsSpan(12, 17));
        BinaryPrimitives.WriteUInt32BigEndian(png.AsSpan(29), goodCrc ? crc : crc ^ 1);
        return png;
    }

    public static TheoryData<string> Decoders => new() { "skia", "fast" };

    private static void AssertRefused(string decoder, byte[] png, string detail)
    {
        var d = ImageDecoders.Create(decoder);
        foreach (var attempt in new Action[] { () => d.ReadSize(png, "x.png"), () => d.Decode(png, "x.png", ImageLimits.Default).Dispose() })
        {
            var e = Assert.Throws<SampleException>(attempt);
            Assert.Equal((SampleFailureReason.Undecodable, detail), (e.Reason, e.Detail));
        }
    }

    [Theory]
    [MemberData(nameof(Decoders))]
    public void TheFirstChunkMustBeIhdr(string decoder)
    {
        AssertRefused(decoder, Header(5, 5, type: "IHDX"), "PNG does not start with an IHDR chunk");
        AssertRefused(decoder, Header(5, 5)[..32], "PNG does not start with an IHDR chunk");
    }

    [Theory]
    [MemberData(nameof(Decoders))]
    public void AHeaderFailingItsChecksumIsRefusedBeforeItsSize(string decoder) =>
        AssertRefused(decoder, Header(0, 5, goodCrc: false), "PNG header (IHDR) checksum does not match");

    [Theory]
    [MemberData(nameof(Decoders))]
    public void AZeroOrNegativeSideIsAnInvalidSize(string decoder)
    {
        AssertRefused(decoder, Header(0, 5), "PNG header declares an invalid size 0x5");
        AssertRefused(decoder, Header(5, 0), "PNG header declares an invalid size 5x0");
        AssertRefused(decoder, Header(0x80000000, 5), "PNG header declares an invalid size 2147483648x5");
        AssertRefused(decoder, Header(5, 0x80000000), "PNG header declares an invalid size 5x2147483648");
        Assert.Equal((0x7FFFFFFF, 5), ImageDecoders.Create(decoder).ReadSize(Header(0x7FFFFFFF, 5), "x.png"));
    }

    [Fact]
    public void AJpegSkiaCannotReadIsRefusedByName()
    {
        var skia = new SkiaDecoder(decodeJpeg: true);
        byte[] notReally = [0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x02, 0x00, 0x00];
        var e = Assert.Throws<SampleException>(() => skia.ReadSize(notReally, "x.jpg"));
        Assert.Equal((SampleFailureReason.Undecodable, "Skia cannot read this file's header"), (e.Reason, e.Detail));
        var empty = Assert.Throws<SampleException>(() => skia.ReadSize(Array.Empty<byte>(), "x.jpg"));
        Assert.Equal("file is empty", empty.Detail);
    }

    [Theory]
    [InlineData("imagesharp")]
    [InlineData("skia")]
    [InlineData("fast")]
    public void BytesNoFormatMatchesAreNotARecognisedImage(string decoder)
    {
        var d = ImageDecoders.Create(decoder);
        var e = Assert.Throws<SampleException>(() => d.ReadSize("hello, world"u8.ToArray(), "x.png"));
        Assert.Equal((SampleFailureReason.Undecodable, "not a recognised image format"), (e.Reason, e.Detail));
        var empty = Assert.Throws<SampleException>(() => d.Decode(Array.Empty<byte>(), "x.png", ImageLimits.Default));
        Assert.Equal((SampleFailureReason.Undecodable, "file is empty"), (empty.Reason, empty.Detail));
    }
}
