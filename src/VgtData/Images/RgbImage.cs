using System.Buffers;

namespace VgtData.Images;

/// <summary>An 8-bit RGB image, rows of interleaved R,G,B (HWC), in a pooled array. Dispose to return the array.</summary>
public sealed class RgbImage : IDisposable
{
    private byte[]? _data;

    public RgbImage(int width, int height)
    {
        Width = width;
        Height = height;
        _data = ArrayPool<byte>.Shared.Rent(checked(width * height * 3));
    }

    public int Width { get; }
    public int Height { get; }
    public int Length => Width * Height * 3;

    public Span<byte> Pixels => (_data ?? throw new ObjectDisposedException(nameof(RgbImage))).AsSpan(0, Length);

    public void Dispose()
    {
        var d = Interlocked.Exchange(ref _data, null);
        if (d != null) ArrayPool<byte>.Shared.Return(d);
    }
}
