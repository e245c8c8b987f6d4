using System.Text;

namespace VgtData.Manifests;

/// <summary>Append-only UTF-8 text storage in large chunks: millions of captions and paths without one object each.</summary>
internal sealed class Utf8Pool
{
    private const int ChunkSize = 16 << 20;
    private readonly List<byte[]> _chunks = new();
    private int _used = ChunkSize;

    public long Bytes { get; private set; }

    /// <summary>Stores the bytes and returns a handle: chunk in the high bits, offset in the low 32.</summary>
    public long Add(ReadOnlySpan<byte> utf8)
    {
        // An empty string needs no bytes (and there may be no chunk yet to point into).
        if (utf8.IsEmpty) return 0;
        if (utf8.Length > ChunkSize) throw new VgtDataException($"a manifest string of {utf8.Length} bytes is longer than {ChunkSize}");
        if (_used + utf8.Length > ChunkSize)
        {
            _chunks.Add(new byte[ChunkSize]);
            _used = 0;
        }
        var chunk = _chunks.Count - 1;
        utf8.CopyTo(_chunks[chunk].AsSpan(_used));
        var handle = ((long)chunk << 32) | (uint)_used;
        _used += utf8.Length;
        Bytes += utf8.Length;
        return handle;
    }

    public ReadOnlySpan<byte> Get(long handle, int length) =>
        length == 0 ? default : _chunks[(int)(handle >> 32)].AsSpan((int)(uint)handle, length);

    public string GetString(long handle, int length) => Encoding.UTF8.GetString(Get(handle, length));

    /// <summary>Bytes actually allocated (whole chunks).</summary>
    public long Capacity => (long)_chunks.Count * ChunkSize;
}
