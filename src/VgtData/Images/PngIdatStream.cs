using System.Buffers.Binary;

namespace VgtData.Images;

/// <summary>The payloads of consecutive IDAT chunks as one stream, read in place.</summary>
internal sealed class PngIdatStream : ForwardReadStream
{
    private readonly ReadOnlyMemory<byte> _data;
    private readonly string _path;
    private int _chunkEnd;   // end of the current IDAT payload
    private int _pos;
    private bool _done;

    public PngIdatStream(ReadOnlyMemory<byte> data, string path)
    {
        _data = data;
        _path = path;
        var span = data.Span;
        int pos = 8;
        while (pos + 8 <= span.Length)
        {
            int length = checked((int)BinaryPrimitives.ReadUInt32BigEndian(span[pos..]));
            if (span.Slice(pos + 4, 4).SequenceEqual("IDAT"u8)) { _pos = pos + 8; _chunkEnd = _pos + length; return; }
            pos += 12 + length;
        }
        throw new SampleException(SampleFailureReason.Undecodable, path, "PNG has no image data (IDAT)");
    }

    public override int Read(Span<byte> buffer)
    {
        var span = _data.Span;
        while (!_done && _pos >= _chunkEnd)
        {
            // Next chunk: skip the CRC; continue only if it is another IDAT.
            int next = _chunkEnd + 4;
            if (next + 8 > span.Length || !span.Slice(next + 4, 4).SequenceEqual("IDAT"u8)) { _done = true; break; }
            _pos = next + 8;
            _chunkEnd = _pos + checked((int)BinaryPrimitives.ReadUInt32BigEndian(span[next..]));
        }
        if (_done) return 0;
        int n = Math.Min(buffer.Length, Math.Min(_chunkEnd, span.Length) - _pos);
        if (n <= 0) throw new SampleException(SampleFailureReason.Truncated, _path, "PNG image data chunk is cut short");
        span.Slice(_pos, n).CopyTo(buffer);
        _pos += n;
        return n;
    }

}
