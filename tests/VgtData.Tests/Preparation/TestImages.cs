using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace VgtData.Tests.Preparation;

internal static class TestImages
{
    public static byte[] Png(int w, int h, byte shade = 0)
    {
        using var image = new Image<Rgb24>(w, h, new Rgb24(shade, 100, 200));
        using var ms = new MemoryStream();
        image.SaveAsPng(ms);
        return ms.ToArray();
    }

    public static byte[] Jpeg(int w, int h)
    {
        using var image = new Image<Rgb24>(w, h, new Rgb24(10, 20, 30));
        using var ms = new MemoryStream();
        image.SaveAsJpeg(ms);
        return ms.ToArray();
    }

    /// <summary>A small PNG whose IHDR claims 20000×20000 (the CRC no longer matches; nobody decodes it here).</summary>
    public static byte[] HugeHeaderPng()
    {
        var png = Png(8, 8);
        // Signature (8) + IHDR length (4) + "IHDR" (4): width and height follow, big-endian.
        BitConverter.GetBytes(System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(20000)).CopyTo(png, 16);
        BitConverter.GetBytes(System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(20000)).CopyTo(png, 20);
        return png;
    }

    public static byte[] Garbage(int n, int seed)
    {
        var b = new byte[n];
        new Random(seed).NextBytes(b);
        return b;
    }
}

/// <summary>A folder under the temp dir holding the dataset root; deleted on dispose.</summary>
internal sealed class TempTree : IDisposable
{
    public TempTree()
    {
        Container = Path.Combine(Path.GetTempPath(), "vgtdata-prep-" + Guid.NewGuid().ToString("N")[..12]);
        Root = Path.Combine(Container, "root");
        Directory.CreateDirectory(Path.Combine(Root, "raw"));
    }

    public string Container { get; }
    public string Root { get; }

    public string Raw(string name) => Path.Combine(Root, "raw", name);

    /// <summary>Every file below the container, relative to it, '/'-separated, sorted.</summary>
    public List<string> AllFiles() => Directory.EnumerateFiles(Container, "*", SearchOption.AllDirectories)
        .Select(f => Path.GetRelativePath(Container, f).Replace('\\', '/')).OrderBy(f => f, StringComparer.Ordinal).ToList();

    public void Dispose()
    {
        try { Directory.Delete(Container, recursive: true); } catch (IOException) { }
    }
}
