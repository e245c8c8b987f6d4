
namespace VgtData.Storage;

/// <summary>
/// A read-only, seekable view of one object that fetches it in aligned blocks with ranged GETs, on demand. Reading tar
/// headers and seeking past member data touches only the blocks holding headers, so an index costs about one small
/// ranged read per member instead of the whole part.
/// </summary>
internal sealed class S3RangeStream(S3Store store, S3Location location, long length, int blockSize = 64 * 1024) : Stream
{
    private long _position;
    private long _blockStart = -1;
    private PooledBytes? _block;

    public override bool CanRead => true;
    public override bool CanSeek => true;
    public override bool CanWrite => false;
    public override long Length => length;

    public override long Position
    {
        get => _position;
        set => _position = value >= 0 ? value : throw new ArgumentOutOfRangeException(nameof(value));
    }

    /// <summary>Ranged GETs issued so far.</summary>
    public int Requests { get; private set; }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        if (_position >= length || buffer.Length == 0) return 0;
        long start = _position / blockSize * blockSize;
        if (start != _blockStart)
        {
            _block?.Dispose();
            _block = null;
            Requests++;
            _block = store.TryGet(location, start, Math.Min(blockSize, length - start))
                ?? throw new IOException($"{location}: object disappeared while being read");
            _blockStart = start;
        }
        int at = (int)(_position - start);
        int n = Math.Min(buffer.Length, _block!.Length - at);
        if (n <= 0) return 0;
        _block.Span.Slice(at, n).CopyTo(buffer);
        _position += n;
        return n;
    }

    public override long Seek(long offset, SeekOrigin origin) => Position = origin switch
    {
        SeekOrigin.Begin => offset,
        SeekOrigin.Current => _position + offset,
        _ => length + offset,
    };

    public override void Flush() { }
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing) { _block?.Dispose(); _block = null; }
        base.Dispose(disposing);
    }
}
