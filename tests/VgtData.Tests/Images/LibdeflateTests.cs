using System.IO.Compression;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.PixelFormats;
using VgtData.Images;
using VgtData.Tests.Fixtures;
using VgtData.Tests.Images.Fuzz;

namespace VgtData.Tests.Images;

/// <summary>The PNG row decoder gives the same pixels and the same verdicts with libdeflate as with zlib-ng.</summary>
public sealed class LibdeflateTests
{
    private static readonly ImageLimits Limits = ImageLimits.Default with { MinImageSize = 0 };

    /// <summary>Runs <paramref name="work"/> with libdeflate switched on or off on this thread.</summary>
    internal static T On<T>(bool libdeflate, Func<T> work)
    {
        bool was = Libdeflate.Enabled;
        Libdeflate.Enabled = libdeflate;
        try
        {
            return work();
        }
        finally
        {
            Libdeflate.Enabled = was;
        }
    }

    private static byte[] Decode(byte[] png, int rows, bool libdeflate) => On(libdeflate, () =>
    {
        using var image = ImageDecoder.Shared.Decode(png, "x.png", Limits, rows);
        return JpegRoute.Pixels(image);
    });

    [SkippableFact]
    public void SamePixelsAsZlibNg()
    {
        Skip.IfNot(Libdeflate.IsAvailable, "libdeflate.so.0 is not installed (Debian: libdeflate0)");
        foreach (var png in FuzzSeeds.Png())
            foreach (int rows in new[] { int.MaxValue, 7, 1 })
                Assert.Equal(Decode(png, rows, libdeflate: false), Decode(png, rows, libdeflate: true));
    }

    [SkippableFact]
    public void SameVerdictsOnDamagedData()
    {
        Skip.IfNot(Libdeflate.IsAvailable, "libdeflate.so.0 is not installed (Debian: libdeflate0)");
        var seeds = FuzzSeeds.Png();
        for (int i = 0; i < 600; i++)
        {
            var rng = new Random(i);
            var input = ImageMutator.Mutate(seeds[i % seeds.Count], rng);
            int rows = rng.Next(2) == 0 ? int.MaxValue : 1 + rng.Next(40);
            string Verdict(bool libdeflate)
            {
                try { return Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(Decode(input, rows, libdeflate))); }
                catch (SampleException e) { return e.Reason.ToString(); }
            }
            Assert.True(Verdict(false) == Verdict(true), $"case {i}: zlib-ng and libdeflate disagree");
        }
    }
    /// <summary>Scanlines of a smooth, noisy image, the filter type cycling through 0–4, deflated at <paramref name="level"/>.</summary>
    private static byte[] Zlib(int width, int height, int bpp, CompressionLevel level, int seed)
    {
        var rng = new Random(seed);
        int stride = width * bpp + 1;
        var raw = new byte[stride * height];
        for (int y = 0; y < height; y++)
        {
            raw[y * stride] = (byte)(y % 5);
            for (int x = 1; x < stride; x++) raw[y * stride + x] = (byte)(x / 7 + y / 3 + rng.Next(4));
        }
        return TestImages.Zlib(raw, level);
    }

    [SkippableTheory]
    [InlineData(CompressionLevel.NoCompression, 3, int.MaxValue)]   // stored blocks
    [InlineData(CompressionLevel.NoCompression, 4, 5000)]
    [InlineData(CompressionLevel.Fastest, 3, 8192)]
    [InlineData(CompressionLevel.SmallestSize, 3, int.MaxValue)]
    [InlineData(CompressionLevel.SmallestSize, 4, 777)]
    public void EveryCompressionAndChunkingGivesZlibNgsRows(CompressionLevel level, int bpp, int idatChunk)
    {
        Skip.IfNot(Libdeflate.IsAvailable, "libdeflate.so.0 is not installed (Debian: libdeflate0)");
        const int width = 256, height = 400;
        byte colorType = bpp == 4 ? (byte)6 : (byte)2;
        var png = TestImages.PngFromZlib(width, height, colorType, Zlib(width, height, bpp, level, seed: bpp), idatChunk);
        foreach (int rows in new[] { 1, 2, 50, 399, 400 })
        {
            var expected = Decode(png, rows, libdeflate: false);
            Assert.Equal(width * rows * 3, expected.Length);
            using var fast = PngRowDecoder.DecodeWithLibdeflate(png, width, height, colorType, rows, "x.png");
            Assert.True(fast != null, $"{rows} rows: libdeflate left the stream to zlib-ng");
            Assert.True(expected.AsSpan().SequenceEqual(fast!.Pixels), $"{level}, {bpp} bytes per pixel, {rows} rows: pixels differ");
        }
    }

    [SkippableFact]
    public void AStreamFailingItsChecksumIsLeftToZlibNg()
    {
        Skip.IfNot(Libdeflate.IsAvailable, "libdeflate.so.0 is not installed (Debian: libdeflate0)");
        const int width = 256, height = 400;
        var zlib = Zlib(width, height, 3, CompressionLevel.Fastest, seed: 9);
        zlib[^1] ^= 0x55;   // the Adler-32 at the end: only a decoder that reads to the end sees it
        var png = TestImages.PngFromZlib(width, height, 2, zlib);
        // libdeflate always reads to the end and rejects the checksum, whatever the crop needs.
        Assert.Null(PngRowDecoder.DecodeWithLibdeflate(png, width, height, 2, 100, "x.png"));
        Assert.Null(PngRowDecoder.DecodeWithLibdeflate(png, width, height, 2, height, "x.png"));
        // zlib-ng decides, and it too reads to the checksum whatever the crop needs (Pillow refuses the file).
        foreach (bool libdeflate in new[] { false, true })
            foreach (int rows in new[] { 100, height })
                Assert.Equal(SampleFailureReason.Undecodable, Assert.Throws<SampleException>(() => Decode(png, rows, libdeflate)).Reason);
    }

    [SkippableFact]
    public void DamagedStreamsGetZlibNgsVerdictOrTheirEncodersPixels()
    {
        Skip.IfNot(Libdeflate.IsAvailable, "libdeflate.so.0 is not installed (Debian: libdeflate0)");
        const int width = 256, height = 400;
        var clean = Zlib(width, height, 3, CompressionLevel.Fastest, seed: 4);
        var cleanPng = TestImages.PngFromZlib(width, height, 2, clean);
        var verdicts = new Dictionary<string, int>();
        for (int i = 0; i < 300; i++)
        {
            var rng = new Random(i);
            var zlib = (byte[])clean.Clone();
            zlib[2 + rng.Next(zlib.Length - 2)] ^= (byte)(1 << rng.Next(8));
            var png = TestImages.PngFromZlib(width, height, 2, zlib);   // CRCs recomputed: only the stream is damaged
            int rows = 1 + rng.Next(height);
            string Verdict(byte[] file, bool libdeflate)
            {
                try { return Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(Decode(file, rows, libdeflate))); }
                catch (SampleException e) { return e.Reason.ToString(); }
            }
            string zlibNg = Verdict(png, false), viaLibdeflate = Verdict(png, true);
            string kind = zlibNg == viaLibdeflate ? (zlibNg.Length == 64 ? "decoded" : zlibNg) : "libdeflate only";
            if (zlibNg != viaLibdeflate)
            {
                // libdeflate decodes a few codes zlib refuses (distance codes 30-31, length codes 286-287); reading to
                // the end, it serves such a stream only when its output matches the Adler-32: the encoder's pixels.
                Assert.True(zlibNg == nameof(SampleFailureReason.Undecodable), $"case {i} ({rows} rows): zlib-ng {zlibNg}, libdeflate {viaLibdeflate}");
                Assert.True(Verdict(cleanPng, true) == viaLibdeflate, $"case {i} ({rows} rows): libdeflate served damaged pixels");
            }
            verdicts[kind] = verdicts.GetValueOrDefault(kind) + 1;
        }
        Console.WriteLine("damaged streams: " + string.Join(", ", verdicts.Select(kv => $"{kv.Key} {kv.Value}")));
        Assert.True(verdicts.GetValueOrDefault("decoded") > 0 && verdicts.GetValueOrDefault(nameof(SampleFailureReason.Undecodable)) > 0);
    }

    /// <summary>4x3 RGB rows with the given filter bytes (pixels all 7).</summary>
    private static byte[] Rows(params byte[] filters) =>
        filters.SelectMany(f => new[] { f }.Concat(Enumerable.Repeat((byte)7, 12))).ToArray();

    private static SampleException RefusedOnEitherPath(byte[] png, int rows)
    {
        SampleException? first = null;
        foreach (bool libdeflate in Libdeflate.IsAvailable ? new[] { false, true } : [false])
        {
            var e = Assert.Throws<SampleException>(() => Decode(png, rows, libdeflate));
            if (first != null) Assert.Equal((first.Reason, first.Detail), (e.Reason, e.Detail));
            first ??= e;
        }
        return first!;
    }

    [Fact]
    public void AnUnknownFilterTypeIsNamedWithItsRow()
    {
        var png = TestImages.PngFromZlib(4, 3, 2, TestImages.Zlib(Rows(0, 4, 5)));
        var e = RefusedOnEitherPath(png, int.MaxValue);
        Assert.Equal((SampleFailureReason.Undecodable, "PNG row 2 has unknown filter type 5"), (e.Reason, e.Detail));
        // Below the crop too: the rows past it are still checked, as Pillow refuses the file.
        var top = RefusedOnEitherPath(png, 2);
        Assert.Equal((e.Reason, e.Detail), (top.Reason, top.Detail));
    }

    [Fact]
    public void ImageDataEndingEarlyNamesTheRowsItHolds()
    {
        var png = TestImages.PngFromZlib(4, 3, 2, TestImages.Zlib(Rows(0, 1)));
        var e = RefusedOnEitherPath(png, int.MaxValue);
        Assert.Equal((SampleFailureReason.Truncated, "PNG image data ends after 2 of 3 rows"), (e.Reason, e.Detail));
        var top = RefusedOnEitherPath(png, 2);
        Assert.Equal((e.Reason, e.Detail), (top.Reason, top.Detail));
    }

    [Fact]
    public void ImageDataThatDoesNotInflateIsCorruptNearTheRowItReached()
    {
        var png = TestImages.PngFromZlib(4, 3, 2, [0x78, 0x9C, 0xFF, 0xFF, 0xFF, 0xFF]);
        var e = Assert.Throws<SampleException>(() => Decode(png, int.MaxValue, libdeflate: false));
        Assert.Equal(SampleFailureReason.Undecodable, e.Reason);
        Assert.StartsWith("PNG image data is corrupt near row 0: ", e.Detail);
        if (Libdeflate.IsAvailable)
            Assert.Equal(e.Detail, Assert.Throws<SampleException>(() => Decode(png, int.MaxValue, libdeflate: true)).Detail);
    }

    /// <summary>An RGB PNG's head followed by the given chunks, each with its right CRC.</summary>
    private static byte[] Chunks(int width, int height, params (string Type, byte[] Data)[] chunks) =>
        [.. TestImages.PngHead((uint)width, (uint)height, 2), .. chunks.SelectMany(c => TestImages.PngChunk(c.Type, c.Data))];

    [SkippableFact]
    public void TheImageDataMayBeTheFilesLastChunk()
    {
        Skip.IfNot(Libdeflate.IsAvailable, "libdeflate.so.0 is not installed (Debian: libdeflate0)");
        var zlib = TestImages.Zlib(Rows(0, 1, 2));
        var png = Chunks(4, 3, ("IDAT", zlib[..5]), ("IDAT", zlib[5..]));   // no IEND after it
        using var image = PngRowDecoder.DecodeWithLibdeflate(png, 4, 3, 2, 3, "x.png");
        Assert.NotNull(image);
        Assert.Equal(Decode(TestImages.PngFromZlib(4, 3, 2, zlib), int.MaxValue, libdeflate: false), JpegRoute.Pixels(image!));
    }

    [SkippableFact]
    public void ImageDataEndsAtTheFirstOtherChunkOnEitherPath()
    {
        Skip.IfNot(Libdeflate.IsAvailable, "libdeflate.so.0 is not installed (Debian: libdeflate0)");
        var zlib = TestImages.Zlib(Rows(0, 1, 2));
        // The stream's second half after an empty ancillary chunk: not image data, so the stream is cut short.
        var png = Chunks(4, 3, ("IDAT", zlib[..(zlib.Length / 2)]), ("tEXt", []), ("IDAT", zlib[(zlib.Length / 2)..]), ("IEND", []));
        Assert.Null(PngRowDecoder.DecodeWithLibdeflate(png, 4, 3, 2, 3, "x.png"));
        var e = RefusedOnEitherPath(png, int.MaxValue);
        Assert.Equal(SampleFailureReason.Truncated, e.Reason);
    }

    [Fact]
    public void ARowTooLongForAnIntIsRefusedOnEitherPath()
    {
        var png = TestImages.PngFromZlib(4, 3, 2, TestImages.Zlib(Rows(0, 1, 2)));
        // 2^30 RGBA pixels a row: 4 GiB, past what an int counts; 2^28 a row fits, but not 8 rows of them.
        foreach (bool libdeflate in Libdeflate.IsAvailable ? new[] { false, true } : [false])
            foreach (var (width, rows) in new[] { (1 << 30, 1), (1 << 28, 8) })
                Assert.Throws<OverflowException>(() => On(libdeflate, () => PngRowDecoder.Decode(png, width, rows, 6, rows, "x.png")));
        Assert.Throws<OverflowException>(() => PngRowDecoder.DecodeWithLibdeflate(png, 1 << 30, 1, 6, 1, "x.png"));
    }
}
