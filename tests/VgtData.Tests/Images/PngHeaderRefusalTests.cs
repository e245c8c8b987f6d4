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

    private static void AssertRefused(byte[] png, string detail)
    {
        var d = ImageDecoder.Shared;
        foreach (var attempt in new Action[] { () => d.ReadSize(png, "x.png"), () => d.Decode(png, "x.png", ImageLimits.Default).Dispose() })
        {
            var e = Assert.Throws<SampleException>(attempt);
            Assert.Equal((SampleFailureReason.Undecodable, detail), (e.Reason, e.Detail));
        }
    }

    [Fact]
    public void TheFirstChunkMustBeIhdr()
    {
        AssertRefused(Header(5, 5, type: "IHDX"), "PNG does not start with an IHDR chunk");
        AssertRefused(Header(5, 5)[..32], "PNG does not start with an IHDR chunk");
    }

    [Fact]
    public void AHeaderFailingItsChecksumIsRefusedBeforeItsSize() =>
        AssertRefused(Header(0, 5, goodCrc: false), "PNG header (IHDR) checksum does not match");

    [Fact]
    public void AZeroOrNegativeSideIsAnInvalidSize()
    {
        AssertRefused(Header(0, 5), "PNG header declares an invalid size 0x5");
        AssertRefused(Header(5, 0), "PNG header declares an invalid size 5x0");
        AssertRefused(Header(0x80000000, 5), "PNG header declares an invalid size 2147483648x5");
        AssertRefused(Header(5, 0x80000000), "PNG header declares an invalid size 5x2147483648");
        Assert.Equal((0x7FFFFFFF, 5), ImageDecoder.Shared.ReadSize(Header(0x7FFFFFFF, 5), "x.png"));
    }

    [Fact]
    public void BytesNoFormatMatchesAreNotARecognisedImage()
    {
        var d = ImageDecoder.Shared;        var e = Assert.Throws<SampleException>(() => d.ReadSize("hello, world"u8.ToArray(), "x.png"));
        Assert.Equal((SampleFailureReason.Undecodable, "not a recognised image format"), (e.Reason, e.Detail));
        var empty = Assert.Throws<SampleException>(() => d.Decode(Array.Empty<byte>(), "x.png", ImageLimits.Default));
        Assert.Equal((SampleFailureReason.Undecodable, "file is empty"), (empty.Reason, empty.Detail));
    }
}
