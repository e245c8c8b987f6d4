using System.Buffers;
using System.Runtime.InteropServices;
using SixLabors.ImageSharp.PixelFormats;

namespace VgtData.Images;

/// <summary>Rgb24 pixels in an array rented from the shared pool, for <c>Image.WrapMemory</c>: one contiguous block,
/// not cleared first (a decoder writes every pixel), returned to the pool when the image is disposed.</summary>
internal sealed class PooledPixelMemory : MemoryManager<Rgb24>
{
    private byte[]? _bytes;
    private readonly int _pixels;

    public PooledPixelMemory(int pixels)
    {
        _pixels = pixels;
        _bytes = ArrayPool<byte>.Shared.Rent(checked(pixels * 3));
    }

    public Span<byte> Bytes => (_bytes ?? throw new ObjectDisposedException(nameof(PooledPixelMemory))).AsSpan(0, _pixels * 3);

    public override Span<Rgb24> GetSpan() => MemoryMarshal.Cast<byte, Rgb24>(Bytes);

    public override MemoryHandle Pin(int elementIndex = 0) => throw new NotSupportedException("pooled pixels are not pinned");

    public override void Unpin() { }

    protected override void Dispose(bool disposing)
    {
        var b = Interlocked.Exchange(ref _bytes, null);
        if (b != null) ArrayPool<byte>.Shared.Return(b);
    }
}
