using System.Buffers.Binary;
using VgtData.Images;
using VgtData.Tests.Fixtures;

namespace VgtData.Tests.Images;

/// <summary>The PNG container checks before decoding (structure, CRCs, how much the image data inflates to) and the IDAT
/// stream, each refusal with its exact detail.</summary>
public sealed class PngContainerTests
{
    private static readonly byte[] Signature = [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];

    private static byte[] Chunk(string type, byte[] data, bool badCrc = false)
    {
        var chunk = TestImages.PngChunk(type, data);
        if (badCrc) for (int i = chunk.Length - 4; i < chunk.Length; i++) chunk[i] ^= 0xFF;
        return chunk;
    }

    private static byte[] Ihdr(int width, int height, byte colorType = 2, byte interlace = 0)
    {
        var d = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(d, width);
        BinaryPrimitives.WriteInt32BigEndian(d.AsSpan(4), height);
        d[8] = 8;
        d[9] = colorType;
        d[12] = interlace;
        return Chunk("IHDR", d);
    }

    private static byte[] Png(params byte[][] chunks) => Signature.Concat(chunks.SelectMany(c => c)).ToArray();

    /// <summary>A 4x3 RGB image: 3 rows of a filter byte and 12 bytes.</summary>
    private static byte[] Rows4x3 => Enumerable.Range(0, 3 * 13).Select(i => (byte)(i % 13 == 0 ? 0 : i * 7)).ToArray();

    // ---- ContainerCheck ----

    [Fact]
    public void ACompletePngPasses() =>
        Assert.Null(ContainerCheck.Png(Png(Ihdr(4, 3), Chunk("IDAT", TestImages.Zlib(Rows4x3)), Chunk("IEND", []))));

    [Fact]
    public void APngChunkRunningPastTheEndIsNamed()
    {
        var png = Png(Ihdr(4, 3), Chunk("IDAT", TestImages.Zlib(Rows4x3)), Chunk("IEND", []));
        int idat = 8 + 25;
        Assert.Equal($"PNG chunk 'IDAT' at byte {idat} needs {png.Length - 12 - idat - 12} bytes, the file ends at {png.Length - 13}",
            ContainerCheck.Png(png.AsSpan(0, png.Length - 13)));
        // A chunk that ends exactly at the end of the file is whole.
        Assert.Equal($"PNG ends at byte {png.Length - 12} without an IEND chunk", ContainerCheck.Png(png.AsSpan(0, png.Length - 12)));
    }

    [Fact]
    public void APngWithoutImageDataOrIendIsNamed()
    {
        Assert.Equal("PNG has no image data (IDAT)", ContainerCheck.Png(Png(Ihdr(4, 3), Chunk("IEND", []))));
        Assert.Equal("PNG ends at byte 8 without an IEND chunk", ContainerCheck.Png(Signature));
        // Seven bytes after the last chunk are not a chunk header.
        var png = Png(Ihdr(4, 3), Chunk("IDAT", TestImages.Zlib(Rows4x3)), new byte[7]);
        Assert.Equal($"PNG ends at byte {png.Length} without an IEND chunk", ContainerCheck.Png(png));
        // IEND's own eight header bytes, with its CRC missing, still end the chunk walk (its 12 bytes do not fit).
        var cut = Png(Ihdr(4, 3), Chunk("IDAT", TestImages.Zlib(Rows4x3)), Chunk("IEND", []).AsSpan(0, 8).ToArray());
        Assert.StartsWith("PNG chunk 'IEND' at byte", ContainerCheck.Png(cut));
    }

    [Fact]
    public void JpegNeedsAScanAndAnEndAfterIt()
    {
        Assert.Null(ContainerCheck.Jpeg(new byte[] { 0xFF, 0xD8, 0xFF, 0xDA, 1, 2, 0xFF, 0xD9 }));
        Assert.Equal("JPEG has no scan data", ContainerCheck.Jpeg(new byte[] { 0xFF, 0xD8, 0xFF, 0xE0, 0xFF, 0xD9 }));
        // An end-of-image marker before the last scan does not count.
        Assert.Equal("JPEG ends without an end-of-image marker",
            ContainerCheck.Jpeg(new byte[] { 0xFF, 0xD8, 0xFF, 0xDA, 0xFF, 0xD9, 0xFF, 0xDA, 1, 2 }));
    }

    // ---- PngCrc ----

    [Fact]
    public void TheFirstDamagedChunkIsNamedByIndexTypeAndPosition()
    {
        var idat = Chunk("IDAT", TestImages.Zlib(Rows4x3));
        Assert.Null(PngCrc.FindDamagedChunk(Png(Ihdr(4, 3), idat, Chunk("IEND", []))));
        Assert.Equal("PNG chunk 0 ('IHDR' at byte 8) fails its CRC check: the file is damaged",
            PngCrc.FindDamagedChunk(Png(Chunk("IHDR", new byte[13], badCrc: true), idat, Chunk("IEND", []))));
        Assert.Equal("PNG chunk 2 ('tEXt' at byte 49) fails its CRC check: the file is damaged",
            PngCrc.FindDamagedChunk(Png(Ihdr(4, 3), Chunk("gAMA", [0, 0, 0, 1]), Chunk("tEXt", [65], badCrc: true), Chunk("IDAT", [1], badCrc: true), Chunk("IEND", []))));
        Assert.Equal("PNG chunk 1 ('a?b?' at byte 33) fails its CRC check: the file is damaged",
            PngCrc.FindDamagedChunk(Png(Ihdr(4, 3), Chunk("a\u0001b\u007F", [], badCrc: true), Chunk("IEND", []))));
        Assert.Equal("PNG chunk 1 ('!~??' at byte 33) fails its CRC check: the file is damaged",
            PngCrc.FindDamagedChunk(Png(Ihdr(4, 3), Chunk("!~ \u0080", [], badCrc: true), Chunk("IEND", []))));
    }

    [Fact]
    public void NothingAfterIendOrPastTheEndIsChecked()
    {
        var png = Png(Ihdr(4, 3), Chunk("IDAT", TestImages.Zlib(Rows4x3)), Chunk("IEND", []));
        Assert.Null(PngCrc.FindDamagedChunk(png.Concat(Chunk("tEXt", [1, 2], badCrc: true)).ToArray()));
        // A chunk whose length runs off the end is ContainerCheck's refusal, not a CRC failure.
        var cut = Png(Ihdr(4, 3), Chunk("IDAT", TestImages.Zlib(Rows4x3), badCrc: true));
        Assert.Null(PngCrc.FindDamagedChunk(cut.AsSpan(0, cut.Length - 1)));
        Assert.NotNull(PngCrc.FindDamagedChunk(cut));
    }

    // ---- PngImageDataCheck ----

    [Theory]
    [InlineData(4, 3, 8, 2, false, 3 * (1 + 12))]
    [InlineData(4, 3, 8, 6, false, 3 * (1 + 16))]
    [InlineData(4, 3, 8, 0, false, 3 * (1 + 4))]
    [InlineData(4, 3, 8, 4, false, 3 * (1 + 8))]
    [InlineData(4, 3, 8, 3, false, 3 * (1 + 4))]
    [InlineData(5, 3, 1, 0, false, 3 * (1 + 1))]      // 5 bits round up to a byte
    [InlineData(9, 2, 1, 0, false, 2 * (1 + 2))]
    [InlineData(3, 3, 16, 2, false, 3 * (1 + 18))]
    [InlineData(0, 3, 8, 2, false, 0)]
    [InlineData(4, 3, 8, 5, false, 3)]                // an unknown colour type has no channels
    // Adam7 on 8x8 RGB: passes of 1x1, 1x1, 2x1, 2x2, 4x2, 4x4, 8x4 pixels.
    [InlineData(8, 8, 8, 2, true, (1 + 3) + (1 + 3) + (1 + 6) + 2 * (1 + 6) + 2 * (1 + 12) + 4 * (1 + 12) + 4 * (1 + 24))]
    // 1x1 interlaced: only the first pass has a pixel.
    [InlineData(1, 1, 8, 2, true, 1 + 3)]
    // 3x2 grey interlaced: pass 1 has pixel (0,0), pass 4 (2,0), pass 6 (1,0), pass 7 row 1 (all three).
    [InlineData(3, 2, 8, 0, true, (1 + 1) + 0 + 0 + (1 + 1) + 0 + (1 + 1) + (1 + 3))]
    public void ExpectedBytesCountsEveryRowsFilterByte(int width, int height, int bitDepth, int colorType, bool interlaced, long expected) =>
        Assert.Equal(expected, PngImageDataCheck.ExpectedBytes(width, height, bitDepth, colorType, interlaced));

    [Fact]
    public void ShortImageDataIsMeasuredAndNamed()
    {
        Assert.Null(PngImageDataCheck.FindShortImageData(Png(Ihdr(4, 3), Chunk("IDAT", TestImages.Zlib(Rows4x3)), Chunk("IEND", [])), "x.png"));
        Assert.Equal("PNG image data holds 26 of the 39 bytes its header promises",
            PngImageDataCheck.FindShortImageData(Png(Ihdr(4, 3), Chunk("IDAT", TestImages.Zlib(Rows4x3[..26])), Chunk("IEND", [])), "x.png"));
        Assert.Equal("PNG ends inside its header", PngImageDataCheck.FindShortImageData(Png(Ihdr(4, 3)).AsMemory(0, 32), "x.png"));
        // More data than the header promises is fine: only the promised rows are read.
        Assert.Null(PngImageDataCheck.FindShortImageData(Png(Ihdr(4, 3), Chunk("IDAT", TestImages.Zlib(Rows4x3.Concat(new byte[50]).ToArray())), Chunk("IEND", [])), "x.png"));
    }

    [Fact]
    public void ImageDataThatDoesNotInflateIsUndecodable()
    {
        var e = Assert.Throws<SampleException>(() =>
            PngImageDataCheck.FindShortImageData(Png(Ihdr(4, 3), Chunk("IDAT", [0x78, 0x9C, 0xFF, 0xFF, 0xFF, 0xFF]), Chunk("IEND", [])), "x.png"));
        Assert.Equal(SampleFailureReason.Undecodable, e.Reason);
        Assert.StartsWith("PNG image data is corrupt: ", e.Detail);
    }

    // ---- PngIdatStream ----

    private static byte[] ReadAll(byte[] png)
    {
        using var stream = new PngIdatStream(png, "x.png");
        var all = new List<byte>();
        var buffer = new byte[3];
        int n;
        while ((n = stream.Read(buffer)) > 0) all.AddRange(buffer.AsSpan(0, n).ToArray());
        return all.ToArray();
    }

    [Fact]
    public void ConsecutiveIdatPayloadsFormOneStreamThatEndsAtTheFirstOtherChunk()
    {
        var png = Png(Ihdr(4, 3), Chunk("tEXt", [9, 9]), Chunk("IDAT", [1, 2, 3, 4]), Chunk("IDAT", []), Chunk("IDAT", [5]),
            Chunk("tEXt", [8]), Chunk("IDAT", [6, 7]), Chunk("IEND", []));
        Assert.Equal(new byte[] { 1, 2, 3, 4, 5 }, ReadAll(png));
        // The last IDAT followed directly by the end of the file.
        Assert.Equal(new byte[] { 1, 2 }, ReadAll(Png(Ihdr(4, 3), Chunk("IDAT", [1, 2]))));
    }

    [Fact]
    public void NoIdatOrACutIdatIsRefused()
    {
        var none = Assert.Throws<SampleException>(() => new PngIdatStream(Png(Ihdr(4, 3), Chunk("IEND", [])), "x.png"));
        Assert.Equal((SampleFailureReason.Undecodable, "PNG has no image data (IDAT)"), (none.Reason, none.Detail));
        var png = Png(Ihdr(4, 3), Chunk("IDAT", [1, 2, 3, 4, 5, 6]));
        var cut = Assert.Throws<SampleException>(() => ReadAll(png[..^8]));   // two payload bytes and the CRC missing
        Assert.Equal((SampleFailureReason.Truncated, "PNG image data chunk is cut short"), (cut.Reason, cut.Detail));
    }

    [Fact]
    public void AnIdatHeaderEndingExactlyAtTheEndOfTheFileIsACutChunk()
    {
        // The first IDAT: its 8-byte header is found, its payload is missing.
        var first = Png(Ihdr(4, 3), Chunk("IDAT", [1, 2, 3])[..8]);
        var e = Assert.Throws<SampleException>(() => ReadAll(first));
        Assert.Equal((SampleFailureReason.Truncated, "PNG image data chunk is cut short"), (e.Reason, e.Detail));
        // A later IDAT: the stream goes on into it rather than ending after the first payload.
        var later = Png(Ihdr(4, 3), Chunk("IDAT", [1, 2]), Chunk("IDAT", [3, 4])[..8]);
        e = Assert.Throws<SampleException>(() => ReadAll(later));
        Assert.Equal((SampleFailureReason.Truncated, "PNG image data chunk is cut short"), (e.Reason, e.Detail));
    }
}
