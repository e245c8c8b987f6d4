using System.Buffers.Binary;
using System.IO.Hashing;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.PixelFormats;

namespace VgtData.Tests.Images.Fuzz;

/// <summary>Small valid files the fuzzer mutates: PNGs the row decoder and Skia take, JPEGs of every subsampling and colour
/// type ImageSharp writes, GIFs with transparency. Shared by ImageFuzzTests and benchmarks/ImageFuzz.</summary>
public static class FuzzSeeds
{
    private static Image<Rgb24> Rgb(int width, int height, Func<int, int, Rgb24> colour)
    {
        var image = new Image<Rgb24>(width, height);
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
                image[x, y] = colour(x, y);
        return image;
    }

    private static Image<Rgb24> Noise(int width, int height, int seed)
    {
        var rng = new Random(seed);
        return Rgb(width, height, (_, _) => new Rgb24((byte)rng.Next(256), (byte)rng.Next(256), (byte)rng.Next(256)));
    }

    public static List<byte[]> Png()
    {
        static byte[] Encode(Image image, PngEncoder encoder)
        {
            using var ms = new MemoryStream();
            image.SaveAsPng(ms, encoder);
            return ms.ToArray();
        }
        using var rgb = Noise(40, 30, 11);
        using var smooth = Rgb(37, 29, (x, y) => new Rgb24((byte)(x * 6), (byte)(y * 8), (byte)(x * y)));
        using var rgba = smooth.CloneAs<Rgba32>();
        var seeds = new List<byte[]>
        {
            Encode(rgb, new PngEncoder { ColorType = PngColorType.Rgb, BitDepth = PngBitDepth.Bit8 }),
            Encode(smooth, new PngEncoder { ColorType = PngColorType.Rgb, BitDepth = PngBitDepth.Bit8, FilterMethod = PngFilterMethod.Adaptive }),
            Encode(rgba, new PngEncoder { ColorType = PngColorType.RgbWithAlpha, BitDepth = PngBitDepth.Bit8, FilterMethod = PngFilterMethod.Paeth }),
            Encode(smooth, new PngEncoder { ColorType = PngColorType.Rgb, BitDepth = PngBitDepth.Bit8, FilterMethod = PngFilterMethod.Up, CompressionLevel = PngCompressionLevel.NoCompression }),
            Encode(smooth, new PngEncoder { ColorType = PngColorType.Grayscale, BitDepth = PngBitDepth.Bit8 }),
        };
        seeds.Add(SplitIdat(seeds[1], 40));
        return seeds;
    }

    /// <summary>The same PNG with its image data re-split into chunks of <paramref name="size"/> bytes.</summary>
    private static byte[] SplitIdat(byte[] png, int size)
    {
        var head = new MemoryStream();
        var idat = new MemoryStream();
        var tail = new MemoryStream();
        head.Write(png, 0, 8);
        for (int pos = 8; pos + 12 <= png.Length;)
        {
            int length = (int)BinaryPrimitives.ReadUInt32BigEndian(png.AsSpan(pos));
            bool isIdat = png.AsSpan(pos + 4, 4).SequenceEqual("IDAT"u8);
            if (isIdat) idat.Write(png, pos + 8, length);
            else (idat.Length == 0 ? head : tail).Write(png, pos, 12 + length);
            pos += 12 + length;
        }
        var data = idat.ToArray();
        for (int at = 0; at < data.Length; at += size)
        {
            int n = Math.Min(size, data.Length - at);
            var chunk = new byte[12 + n];
            BinaryPrimitives.WriteUInt32BigEndian(chunk, (uint)n);
            "IDAT"u8.CopyTo(chunk.AsSpan(4));
            data.AsSpan(at, n).CopyTo(chunk.AsSpan(8));
            BinaryPrimitives.WriteUInt32BigEndian(chunk.AsSpan(8 + n), Crc32.HashToUInt32(chunk.AsSpan(4, 4 + n)));
            head.Write(chunk);
        }
        tail.WriteTo(head);
        return head.ToArray();
    }

    /// <summary>JPEG seeds; with <paramref name="shared"/> (../shared), also Pillow-written progressive and CMYK files.</summary>
    public static List<byte[]> Jpeg(string? shared)
    {
        using var smooth = Rgb(48, 40, (x, y) => new Rgb24((byte)(x * 5), (byte)(y * 6), (byte)((x + y) * 3)));
        using var noise = Noise(33, 25, 4);
        var seeds = new List<byte[]>();
        foreach (var colour in new[] { JpegColorType.YCbCrRatio420, JpegColorType.YCbCrRatio444, JpegColorType.YCbCrRatio422,
                     JpegColorType.YCbCrRatio411, JpegColorType.Luminance, JpegColorType.Rgb, JpegColorType.Cmyk })
        {
            using var ms = new MemoryStream();
            (colour == JpegColorType.YCbCrRatio420 ? noise : smooth).SaveAsJpeg(ms, new JpegEncoder { Quality = 75, ColorType = colour });
            seeds.Add(ms.ToArray());
        }
        // Progressive and Pillow-written files from ../shared when it is there (ImageSharp writes baseline only).
        if (shared != null)
            foreach (var name in new[] { "small_96.jpg", "progressive420.jpg", "cmyk_q90.jpg" })
            {
                var p = Path.Combine(shared, "golden", "pil-jpeg", name);
                if (File.Exists(p)) seeds.Add(File.ReadAllBytes(p));
            }
        return seeds;
    }

    /// <summary>GIF seeds from the committed transparency fixtures in <paramref name="folder"/>.</summary>
    public static List<byte[]> Gif(string folder)
    {
        return new[] { "trns3.gif", "noise256.gif", "offset_frame.gif" }.Select(n => File.ReadAllBytes(Path.Combine(folder, n))).ToList();
    }
}
