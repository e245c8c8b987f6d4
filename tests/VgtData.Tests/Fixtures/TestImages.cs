using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing.Processors.Quantization;
using VgtData.Datasets;
using VgtData.Text;

namespace VgtData.Tests.Fixtures;

/// <summary>Small images made in code, written into a temporary folder with their data.json; deleted on dispose.</summary>
public sealed class TestImages : IDisposable
{
    public TestImages()
    {
        Root = Path.Combine(Path.GetTempPath(), "vgtdata-tests-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(Root);
    }

    public string Root { get; }

    public string PathOf(string name) => Path.Combine(Root, name);

    public void Dispose()
    {
        try { Directory.Delete(Root, recursive: true); }
        catch (IOException) { }
    }

    // ---- the tokenizer every dataset test uses (embedded o200k: needs no ../shared) ----

    private static readonly Lazy<CaptionTokenizer> LazyText = new(() =>
    {
        var template = PromptTemplate.Get("qwen25vl");
        return new CaptionTokenizer(DefaultTokenizer.O200k(template), template, maxLength: null);
    });

    public static CaptionTokenizer Text => LazyText.Value;

    /// <summary>Options for a dataset over this folder: data.json beside the images, small pixels, no CFG unless asked.</summary>
    public CaptionDatasetOptions Options(string manifest = "data.json", int imageSize = 16) => new()
    {
        DataPath = PathOf(manifest),
        ImageFolder = Root,
        ImageSize = imageSize,
        Unconditional = 0,
        Text = Text,
    };

    // ---- pixels ----

    /// <summary>An RGB image whose pixel (x, y) is <paramref name="colour"/>(x, y).</summary>
    public static Image<Rgb24> Rgb(int width, int height, Func<int, int, Rgb24> colour)
    {
        var image = new Image<Rgb24>(width, height);
        for (int y = 0; y < height; y++)
        for (int x = 0; x < width; x++)
            image[x, y] = colour(x, y);
        return image;
    }

    /// <summary>A deterministic, textured image (different for each <paramref name="seed"/>).</summary>
    public static Image<Rgb24> Noise(int width, int height, int seed)
    {
        var random = new Random(seed);
        var image = new Image<Rgb24>(width, height);
        for (int y = 0; y < height; y++)
        for (int x = 0; x < width; x++)
            image[x, y] = new Rgb24((byte)random.Next(256), (byte)((x * 7 + seed * 31) & 255), (byte)((y * 5 + seed) & 255));
        return image;
    }

    /// <summary>The uint8 HWC bytes of an RGB image.</summary>
    public static byte[] Bytes(Image<Rgb24> image)
    {
        var data = new byte[image.Width * image.Height * 3];
        image.CopyPixelDataTo(System.Runtime.InteropServices.MemoryMarshal.Cast<byte, Rgb24>(data.AsSpan()));
        return data;
    }

    // ---- files ----

    public string WritePng<TPixel>(string name, Image<TPixel> image, PngEncoder? encoder = null) where TPixel : unmanaged, IPixel<TPixel>
    {
        var path = PathOf(name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using (var f = File.Create(path)) image.SaveAsPng(f, encoder ?? new PngEncoder { ColorType = PngColorType.Rgb, BitDepth = PngBitDepth.Bit8 });
        return path;
    }

    public string WriteJpeg(string name, Image<Rgb24> image, int quality = 95)
    {
        var path = PathOf(name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using (var f = File.Create(path)) image.SaveAsJpeg(f, new JpegEncoder { Quality = quality });
        return path;
    }

    /// <summary>A textured RGB PNG of the given size, disposed after writing.</summary>
    public string WriteNoisePng(string name, int width, int height, int seed)
    {
        using var image = Noise(width, height, seed);
        return WritePng(name, image);
    }

    public string WriteBytes(string name, byte[] bytes)
    {
        var path = PathOf(name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    public string WriteText(string name, string text) => WriteBytes(name, new UTF8Encoding(false).GetBytes(text));

    /// <summary>Writes a JSON array of entries (each an object: anonymous, dictionary, …).</summary>
    public string WriteManifest(string name, IEnumerable<object> entries) =>
        WriteText(name, JsonSerializer.Serialize(entries.ToArray(), new JsonSerializerOptions { WriteIndented = true }));

    /// <summary>Writes <paramref name="count"/> textured PNGs img000.png… and a data.json with inline captions.</summary>
    public string WriteDataset(int count, int size = 96, string manifest = "data.json")
    {
        var entries = new List<object>();
        for (int i = 0; i < count; i++)
        {
            var name = $"img{i:000}.png";
            WriteNoisePng(name, size, size, seed: i);
            entries.Add(new { image = name, caption = $"picture number {i} of a {(i % 2 == 0 ? "red" : "blue")} thing" });
        }
        return WriteManifest(manifest, entries);
    }

    // ---- encoders for the modes Pillow opens differently ----

    public static PngEncoder Grey8 => new() { ColorType = PngColorType.Grayscale, BitDepth = PngBitDepth.Bit8 };
    public static PngEncoder Grey16 => new() { ColorType = PngColorType.Grayscale, BitDepth = PngBitDepth.Bit16 };
    public static PngEncoder Rgba8 => new() { ColorType = PngColorType.RgbWithAlpha, BitDepth = PngBitDepth.Bit8 };
    public static PngEncoder Rgb16 => new() { ColorType = PngColorType.Rgb, BitDepth = PngBitDepth.Bit16 };

    /// <summary>An indexed PNG with exactly <paramref name="palette"/> as its colours (no dithering).</summary>
    public static PngEncoder Palette(Color[] palette) => new()
    {
        ColorType = PngColorType.Palette,
        BitDepth = PngBitDepth.Bit8,
        Quantizer = new PaletteQuantizer(palette, new QuantizerOptions { Dither = null }),
    };

    /// <summary>The colour type byte of a PNG's IHDR (0 grey, 2 RGB, 3 palette, 6 RGBA) and its bit depth.</summary>
    public static (byte ColorType, byte BitDepth) PngHeader(string path)
    {
        var b = File.ReadAllBytes(path);
        return (b[25], b[24]);
    }

    // ---- hand-made PNGs ----

    /// <summary>
    /// A structurally valid PNG (correct CRCs, an IDAT and IEND) whose IHDR declares <paramref name="width"/> ×
    /// <paramref name="height"/> 8-bit RGB while its IDAT holds only a few bytes: a decompression bomb's header.
    /// </summary>
    public static byte[] PngWithHeader(int width, int height)
    {
        var ms = new MemoryStream();
        ms.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);
        var ihdr = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, width);
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), height);
        ihdr[8] = 8;  // bit depth
        ihdr[9] = 2;  // RGB
        WriteChunk(ms, "IHDR", ihdr);
        // zlib stream of a single empty stored block: tiny, and valid as far as the container goes.
        WriteChunk(ms, "IDAT", [0x78, 0x01, 0x01, 0x00, 0x00, 0xFF, 0xFF, 0x00, 0x00, 0x00, 0x01]);
        WriteChunk(ms, "IEND", []);
        return ms.ToArray();
    }

    /// <summary><paramref name="raw"/> as one zlib stream (.NET's zlib-ng).</summary>
    public static byte[] Zlib(byte[] raw, System.IO.Compression.CompressionLevel level = System.IO.Compression.CompressionLevel.Fastest)
    {
        var ms = new MemoryStream();
        using (var z = new System.IO.Compression.ZLibStream(ms, level, leaveOpen: true)) z.Write(raw);
        return ms.ToArray();
    }

    /// <summary>A PNG's signature and IHDR (every CRC correct), with no chunk after it: 33 bytes.</summary>
    public static byte[] PngHead(uint width, uint height, byte colorType, byte bitDepth = 8)
    {
        var ms = new MemoryStream();
        ms.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);
        var ihdr = new byte[13];
        BinaryPrimitives.WriteUInt32BigEndian(ihdr, width);
        BinaryPrimitives.WriteUInt32BigEndian(ihdr.AsSpan(4), height);
        ihdr[8] = bitDepth;
        ihdr[9] = colorType;
        ms.Write(PngChunk("IHDR", ihdr));
        return ms.ToArray();
    }

    /// <summary>One PNG chunk: length, type, <paramref name="data"/> and its CRC.</summary>
    public static byte[] PngChunk(string type, byte[] data)
    {
        var ms = new MemoryStream();
        WriteChunk(ms, type, data);
        return ms.ToArray();
    }

    /// <summary>
    /// A PNG (8-bit unless <paramref name="bitDepth"/> says otherwise) around a given zlib stream, split into IDAT chunks of at most
    /// <paramref name="idatChunk"/> bytes, every CRC correct.
    /// </summary>
    public static byte[] PngFromZlib(int width, int height, byte colorType, byte[] zlib, int idatChunk = int.MaxValue, byte bitDepth = 8)
    {
        var ms = new MemoryStream();
        ms.Write(PngHead((uint)width, (uint)height, colorType, bitDepth));
        for (int at = 0; at < zlib.Length; at += idatChunk)
            WriteChunk(ms, "IDAT", zlib.AsSpan(at, Math.Min(idatChunk, zlib.Length - at)).ToArray());
        WriteChunk(ms, "IEND", []);
        return ms.ToArray();
    }

    private static void WriteChunk(Stream s, string type, byte[] data)
    {
        Span<byte> u32 = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(u32, (uint)data.Length);
        s.Write(u32);
        var typeBytes = Encoding.ASCII.GetBytes(type);
        s.Write(typeBytes);
        s.Write(data);
        BinaryPrimitives.WriteUInt32BigEndian(u32, Crc32(typeBytes.Concat(data).ToArray()));
        s.Write(u32);
    }

    private static readonly uint[] CrcTable = Enumerable.Range(0, 256).Select(n =>
    {
        uint c = (uint)n;
        for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        return c;
    }).ToArray();

    /// <summary>The PNG/zlib CRC-32.</summary>
    public static uint Crc32(ReadOnlySpan<byte> data)
    {
        uint c = 0xFFFFFFFFu;
        foreach (var b in data) c = CrcTable[(c ^ b) & 0xFF] ^ (c >> 8);
        return c ^ 0xFFFFFFFFu;
    }
}
