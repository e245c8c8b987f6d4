using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using VgtData.Cli;

namespace VgtData.Tests.Validation;

/// <summary>A dataset folder under the temp dir: images, data.json and config.json; deleted on dispose.</summary>
internal sealed class TempDataset : IDisposable
{
    public TempDataset()
    {
        Root = Path.Combine(Path.GetTempPath(), "vgtdata-validate-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(Root);
    }

    public string Root { get; }

    public string PathOf(string relative) => Path.Combine(Root, relative);

    public void WriteFile(string relative, byte[] bytes)
    {
        var path = PathOf(relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, bytes);
    }

    public void WriteText(string relative, string text)
    {
        var path = PathOf(relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
    }

    /// <summary>A CaptionDataset config over <paramref name="dataPath"/>, images relative to the root.</summary>
    public string Config(string dataPath = "data.json", int? maxLength = 128, double unconditional = 0.1, string name = "config.json",
        int imageSize = 64)
    {
        var max = maxLength is int m ? $", \"max_length\": {m}" : "";
        var u = unconditional.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var dataset = "{\"type\": \"CaptionDataset\", \"data_path\": \"" + dataPath + "\", \"image_folder\": \".\", \"unconditional\": " + u + max + "}";
        WriteText(name, $$"""
            {"prompt_template": "qwen25vl", "tokenizer": "embedded:o200k", "image_size": {{imageSize}}, "pad_index": 151643,
             "dataset": {{dataset}},
             "train_dataloader": {"batch_size": 4, "num_workers": 1} }
            """);
        return PathOf(name);
    }

    public void Dispose()
    {
        try { Directory.Delete(Root, recursive: true); } catch (IOException) { }
    }
}

internal static class Images
{
    public static byte[] Png(int w, int h, byte r = 30, byte g = 120, byte b = 200)
    {
        using var image = new Image<Rgb24>(w, h);
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                image[x, y] = new Rgb24((byte)(r + x), (byte)(g + y), b);
        using var ms = new MemoryStream();
        image.SaveAsPng(ms);
        return ms.ToArray();
    }

    /// <summary>A hand-written PNG whose IHDR declares <paramref name="w"/>×<paramref name="h"/> (valid CRCs) with a tiny
    /// IDAT: the header alone must be refused.</summary>
    public static byte[] HeaderOnlyPng(int w, int h)
    {
        using var ms = new MemoryStream();
        ms.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);
        var ihdr = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, w);
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), h);
        ihdr[8] = 8;   // bit depth
        ihdr[9] = 2;   // RGB
        Chunk(ms, "IHDR", ihdr);
        using (var z = new MemoryStream())
        {
            using (var zs = new ZLibStream(z, CompressionLevel.Optimal, leaveOpen: true)) zs.Write(new byte[16]);
            Chunk(ms, "IDAT", z.ToArray());
        }
        Chunk(ms, "IEND", []);
        return ms.ToArray();
    }

    private static void Chunk(Stream s, string type, byte[] data)
    {
        var header = new byte[8];
        BinaryPrimitives.WriteInt32BigEndian(header, data.Length);
        Encoding.ASCII.GetBytes(type, header.AsSpan(4));
        s.Write(header);
        s.Write(data);
        var crc = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(crc, Crc32(header.AsSpan(4), data));
        s.Write(crc);
    }

    private static uint Crc32(ReadOnlySpan<byte> type, ReadOnlySpan<byte> data)
    {
        uint c = 0xFFFFFFFF;
        foreach (var span in new[] { type.ToArray(), data.ToArray() })
            foreach (var b in span)
            {
                c ^= b;
                for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320 ^ (c >> 1) : c >> 1;
            }
        return c ^ 0xFFFFFFFF;
    }
}

internal static class Cli
{
    public static (int Code, string Out, string Error) Run(params string[] args) => Fixtures.CliRun.Run(args);

    /// <summary>The last non-empty line of stdout.</summary>
    public static string LastLine(string text) =>
        text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)[^1];
}
