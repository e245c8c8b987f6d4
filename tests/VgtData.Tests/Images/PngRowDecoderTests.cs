using System.Buffers.Binary;
using System.Runtime.InteropServices;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.PixelFormats;
using VgtData.Images;

namespace VgtData.Tests.Images;

/// <summary>The zlib-ng row decoder behind the default decoder: every filter, partial rows, and broken image data.</summary>
public class PngRowDecoderTests
{
    private static Image<Rgba32> Noisy(int w, int h, int seed)
    {
        var random = new Random(seed);
        var img = new Image<Rgba32>(w, h);
        img.ProcessPixelRows(rows =>
        {
            for (int y = 0; y < h; y++)
            {
                var row = rows.GetRowSpan(y);
                for (int x = 0; x < w; x++)
                    row[x] = new Rgba32((byte)(x * 3 + random.Next(8)), (byte)(y * 5 + random.Next(8)), (byte)random.Next(256), (byte)random.Next(256));
            }
        });
        return img;
    }

    private static byte[] Png(Image<Rgba32> img, PngColorType color, PngFilterMethod filter)
    {
        using var ms = new MemoryStream();
        img.SaveAsPng(ms, new PngEncoder { ColorType = color, BitDepth = PngBitDepth.Bit8, FilterMethod = filter });
        return ms.ToArray();
    }

    private static byte[] Pixels(RgbImage image) => image.Pixels.ToArray();

    private static byte[] Pixels(Image<Rgb24> img)
    {
        var bytes = new byte[img.Width * img.Height * 3];
        img.CopyPixelDataTo(MemoryMarshal.Cast<byte, Rgb24>(bytes.AsSpan()));
        return bytes;
    }

    [Theory]
    [InlineData(PngColorType.Rgb, PngFilterMethod.None)]
    [InlineData(PngColorType.Rgb, PngFilterMethod.Sub)]
    [InlineData(PngColorType.Rgb, PngFilterMethod.Up)]
    [InlineData(PngColorType.Rgb, PngFilterMethod.Average)]
    [InlineData(PngColorType.Rgb, PngFilterMethod.Paeth)]
    [InlineData(PngColorType.Rgb, PngFilterMethod.Adaptive)]
    [InlineData(PngColorType.RgbWithAlpha, PngFilterMethod.Paeth)]
    [InlineData(PngColorType.RgbWithAlpha, PngFilterMethod.Adaptive)]
    public void EveryFilterDecodesLikeImageSharp(PngColorType color, PngFilterMethod filter)
    {
        using var source = Noisy(157, 93, (int)filter);
        var png = Png(source, color, filter);
        using var expected = ImageSharpRoute.Load(png, "x.png");
        using var actual = ImageDecoder.Shared.Decode(png, "x.png", ImageLimits.Default);
        Assert.Equal((157, 93), (actual.Width, actual.Height));
        Assert.Equal(Pixels(expected), Pixels(actual));
    }

    [Fact]
    public void PartialDecodeGivesTheSameTopRows()
    {
        using var source = Noisy(120, 300, 7);
        var png = Png(source, PngColorType.Rgb, PngFilterMethod.Adaptive);
        using var full = ImageDecoder.Shared.Decode(png, "x.png", ImageLimits.Default);
        using var top = ImageDecoder.Shared.Decode(png, "x.png", ImageLimits.Default, rowsNeeded: 131);
        Assert.Equal((120, 131), (top.Width, top.Height));
        Assert.Equal(Pixels(full).AsSpan(0, 120 * 131 * 3).ToArray(), Pixels(top));
    }

    [Fact]
    public void DatasetSampleIsTheSameWhateverTheDecoder()
    {
        // A portrait image: the crop window usually ends above the last row, so the fast decoder stops early.
        using var source = Noisy(200, 360, 3);
        var png = Png(source, PngColorType.Rgb, PngFilterMethod.Adaptive);
        for (int offset = 0; offset <= 160; offset += 40)
        {
            var box = CropBox.Square(200, 360, offset);
            using var a = ImageSharpRoute.Load(png, "x.png");
            using var b = ImageDecoder.Shared.Decode(png, "x.png", ImageLimits.Default, rowsNeeded: box.Lower);
            using var ra = SquareResize.Apply(a, box, 96, 96);
            using var rb = SquareResize.Apply(b, box, 96, 96);
            Assert.Equal(ra.Pixels.ToArray(), rb.Pixels.ToArray());
        }
    }

    /// <summary>Rewrites the IDAT payloads through <paramref name="edit"/> with valid chunk structure and CRCs.</summary>
    private static byte[] WithIdat(byte[] png, Func<byte[], byte[]> edit)
    {
        var idat = new MemoryStream();
        var before = new MemoryStream();
        var after = new MemoryStream();
        int pos = 8;
        before.Write(png, 0, 8);
        while (pos < png.Length)
        {
            int len = (int)BinaryPrimitives.ReadUInt32BigEndian(png.AsSpan(pos));
            var type = System.Text.Encoding.ASCII.GetString(png, pos + 4, 4);
            if (type == "IDAT") idat.Write(png, pos + 8, len);
            else (idat.Length == 0 ? before : after).Write(png, pos, 12 + len);
            pos += 12 + len;
        }
        var payload = edit(idat.ToArray());
        var chunk = new byte[12 + payload.Length];
        BinaryPrimitives.WriteUInt32BigEndian(chunk, (uint)payload.Length);
        "IDAT"u8.CopyTo(chunk.AsSpan(4));
        payload.CopyTo(chunk, 8);
        BinaryPrimitives.WriteUInt32BigEndian(chunk.AsSpan(8 + payload.Length), PngCrc.Compute(chunk.AsSpan(4, 4 + payload.Length)));
        return [.. before.ToArray(), .. chunk, .. after.ToArray()];
    }

    [Fact]
    public void ImageDataCutShortInsideIntactChunksIsTruncated()
    {
        using var source = Noisy(64, 96, 1);
        var png = WithIdat(Png(source, PngColorType.Rgb, PngFilterMethod.None), d => d[..(d.Length / 2)]);
        var e = Assert.Throws<SampleException>(() => ImageDecoder.Shared.Decode(png, "cut.png", ImageLimits.Default with { MinImageSize = 0 }));
        Assert.True(e.Reason is SampleFailureReason.Truncated or SampleFailureReason.Undecodable, e.Message);
        Assert.Equal("cut.png", e.Path);
    }

    [Fact]
    public void CorruptImageDataIsUndecodable()
    {
        using var source = Noisy(64, 96, 2);
        var png = WithIdat(Png(source, PngColorType.Rgb, PngFilterMethod.None), d =>
        {
            var copy = (byte[])d.Clone();
            for (int i = 2; i < copy.Length; i += 7) copy[i] ^= 0x5A;
            return copy;
        });
        var e = Assert.Throws<SampleException>(() => ImageDecoder.Shared.Decode(png, "bad.png", ImageLimits.Default with { MinImageSize = 0 }));
        Assert.True(e.Reason is SampleFailureReason.Undecodable or SampleFailureReason.Truncated, e.Message);
    }

    [Fact]
    public void SplitIdatChunksAreReadInOrder()
    {
        using var source = Noisy(90, 90, 4);
        var whole = Png(source, PngColorType.Rgb, PngFilterMethod.Adaptive);
        // Re-split the image data into 100-byte IDAT chunks.
        var parts = new List<byte[]>();
        var single = WithIdat(whole, d => { parts.AddRange(d.Chunk(100)); return d; });
        int idatStart = 33;
        int idatLength = (int)BinaryPrimitives.ReadUInt32BigEndian(single.AsSpan(idatStart));
        var rebuilt = new MemoryStream();
        rebuilt.Write(single, 0, idatStart);
        foreach (var p in parts)
        {
            var chunk = new byte[12 + p.Length];
            BinaryPrimitives.WriteUInt32BigEndian(chunk, (uint)p.Length);
            "IDAT"u8.CopyTo(chunk.AsSpan(4));
            p.CopyTo(chunk, 8);
            BinaryPrimitives.WriteUInt32BigEndian(chunk.AsSpan(8 + p.Length), PngCrc.Compute(chunk.AsSpan(4, 4 + p.Length)));
            rebuilt.Write(chunk);
        }
        rebuilt.Write(single, idatStart + 12 + idatLength, single.Length - idatStart - 12 - idatLength);
        var png = rebuilt.ToArray();
        Assert.True(parts.Count > 3);
        using var expected = ImageSharpRoute.Load(png, "x.png");
        using var actual = ImageDecoder.Shared.Decode(png, "x.png", ImageLimits.Default);
        Assert.Equal(Pixels(expected), Pixels(actual));
    }
}

public class PngUnfilterTests
{
    /// <summary>The filters as the PNG specification defines them, byte by byte.</summary>
    private static void Reference(byte filter, byte[] cur, byte[] prev, int bpp)
    {
        for (int i = 0; i < cur.Length; i++)
        {
            int a = i >= bpp ? cur[i - bpp] : 0, b = prev[i], c = i >= bpp ? prev[i - bpp] : 0;
            int p = a + b - c, pa = Math.Abs(p - a), pb = Math.Abs(p - b), pc = Math.Abs(p - c);
            int predictor = filter switch
            {
                1 => a,
                2 => b,
                3 => (a + b) >> 1,
                4 => pa <= pb && pa <= pc ? a : pb <= pc ? b : c,
                _ => 0,
            };
            cur[i] = (byte)(cur[i] + predictor);
        }
    }

    [Theory]
    [InlineData(3, 1)] [InlineData(3, 2)] [InlineData(3, 5)] [InlineData(3, 333)]
    [InlineData(4, 1)] [InlineData(4, 2)] [InlineData(4, 5)] [InlineData(4, 333)]
    [InlineData(3, 32)] [InlineData(4, 8)]   // rows of exactly whole vectors
    public void EveryFilterMatchesTheSpecification(int bpp, int pixels)
    {
        var random = new Random(bpp * 1000 + pixels);
        foreach (bool vectorize in new[] { true, false })
        for (byte filter = 0; filter <= 4; filter++)
            for (int trial = 0; trial < 20; trial++)
            {
                var cur = new byte[pixels * bpp];
                var prev = new byte[pixels * bpp];
                random.NextBytes(cur);
                random.NextBytes(prev);
                if (trial % 2 == 0) for (int i = 0; i < cur.Length; i++) { cur[i] &= 0x83; prev[i] |= 0x70; } // ties and extremes
                var expected = (byte[])cur.Clone();
                Reference(filter, expected, prev, bpp);
                PngRowDecoder.Unfilter(filter, cur, prev, bpp, "x.png", 0, vectorize);
                Assert.Equal(expected, cur);
            }
    }
}
