using System.Runtime.InteropServices;
using SixLabors.ImageSharp.PixelFormats;
using VgtData.Images;

namespace VgtData.Tests.Images;

/// <summary>The GIF reader's block walk, palette rules, interlacing and every refusal, on hand-built files.</summary>
public sealed class GifStructureTests
{
    private static readonly ImageLimits Limits = ImageLimits.Default with { MinImageSize = 0 };

    /// <summary>LZW codes for <paramref name="indices"/> that never grow past codeSize + 1 bits: a clear code before
    /// every pair of literals, then the end code.</summary>
    private static byte[] Lzw(byte[] indices, int codeSize, bool endCode = true)
    {
        var codes = new List<int>();
        int clear = 1 << codeSize;
        for (int i = 0; i < indices.Length; i++)
        {
            if (i % 2 == 0) codes.Add(clear);
            codes.Add(indices[i]);
        }
        if (endCode) codes.Add(clear + 1);
        return Pack(codes, codeSize + 1);
    }

    private static byte[] Pack(IEnumerable<int> codes, int bits) => PackWidths(codes.Select(c => (c, bits)).ToArray());

    /// <summary>Data sub-blocks of at most <paramref name="blockSize"/> bytes and the terminator.</summary>
    private static byte[] SubBlocks(byte[] data, int blockSize = 255)
    {
        var o = new List<byte>();
        for (int i = 0; i < data.Length; i += blockSize)
        {
            int n = Math.Min(blockSize, data.Length - i);
            o.Add((byte)n);
            o.AddRange(data.AsSpan(i, n).ToArray());
        }
        o.Add(0);
        return o.ToArray();
    }

    private static byte[] Screen(int width, int height, byte[]? globalPalette = null)
    {
        var o = new List<byte>("GIF89a"u8.ToArray()) { (byte)width, (byte)(width >> 8), (byte)height, (byte)(height >> 8) };
        o.Add(globalPalette == null ? (byte)0 : (byte)(0x80 | PaletteBits(globalPalette)));
        o.Add(0);
        o.Add(0);
        if (globalPalette != null) o.AddRange(globalPalette);
        return o.ToArray();
    }

    private static int PaletteBits(byte[] palette) => (int)Math.Log2(palette.Length / 3) - 1;

    private static byte[] Descriptor(int x0, int y0, int width, int height, byte[]? localPalette = null, bool interlaced = false)
    {
        var o = new List<byte> { (byte)',', (byte)x0, (byte)(x0 >> 8), (byte)y0, (byte)(y0 >> 8), (byte)width, (byte)(width >> 8), (byte)height, (byte)(height >> 8) };
        o.Add((byte)((localPalette == null ? 0 : 0x80 | PaletteBits(localPalette)) | (interlaced ? 0x40 : 0)));
        if (localPalette != null) o.AddRange(localPalette);
        return o.ToArray();
    }

    private static byte[] ControlBlock(int? transparent) =>
        [(byte)'!', 0xF9, 4, (byte)(transparent == null ? 0 : 1), 0, 0, (byte)(transparent ?? 0), 0];

    /// <summary>Four colours: red, green, blue, white.</summary>
    private static byte[] Palette4 => [255, 0, 0, 0, 255, 0, 0, 0, 255, 255, 255, 255];

    private static byte[] Gif(params byte[][] parts) => parts.SelectMany(p => p).ToArray();

    private static byte[] Frame(byte[] indices, int codeSize = 2) => [(byte)codeSize, .. SubBlocks(Lzw(indices, codeSize))];

    private static Rgb24[] Decode(byte[] gif)
    {
        using var image = ImageDecoder.Shared.Decode(gif, "x.gif", Limits);
        return MemoryMarshal.Cast<byte, Rgb24>(image.Pixels).ToArray();
    }

    private static SampleException Refused(byte[] gif) =>
        Assert.Throws<SampleException>(() => ImageDecoder.Shared.Decode(gif, "x.gif", Limits).Dispose());

    private static readonly Rgb24 Red = new(255, 0, 0), Green = new(0, 255, 0), Blue = new(0, 0, 255), White = new(255, 255, 255);

    [Fact]
    public void IndicesAreMappedThroughTheGlobalPalette()
    {
        var gif = Gif(Screen(3, 2, Palette4), Descriptor(0, 0, 3, 2), Frame([0, 1, 2, 3, 2, 1]), ";"u8.ToArray());
        Assert.Equal([Red, Green, Blue, White, Blue, Green], Decode(gif));
        Assert.Equal((3, 2), new PillowGifDecoder().ReadSize(gif, "x.gif"));
        Assert.True(PillowGifDecoder.IsGif(gif));
        Assert.True(PillowGifDecoder.IsGif("GIF87a"u8));
        Assert.False(PillowGifDecoder.IsGif("GIF88a"u8));
    }

    [Fact]
    public void ALocalPaletteWinsAndAGreyRampMeansNoPalette()
    {
        byte[] local = [9, 9, 9, 1, 2, 3, 4, 5, 6, 7, 8, 9];
        Assert.Equal([new Rgb24(9, 9, 9), new Rgb24(7, 8, 9)], Decode(Gif(Screen(2, 1, Palette4), Descriptor(0, 0, 2, 1, local), Frame([0, 3]), ";"u8.ToArray())));
        // A local grey ramp replaces the global palette with none: index i reads as grey i.
        byte[] ramp = [0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3];
        Assert.Equal([new Rgb24(0, 0, 0), new Rgb24(3, 3, 3)], Decode(Gif(Screen(2, 1, Palette4), Descriptor(0, 0, 2, 1, ramp), Frame([0, 3]), ";"u8.ToArray())));
        // No palette at all: grey.
        Assert.Equal([new Rgb24(2, 2, 2), new Rgb24(1, 1, 1)], Decode(Gif(Screen(2, 1), Descriptor(0, 0, 2, 1), Frame([2, 1]), ";"u8.ToArray())));
        // Indices past a small table read as grey.
        Assert.Equal([Red, new Rgb24(5, 5, 5)], Decode(Gif(Screen(2, 1, Palette4), Descriptor(0, 0, 2, 1), Frame([0, 5], codeSize: 3), ";"u8.ToArray())));
    }

    [Fact]
    public void AnOffsetFrameGrowsTheCanvasFilledWithTheTransparentIndex()
    {
        // Screen 2x2, frame 2x1 at (1, 1): canvas 3x2.
        var plain = Gif(Screen(2, 2, Palette4), Descriptor(1, 1, 2, 1), Frame([3, 1]), ";"u8.ToArray());
        Assert.Equal([Red, Red, Red, Red, White, Green], Decode(plain));
        Assert.Equal((3, 2), new PillowGifDecoder().ReadSize(plain, "x.gif"));
        var keyed = Gif(Screen(2, 2, Palette4), ControlBlock(2), Descriptor(1, 1, 2, 1), Frame([3, 1]), ";"u8.ToArray());
        Assert.Equal([Blue, Blue, Blue, Blue, White, Green], Decode(keyed));
        // A control block without the transparency flag fills with index 0.
        var unflagged = Gif(Screen(2, 2, Palette4), ControlBlock(null), Descriptor(1, 1, 2, 1), Frame([3, 1]), ";"u8.ToArray());
        Assert.Equal(Red, Decode(unflagged)[0]);
    }

    [Fact]
    public void OtherExtensionsAndStrayBytesAreSkipped()
    {
        byte[] comment = [(byte)'!', 0xFE, 3, (byte)'a', (byte)'b', (byte)'c', 2, 1, 2, 0];
        // Only the first sub-block of a control extension is read; a second one is skipped.
        byte[] control = [(byte)'!', 0xF9, 4, 1, 0, 0, 3, 2, 9, 9, 0];
        var gif = Gif(Screen(2, 2, Palette4), comment, [0x00, 0x42], control, Descriptor(0, 0, 1, 1), Frame([1]), ";"u8.ToArray());
        Assert.Equal([Green, White, White, White], Decode(gif));
    }

    [Fact]
    public void InterlacedRowsComeInAdam7Passes()
    {
        // 2x10 interlaced: rows in the order 0, 8, 4, 2, 6, 1, 3, 5, 7, 9.
        byte[] order = [0, 8, 4, 2, 6, 1, 3, 5, 7, 9];
        var palette = Enumerable.Range(0, 16).SelectMany(i => new[] { (byte)(10 * i), (byte)1, (byte)2 }).ToArray();
        var indices = order.SelectMany(r => new[] { (byte)r, (byte)r }).ToArray();
        var gif = Gif(Screen(2, 10, palette), Descriptor(0, 0, 2, 10, interlaced: true), Frame(indices, codeSize: 4), ";"u8.ToArray());
        Assert.Equal(Enumerable.Range(0, 20).Select(i => new Rgb24((byte)(10 * (i / 2)), 1, 2)), Decode(gif));
        // The same indices not interlaced stay in file order.
        var flat = Gif(Screen(2, 10, palette), Descriptor(0, 0, 2, 10), Frame(indices, codeSize: 4), ";"u8.ToArray());
        Assert.Equal(indices.Select(r => new Rgb24((byte)(10 * r), 1, 2)), Decode(flat));
    }

    /// <summary>LZW codes of the given widths, packed least significant bit first.</summary>
    private static byte[] PackWidths(params (int Code, int Bits)[] codes)
    {
        var bytes = new List<byte>();
        uint buffer = 0;
        int count = 0;
        foreach (var (code, width) in codes)
        {
            buffer |= (uint)code << count;
            count += width;
            while (count >= 8) { bytes.Add((byte)buffer); buffer >>= 8; count -= 8; }
        }
        if (count > 0) bytes.Add((byte)buffer);
        return bytes.ToArray();
    }

    [Fact]
    public void RepeatedStringsUseTheTableAndTheCodeBeingDefined()
    {
        // Code size 2 (clear 4, end 5): 1, 1 (entry 6 = "1 1"), 6 ("1 1"; entry 7; the codes widen to 4 bits), then 8, the
        // entry this very code defines ("1 1" + "1"), then end: 1 + 1 + 2 + 3 = 7 pixels.
        var lzw = PackWidths((4, 3), (1, 3), (1, 3), (6, 3), (8, 4), (5, 4));
        Assert.Equal("GIF image data ends after 7 of 9 pixels",
            Refused(Gif(Screen(9, 1, Palette4), Descriptor(0, 0, 9, 1), [2, .. SubBlocks(lzw)], ";"u8.ToArray())).Detail);
        Assert.All(Decode(Gif(Screen(7, 1, Palette4), Descriptor(0, 0, 7, 1), [2, .. SubBlocks(lzw)], ";"u8.ToArray())), p => Assert.Equal(Green, p));
    }

    [Fact]
    public void CodesWidenWhenTheTableFills()
    {
        // Code size 2 starts at 3 bits; after entries 6 and 7 the codes are 4 bits wide.
        var bytes = PackWidths((4, 3), (0, 3), (1, 3), (2, 3), (3, 4), (5, 4));
        var gif = Gif(Screen(4, 1, Palette4), Descriptor(0, 0, 4, 1), [2, .. SubBlocks(bytes, blockSize: 1)], ";"u8.ToArray());
        Assert.Equal([Red, Green, Blue, White], Decode(gif));
    }

    [Fact]
    public void WhatIsNotAGifOrCutInItsHeaderIsRefused()
    {
        var e = Refused("GIF88a\u0001\0\u0001\0\0\0\0;"u8.ToArray());
        Assert.Equal((SampleFailureReason.Undecodable, "not a recognised image format"), (e.Reason, e.Detail));
        var cut = Refused(Screen(1, 1)[..12]);
        Assert.Equal((SampleFailureReason.Truncated, "GIF screen descriptor is cut short"), (cut.Reason, cut.Detail));
        foreach (var noImage in new[] { Screen(1, 1), Gif(Screen(1, 1), ";"u8.ToArray()), Gif(Screen(1, 1, Palette4), [(byte)'!', 0xFE, 0], ";"u8.ToArray()) })
        {
            var none = Refused(noImage);
            Assert.Equal((SampleFailureReason.Undecodable, "GIF has no image"), (none.Reason, none.Detail));
        }
    }

    [Fact]
    public void ABlockCutShortIsTruncated()
    {
        var head = Screen(2, 1, Palette4);
        byte[][] cuts =
        [
            Gif(head, [(byte)'!']),                                  // extension without a label
            Gif(head, [(byte)'!', 0xFE]),                            // without a sub-block size
            Gif(head, [(byte)'!', 0xFE, 5, 1, 2]),                   // a sub-block running past the end
            Gif(head, Descriptor(0, 0, 2, 1)[..9]),                  // a descriptor one byte short
            Gif(head, Descriptor(0, 0, 2, 1, Palette4)[..^1]),       // a local palette one byte short
            Gif(head, Descriptor(0, 0, 2, 1)),                       // no code size
        ];
        foreach (var gif in cuts)
        {
            var e = Refused(gif);
            Assert.Equal((SampleFailureReason.Truncated, "GIF ends inside a block"), (e.Reason, e.Detail));
        }
    }

    [Fact]
    public void AShortControlBlockAndAnEmptyCanvasAreUndecodable()
    {
        var control = Refused(Gif(Screen(1, 1), [(byte)'!', 0xF9, 3, 1, 0, 0, 0], Descriptor(0, 0, 1, 1), Frame([0]), ";"u8.ToArray()));
        Assert.Equal((SampleFailureReason.Undecodable, "GIF graphic control block is too short"), (control.Reason, control.Detail));
        foreach (var (sw, sh, fw, fh) in new[] { (0, 0, 0, 0), (3, 0, 2, 0), (0, 2, 0, 1) })
        {
            var empty = Refused(Gif(Screen(sw, sh), Descriptor(0, 0, fw, fh), Frame([0]), ";"u8.ToArray()));
            Assert.Equal((SampleFailureReason.Undecodable, $"GIF declares a size of {Math.Max(sw, fw)}x{Math.Max(sh, fh)}"), (empty.Reason, empty.Detail));
        }
        // An empty frame on a screen with a size is the screen filled with index 0.
        Assert.Equal([Red, Red], Decode(Gif(Screen(2, 1, Palette4), Descriptor(0, 0, 0, 0), [2, 0], ";"u8.ToArray())));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(12)]
    public void ACodeSizeOutside1To11IsUndecodable(int codeSize)
    {
        var e = Refused(Gif(Screen(1, 1), Descriptor(0, 0, 1, 1), [(byte)codeSize, 1, 0, 0], ";"u8.ToArray()));
        Assert.Equal((SampleFailureReason.Undecodable, $"GIF LZW code size {codeSize} is outside 1..11"), (e.Reason, e.Detail));
    }

    [Fact]
    public void CodeSizesOneAndElevenDecode()
    {
        Assert.Equal([Green, Red], Decode(Gif(Screen(2, 1, Palette4[..6]), Descriptor(0, 0, 2, 1), Frame([1, 0], codeSize: 1), ";"u8.ToArray())));
        var grey = Decode(Gif(Screen(2, 1), Descriptor(0, 0, 2, 1), Frame([200, 7], codeSize: 11), ";"u8.ToArray()));
        Assert.Equal([new Rgb24(200, 200, 200), new Rgb24(7, 7, 7)], grey);
    }

    [Fact]
    public void BadCodesAreUndecodable()
    {
        // Code size 2: clear 4, end 5, first free entry 6.
        var start = Refused(Gif(Screen(2, 1), Descriptor(0, 0, 2, 1), [2, .. SubBlocks(Pack([4, 6, 5], 3))], ";"u8.ToArray()));
        Assert.Equal((SampleFailureReason.Undecodable, "GIF LZW data starts with code 6"), (start.Reason, start.Detail));
        var clearThenFour = Refused(Gif(Screen(2, 1), Descriptor(0, 0, 2, 1), [2, .. SubBlocks(Pack([6], 3))], ";"u8.ToArray()));
        Assert.Equal("GIF LZW data starts with code 6", clearThenFour.Detail);   // no clear code first: the same
        var past = Refused(Gif(Screen(3, 1), Descriptor(0, 0, 3, 1), [2, .. SubBlocks(Pack([4, 1, 7, 5], 3))], ";"u8.ToArray()));
        Assert.Equal((SampleFailureReason.Undecodable, "GIF LZW code 7 is past the table (6)"), (past.Reason, past.Detail));
    }

    [Fact]
    public void DataEndingEarlyIsTruncatedWithTheCountWritten()
    {
        var frame = Descriptor(0, 0, 9, 1);
        // 1, 2, 1, 2, 1 in exactly three bytes (eight 3-bit codes), so no padding bits can read as another code.
        var five = Pack([4, 1, 2, 4, 1, 2, 4, 1], 3);
        (byte[] Gif, int Written)[] shorts =
        [
            (Gif(Screen(9, 1), frame, [2, .. SubBlocks(Pack([4, 1, 2, 5], 3))], ";"u8.ToArray()), 2),   // the end code
            (Gif(Screen(9, 1), frame, [2, .. SubBlocks(five)], ";"u8.ToArray()), 5),                     // the sub-blocks end
            (Gif(Screen(9, 1), frame, [2, 3, .. five]), 5),                                              // the file ends
            (Gif(Screen(9, 1), frame, [2, 9, .. five]), 5),                                              // ... inside a sub-block
        ];
        foreach (var (gif, written) in shorts)
        {
            var e = Refused(gif);
            Assert.Equal((SampleFailureReason.Truncated, $"GIF image data ends after {written} of 9 pixels"), (e.Reason, e.Detail));
        }
    }

    [Fact]
    public void MoreEdgesOfTheBlockWalk()
    {
        Assert.Equal("GIF", new PillowGifDecoder().Format);
        // The transparency index counts only with its flag: unflagged, the fill is index 0 whatever the index byte says.
        byte[] unflagged = [(byte)'!', 0xF9, 4, 0, 0, 0, 2, 0];
        Assert.Equal(Red, Decode(Gif(Screen(2, 2, Palette4), unflagged, Descriptor(1, 1, 1, 1), Frame([3]), ";"u8.ToArray()))[0]);
        // A descriptor and code size ending the file: a frame with no data, not a cut block.
        var noData = Refused(Gif(Screen(2, 1, Palette4), Descriptor(0, 0, 2, 1), [2]));
        Assert.Equal((SampleFailureReason.Truncated, "GIF image data ends after 0 of 2 pixels"), (noData.Reason, noData.Detail));
        // A local palette ending the file: the code size is missing.
        var noCodeSize = Refused(Gif(Screen(2, 1), Descriptor(0, 0, 2, 1, Palette4)));
        Assert.Equal((SampleFailureReason.Truncated, "GIF ends inside a block"), (noCodeSize.Reason, noCodeSize.Detail));
        // Data that starts without a clear code: the table starts after the end code all the same.
        var noClear = Gif(Screen(4, 1, Palette4), Descriptor(0, 0, 4, 1), [2, .. SubBlocks(Pack([1, 1, 6, 5], 3))], ";"u8.ToArray());
        Assert.All(Decode(noClear), p => Assert.Equal(Green, p));
    }

    [Fact]
    public void OnlyTheExactGreyRampIsDropped()
    {
        // Near the ramp in one way each ((i, 255 − i, i), (3i, 3i, 3i), (i, i, i + 7), grey but not i): colours used.
        byte[] offRamp = [0, 255, 0, 1, 254, 1, 2, 253, 2, 3, 252, 3];
        Assert.Equal([new Rgb24(1, 254, 1), new Rgb24(3, 252, 3)], Decode(Gif(Screen(2, 1, offRamp), Descriptor(0, 0, 2, 1), Frame([1, 3]), ";"u8.ToArray())));
        byte[] triple = [0, 0, 0, 9, 9, 9, 18, 18, 18, 27, 27, 27];
        Assert.Equal([new Rgb24(9, 9, 9), new Rgb24(27, 27, 27)], Decode(Gif(Screen(2, 1, triple), Descriptor(0, 0, 2, 1), Frame([1, 3]), ";"u8.ToArray())));
        byte[] blueOff = [0, 0, 7, 1, 1, 8, 2, 2, 9, 3, 3, 10];
        Assert.Equal([new Rgb24(0, 0, 7), new Rgb24(3, 3, 10)], Decode(Gif(Screen(2, 1, blueOff), Descriptor(0, 0, 2, 1), Frame([0, 3]), ";"u8.ToArray())));
        byte[] greyOff = [5, 5, 5, 9, 9, 9, 6, 6, 6, 7, 7, 7];
        Assert.Equal([new Rgb24(9, 9, 9), new Rgb24(7, 7, 7)], Decode(Gif(Screen(2, 1, greyOff), Descriptor(0, 0, 2, 1), Frame([1, 3]), ";"u8.ToArray())));
    }
}
