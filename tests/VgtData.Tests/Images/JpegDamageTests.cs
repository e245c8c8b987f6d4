using VgtData.Images;
using VgtData.Tests.Fixtures;

namespace VgtData.Tests.Images;

/// <summary>JPEGs whose headers libjpeg refuses: the same reason and libjpeg's own message on both routes, full size and
/// in draft mode; and the libvips messages that message is taken from.</summary>
[Collection(nameof(SerialJpegCollection))]
public sealed class JpegDamageTests
{
    private static readonly ImageLimits Limits = ImageLimits.Default with { MinImageSize = 0 };

    private static byte[] Photo() => JpegRoute.Photo(64, 48, redStep: 4, greenStep: 5);

    private static int Marker(byte[] jpeg, byte marker)
    {
        for (int i = 2; i < jpeg.Length - 1; i++)
            if (jpeg[i] == 0xFF && jpeg[i + 1] == marker) return i;
        throw new InvalidOperationException($"no marker {marker:X2}");
    }

    public static TheoryData<string, string> Damages => new()
    {
        { "quantisation table", "Quantization table 0x03 was not defined" },
        { "sampling factors", "Bogus sampling factors" },
        { "huffman table", "Bogus Huffman table definition" },
        { "scan component", "Invalid component ID 9 in SOS" },
    };

    private static byte[] Damaged(string kind)
    {
        var jpeg = Photo();
        int sof = Marker(jpeg, 0xC0), dht = Marker(jpeg, 0xC4), sos = Marker(jpeg, 0xDA);
        switch (kind)
        {
            case "quantisation table": jpeg[sof + 12] = 3; break;   // the first component's table selector
            case "sampling factors": jpeg[sof + 11] = 0; break;
            case "huffman table": jpeg.AsSpan(dht + 5, 16).Fill(0xFF); break;   // code counts past any code length
            case "scan component": jpeg[sos + 5] = 9; break;
        }
        return jpeg;
    }

    [SkippableTheory]
    [MemberData(nameof(Damages))]
    public void LibjpegsOwnMessageOnEitherRoute(string kind, string message)
    {
        Skip.IfNot(LibjpegTurboDecoder.IsAvailable, $"libvips is not available: {LibjpegTurboDecoder.UnavailableReason}");
        var jpeg = Damaged(kind);
        var decoder = ImageDecoder.Shared;
        foreach (bool turbo in new[] { true, false })
            foreach (int draft in new[] { 0, 16 })   // 16 asks for half size: 32x24, through libvips too
            {
                var e = Assert.Throws<SampleException>(() => JpegRoute.On(turbo, () =>
                    draft == 0 ? decoder.Decode(jpeg, "x.jpg", Limits) : decoder.DecodeDraft(jpeg, "x.jpg", Limits, draft, draft, int.MaxValue)).Dispose());
                Assert.Equal(SampleFailureReason.Undecodable, e.Reason);
                Assert.Equal("libjpeg-turbo: " + message, e.Detail);
            }
    }

    [Fact]
    public void TheMessageIsLibjpegsLastOrElseLibvipsFirstLine()
    {
        Assert.Equal("Bogus sampling factors", LibjpegTurboDecoder.LibjpegMessage("unable to call jpegload_source\nVipsJpeg: Bogus sampling factors\n"));
        Assert.Equal("Bogus Huffman table definition", LibjpegTurboDecoder.LibjpegMessage(
            "  unable to call jpegload_source \n VipsJpeg: Corrupt JPEG data: 3 extraneous bytes before marker 0xc4\nVipsJpeg: Bogus Huffman table definition"));
        Assert.Equal("unable to fetch from region", LibjpegTurboDecoder.LibjpegMessage("\n unable to fetch from region \nsomething else\n"));
        Assert.Equal("VipsJpeg:no space", LibjpegTurboDecoder.LibjpegMessage("VipsJpeg:no space"));
        Assert.Equal("no message", LibjpegTurboDecoder.LibjpegMessage(" \n "));
    }

    [Theory]
    [InlineData("unable to call jpegload_source\nVipsJpeg: Premature end of JPEG file", true)]
    [InlineData("VipsJpeg: premature END of input", true)]
    [InlineData("read gave 0 bytes: file TRUNCATED", true)]
    [InlineData("unable to call jpegload_source\nVipsJpeg: Bogus sampling factors", false)]
    [InlineData("", false)]
    public void ATruncationIsToldByLibjpegsWords(string message, bool truncated) =>
        Assert.Equal(truncated, LibjpegTurboDecoder.IsTruncation(message));

    [SkippableFact]
    public void AnUndamagedPhotoDecodesOnBothRoutesAlike()
    {
        Skip.IfNot(LibjpegTurboDecoder.IsAvailable, $"libvips is not available: {LibjpegTurboDecoder.UnavailableReason}");
        var jpeg = Photo();
        var decoder = ImageDecoder.Shared;
        byte[] Pixels(bool turbo, int draft)
        {
            using var image = JpegRoute.On(turbo, () => draft == 0 ? decoder.Decode(jpeg, "x.jpg", Limits) : decoder.DecodeDraft(jpeg, "x.jpg", Limits, draft, draft, int.MaxValue));
            Assert.Equal(draft == 0 ? (64, 48) : (32, 24), (image.Width, image.Height));
            return JpegRoute.Pixels(image);
        }
        Assert.Equal(Pixels(false, 0), Pixels(true, 0));
        Assert.Equal(Pixels(false, 16), Pixels(true, 16));
    }
}
