using System.Buffers;

namespace VgtData.Images;

/// <summary>An 8-bit RGB image, rows of interleaved R,G,B (HWC), in a pooled array: what every decoder returns and every
/// crop, resize and collate step reads. Dispose to return the array.</summary>
public sealed class RgbImage : IDisposable
{
    private byte[]? _data;

    public RgbImage(int width, int height)
    {
        if (width < 1 || height < 1) throw new ArgumentOutOfRangeException(nameof(width), $"image size {width}x{height}");
        Width = width;
        Height = height;
        // Not cleared: every producer writes every pixel.
        _data = ArrayPool<byte>.Shared.Rent(checked(width * height * 3));
    }

    public int Width { get; }
    public int Height { get; }
    public int Length => Width * Height * 3;

    public Span<byte> Pixels => (_data ?? throw new ObjectDisposedException(nameof(RgbImage))).AsSpan(0, Length);

    /// <summary>Row <paramref name="y"/>'s Width × 3 bytes.</summary>
    internal Span<byte> Row(int y) => Pixels.Slice(y * Width * 3, Width * 3);

    public void Dispose()
    {
        var d = Interlocked.Exchange(ref _data, null);
        if (d != null) ArrayPool<byte>.Shared.Return(d);
    }
}
