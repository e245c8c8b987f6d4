using VgtData.Images;

namespace VgtData.Tests.Images;

/// <summary>The marker walk that finds a JPEG's frame header without decoding: every kind of marker it passes, and each
/// refusal with its reason and detail.</summary>
public sealed class JpegHeaderTests
{
    private static byte[] Bytes(params int[] values) => values.Select(v => (byte)v).ToArray();

    /// <summary>SOF<paramref name="marker"/>: length 17, 8 bits, height 16, width 32, 3 components (and their specs).</summary>
    private static int[] Frame(int marker = 0xC0, int height = 16, int width = 32, int components = 3) =>
        [0xFF, marker, 0x00, 0x11, 8, height >> 8, height & 0xFF, width >> 8, width & 0xFF, components, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1];

    private static int[] Soi => [0xFF, 0xD8];

    private static JpegHeader Read(params int[][] parts) => JpegHeader.Read(parts.SelectMany(p => p).Select(v => (byte)v).ToArray(), "x.jpg");

    private static SampleException Refused(params int[][] parts) => Assert.Throws<SampleException>(() => Read(parts));

    [Fact]
    public void IsJpegNeedsTheThreeSignatureBytes()
    {
        Assert.True(JpegHeader.IsJpeg(Bytes(0xFF, 0xD8, 0xFF)));
        Assert.False(JpegHeader.IsJpeg(Bytes(0xFF, 0xD8)));
        Assert.False(JpegHeader.IsJpeg(Bytes(0xFE, 0xD8, 0xFF)));
        Assert.False(JpegHeader.IsJpeg(Bytes(0xFF, 0xD9, 0xFF)));
        Assert.False(JpegHeader.IsJpeg(Bytes(0xFF, 0xD8, 0xFE)));
    }

    [Theory]
    [InlineData(0xC0)] [InlineData(0xC1)] [InlineData(0xC2)] [InlineData(0xC3)] [InlineData(0xC5)]
    [InlineData(0xC9)] [InlineData(0xCA)] [InlineData(0xCB)] [InlineData(0xCD)] [InlineData(0xCF)]
    public void EveryFrameMarkerGivesSizeAndComponents(int marker) =>
        Assert.Equal(new JpegHeader(32, 16, 3), Read(Soi, Frame(marker)));

    [Fact]
    public void SizesAreBigEndianSixteenBit() =>
        Assert.Equal(new JpegHeader(0x1234, 0x0456, 1), Read(Soi, Frame(height: 0x0456, width: 0x1234, components: 1)));

    [Theory]
    [InlineData(0xC4)] // DHT
    [InlineData(0xC8)] // JPG
    [InlineData(0xCC)] // DAC
    [InlineData(0xE0)] // APP0
    [InlineData(0xFE)] // COM
    public void SegmentsThatAreNotFramesAreSkippedByTheirLength(int marker)
    {
        // A segment whose bytes would read as a 7x5 frame, then the real frame.
        int[] segment = [0xFF, marker, 0x00, 0x0B, 8, 0, 5, 0, 7, 1, 0, 0, 0];
        Assert.Equal(new JpegHeader(32, 16, 3), Read(Soi, segment, Frame()));
    }

    [Fact]
    public void FillBytesAndStandaloneMarkersArePassed()
    {
        Assert.Equal(new JpegHeader(32, 16, 3), Read(Soi, [0xFF, 0xFF, 0xFF], Frame()));
        Assert.Equal(new JpegHeader(32, 16, 3), Read(Soi, [0xFF, 0xD0, 0xFF, 0xD3, 0xFF, 0xD7, 0xFF, 0x01], Frame()));
    }

    [Fact]
    public void ASegmentOfLengthTwoIsEmpty() =>
        Assert.Equal(new JpegHeader(32, 16, 3), Read(Soi, [0xFF, 0xE1, 0x00, 0x02], Frame()));

    [Fact]
    public void AFrameHeaderOfLengthEightEndingTheFileIsRead() =>
        Assert.Equal(new JpegHeader(32, 16, 3), Read(Soi, [0xFF, 0xC0, 0x00, 0x08, 8, 0, 16, 0, 32, 3]));

    [Fact]
    public void AByteThatIsNotAMarkerIsRefused()
    {
        var e = Refused(Soi, [0xFF, 0xE0, 0x00, 0x04, 0, 0], [0x12, 0xC0, 0, 0], Frame());
        Assert.Equal(SampleFailureReason.Undecodable, e.Reason);
        Assert.Equal("JPEG marker expected at byte 8", e.Detail);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    public void ASegmentShorterThanItsLengthFieldIsRefused(int length)
    {
        var e = Refused(Soi, [0xFF, 0xE0, 0x00, length], Frame());
        Assert.Equal(SampleFailureReason.Undecodable, e.Reason);
        Assert.Equal($"JPEG segment at byte 2 has length {length}", e.Detail);
    }

    [Fact]
    public void AFrameHeaderCutShortIsTruncated()
    {
        // Length 7 (one byte short of the fields), and a header whose bytes end before the component count.
        foreach (var frame in new[] { new[] { 0xFF, 0xC0, 0x00, 0x07, 8, 0, 16, 0, 32, 3, 0, 0 }, [0xFF, 0xC0, 0x00, 0x11, 8, 0, 16, 0, 32] })
        {
            var e = Refused(Soi, frame);
            Assert.Equal(SampleFailureReason.Truncated, e.Reason);
            Assert.Equal("JPEG frame header is cut short", e.Detail);
        }
        // The frame marker and length are the last four bytes: still a frame, cut short.
        Assert.Equal(SampleFailureReason.Truncated, Refused(Soi, [0xFF, 0xC0, 0x00, 0x11]).Reason);
    }

    [Theory]
    [InlineData(0, 16)]
    [InlineData(32, 0)]
    [InlineData(0, 0)]
    public void AZeroSideIsRefused(int width, int height)
    {
        var e = Refused(Soi, Frame(height: height, width: width));
        Assert.Equal(SampleFailureReason.Undecodable, e.Reason);
        Assert.Equal($"JPEG frame header declares a size of {width}x{height}", e.Detail);
    }

    [Theory]
    [InlineData(0xDA)] // image data (SOS) before any frame
    [InlineData(0xD9)] // end of image
    public void NoFrameBeforeTheImageDataIsRefused(int marker)
    {
        var e = Refused(Soi, [0xFF, marker, 0x00, 0x08], Frame());
        Assert.Equal(SampleFailureReason.Undecodable, e.Reason);
        Assert.Equal("JPEG has no frame header before its image data", e.Detail);
    }

    [Fact]
    public void AFileEndingBeforeAnyFrameIsRefused()
    {
        foreach (var tail in new[] { Array.Empty<int>(), [0xFF, 0xE0, 0x00, 0x02], [0xFF, 0xE0, 0x00, 0x10, 1, 2] })
        {
            var e = Refused(Soi, tail);
            Assert.Equal(SampleFailureReason.Undecodable, e.Reason);
            Assert.Equal("JPEG has no frame header before its image data", e.Detail);
        }
    }
}
