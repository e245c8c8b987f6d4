using System.Buffers;

namespace VgtData.Storage;

/// <summary>Bytes in a rented array; dispose to give the array back. Keeps multi-megabyte reads off the large-object heap.</summary>
internal sealed class PooledBytes : IDisposable
{
    private byte[]? _array;

    public PooledBytes(int length)
    {
        _array = ArrayPool<byte>.Shared.Rent(Math.Max(length, 1));
        Length = length;
    }

    public int Length { get; private set; }

    public byte[] Array => _array ?? throw new ObjectDisposedException(nameof(PooledBytes));

    public Memory<byte> Memory => Array.AsMemory(0, Length);

    public Span<byte> Span => Array.AsSpan(0, Length);

    public MemoryStream AsStream() => new(Array, 0, Length, writable: false);

    /// <summary>Shortens the valid range (a read that returned fewer bytes than expected).</summary>
    public void Truncate(int length)
    {
        if (length < 0 || length > Length) throw new ArgumentOutOfRangeException(nameof(length));
        Length = length;
    }

    public static PooledBytes ReadExactly(Stream stream, int length)
    {
        var bytes = new PooledBytes(length);
        try
        {
            stream.ReadExactly(bytes.Array, 0, length);
            return bytes;
        }
        catch
        {
            bytes.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        var a = Interlocked.Exchange(ref _array, null);
        if (a != null) ArrayPool<byte>.Shared.Return(a);
    }
}
