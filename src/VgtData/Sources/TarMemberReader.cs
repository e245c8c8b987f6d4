using System.Buffers;
using System.Text;
using VgtData.Storage;

namespace VgtData.Sources;

/// <summary>
/// Reads a tar stream header by header (ustar, old GNU, GNU long names 'L'/'K', pax 'x' records with path=, linkpath=
/// and size=). Sequential: call <see cref="Next"/>, optionally read the member's data with <see cref="ReadData"/>; whatever
/// was not read is skipped (by seeking when the stream can seek). Not thread-safe.
/// </summary>
/// <remarks>SharpCompress's TarReader does not expose the header's type flag, so it cannot tell a hard link from a
/// symlink or a device from an empty file; this reader exists to make those distinctions, and to report data offsets.</remarks>
internal sealed class TarMemberReader : IDisposable
{
    private const int Block = 512;
    private const int MaxMetaRecord = 1 << 20;

    private readonly Stream _stream;
    private readonly bool _leaveOpen;
    private readonly byte[] _header = new byte[Block];
    private long _position;
    private long _dataLeft;
    private long _paddingLeft;

    public TarMemberReader(Stream stream, bool leaveOpen = false)
    {
        _stream = stream;
        _leaveOpen = leaveOpen;
        _position = stream.CanSeek ? stream.Position : 0;
    }

    /// <summary>Position in the tar stream (uncompressed bytes).</summary>
    public long Position => _position;

    /// <summary>The current member's own 512-byte header block (after any long-name or pax records).</summary>
    public ReadOnlySpan<byte> CurrentHeader => _header;

    /// <summary>Bytes of the current member's data not yet read.</summary>
    public long DataRemaining => _dataLeft;

    /// <summary>Whether the stream's last blocks were an end-of-archive marker (at least one zero block). False after
    /// <see cref="Next"/> returned null means the part stops at a member boundary without the marker: likely cut short.</summary>
    public bool EndMarkerSeen { get; private set; }

    /// <summary>The next member, or null at the end of the stream. Zero blocks (the end-of-archive marker) are read
    /// past, so archives concatenated into one part (e.g. several gzip members, each a whole tar) are all read; see
    /// <see cref="EndMarkerSeen"/>. Throws <see cref="TarFormatException"/> when the stream is truncated inside a header
    /// or member, or a header is damaged (checksum, number fields).</summary>
    public TarMember? Next()
    {
        SkipRest();
        string? longName = null, longLink = null;
        bool longNameEscaped = false, longLinkEscaped = false;
        Dictionary<string, (string Value, bool Escaped)>? pax = null;
        int zeroBlocks = 0;
        while (true)
        {
            long headerOffset = _position;
            int n = ReadUpTo(_header);
            bool zero = _header.AsSpan(0, n).IndexOfAnyExcept((byte)0) < 0;
            if (n == 0 || (n < Block && zero && zeroBlocks > 0))
            {
                if (longName != null || longLink != null || pax != null)
                    throw new TarFormatException($"stream ends after a long-name or pax record at offset {headerOffset}, before its member");
                EndMarkerSeen = zeroBlocks > 0;
                return null;
            }
            if (n < Block) throw new TarFormatException($"truncated header at offset {headerOffset}");
            if (zero)
            {
                zeroBlocks++;
                continue;
            }
            zeroBlocks = 0;
            if (!ChecksumMatches(_header)) throw new TarFormatException($"bad header checksum at offset {headerOffset}");

            byte type = _header[156];
            long size = ParseNumber(_header.AsSpan(124, 12), headerOffset);
            switch (type)
            {
                case (byte)'L':
                    longName = DecodeName(CBytes(ReadMeta(size, headerOffset)), out longNameEscaped);
                    continue;
                case (byte)'K':
                    longLink = DecodeName(CBytes(ReadMeta(size, headerOffset)), out longLinkEscaped);
                    continue;
                case (byte)'x':
                    pax = ParsePax(ReadMeta(size, headerOffset), headerOffset);
                    continue;
                case (byte)'g':
                    ReadMeta(size, headerOffset); // global pax defaults: nothing we use
                    continue;
            }

            string name;
            bool escaped;
            if (pax != null && (pax.TryGetValue("GNU.sparse.name", out var paxName) || pax.TryGetValue("path", out paxName)))
                (name, escaped) = paxName;
            else if (longName != null) (name, escaped) = (longName, longNameEscaped);
            else name = HeaderName(_header, out escaped);
            string link;
            if (pax != null && pax.TryGetValue("linkpath", out var paxLink)) link = paxLink.Value;
            else link = longLink ?? DecodeName(CBytes(_header.AsSpan(157, 100)), out _);
            if (pax != null && pax.TryGetValue("size", out var paxSize))
            {
                if (!long.TryParse(paxSize.Value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out size))
                    throw new TarFormatException($"bad pax size '{paxSize.Value}' for member at offset {headerOffset}");
            }
            bool paxSparse = pax != null && pax.Keys.Any(k => k.StartsWith("GNU.sparse.", StringComparison.Ordinal));
            var kind = type switch
            {
                _ when paxSparse => TarMemberKind.Sparse,
                (byte)'0' or 0 or (byte)'7' => TarMemberKind.RegularFile,
                (byte)'1' => TarMemberKind.HardLink,
                (byte)'2' => TarMemberKind.SymbolicLink,
                (byte)'3' or (byte)'4' => TarMemberKind.Device,
                (byte)'5' => TarMemberKind.Directory,
                (byte)'6' => TarMemberKind.Fifo,
                (byte)'S' => TarMemberKind.Sparse,
                _ => TarMemberKind.Other,
            };
            // Like GNU tar and Python's tarfile: only regular files, sparse files and unknown types carry data blocks.
            bool hasData = kind is TarMemberKind.RegularFile or TarMemberKind.Sparse or TarMemberKind.Other;
            if (kind == TarMemberKind.RegularFile && name.EndsWith('/')) { kind = TarMemberKind.Directory; }
            _dataLeft = hasData ? size : 0;
            _paddingLeft = hasData ? Padding(size) : 0;
            if (_stream.CanSeek && _dataLeft > _stream.Length - _position)
                throw new TarFormatException($"member '{name}' is truncated: {size} bytes declared at offset {_position}, part ends at {_stream.Length}");
            return new TarMember(name, kind, hasData ? size : 0, _position, string.IsNullOrEmpty(link) ? null : link, headerOffset) { NameEscaped = escaped };
        }
    }

    /// <summary>Reads the current member's data; returns 0 at its end. Throws <see cref="TarFormatException"/> when the
    /// stream ends early.</summary>
    public int ReadData(Span<byte> buffer)
    {
        if (_dataLeft == 0) return 0;
        var want = (int)Math.Min(buffer.Length, _dataLeft);
        int n = _stream.Read(buffer[..want]);
        if (n == 0) throw new TarFormatException($"member data truncated at offset {_position} ({_dataLeft} bytes missing)");
        _position += n;
        _dataLeft -= n;
        return n;
    }

    private void SkipRest()
    {
        long skip = _dataLeft + _paddingLeft;
        if (skip == 0) return;
        if (_stream.CanSeek)
        {
            if (_dataLeft > _stream.Length - _position)
                throw new TarFormatException($"member data truncated at offset {_position}");
            _stream.Seek(skip, SeekOrigin.Current);
            _position += skip;
            _dataLeft = _paddingLeft = 0;
            return;
        }
        var buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
        try
        {
            while (_dataLeft > 0) ReadData(buffer);
            while (_paddingLeft > 0)
            {
                int n = _stream.Read(buffer, 0, (int)Math.Min(buffer.Length, _paddingLeft));
                if (n == 0) { _paddingLeft = 0; break; } // a missing final padding is harmless
                _position += n;
                _paddingLeft -= n;
            }
        }
        finally { ArrayPool<byte>.Shared.Return(buffer); }
    }

    private byte[] ReadMeta(long size, long headerOffset)
    {
        if (size < 0 || size > MaxMetaRecord) throw new TarFormatException($"implausible {size}-byte metadata record at offset {headerOffset}");
        var data = new byte[size];
        if (ReadUpTo(data) < size) throw new TarFormatException($"truncated metadata record at offset {headerOffset}");
        var pad = Padding(size);
        if (pad > 0)
        {
            Span<byte> skip = stackalloc byte[Block];
            ReadUpTo(skip[..(int)pad]);
        }
        return data;
    }

    private int ReadUpTo(Span<byte> buffer)
    {
        int total = 0;
        while (total < buffer.Length)
        {
            int n = _stream.Read(buffer[total..]);
            if (n == 0) break;
            total += n;
        }
        _position += total;
        return total;
    }

    private static long Padding(long size) => (Block - size % Block) % Block;

    private static bool ChecksumMatches(ReadOnlySpan<byte> header)
    {
        long stored;
        try { stored = ParseOctal(header.Slice(148, 8)); }
        catch (FormatException) { return false; }
        long unsigned = 0, signed = 0;
        for (int i = 0; i < Block; i++)
        {
            byte b = i is >= 148 and < 156 ? (byte)' ' : header[i];
            unsigned += b;
            signed += (sbyte)b;
        }
        return stored == unsigned || stored == signed;
    }

    /// <summary>A header's size field: octal digits, or GNU base-256 (top bit of the first byte set). Negative or
    /// overflowing values are a damaged header.</summary>
    private static long ParseNumber(ReadOnlySpan<byte> field, long headerOffset)
    {
        try
        {
            if ((field[0] & 0x80) != 0)
            {
                // GNU base-256: big-endian two's complement; 0x40 in the first byte is the sign.
                if ((field[0] & 0x40) != 0) throw new FormatException();
                long v = field[0] & 0x3F;
                for (int i = 1; i < field.Length; i++)
                {
                    if (v > long.MaxValue >> 8) throw new OverflowException();
                    v = (v << 8) | field[i];
                }
                return v;
            }
            return ParseOctal(field);
        }
        catch (Exception e) when (e is FormatException or OverflowException)
        {
            throw new TarFormatException($"bad size field in header at offset {headerOffset}");
        }
    }

    private static long ParseOctal(ReadOnlySpan<byte> field)
    {
        long v = 0;
        int i = 0;
        while (i < field.Length && field[i] == ' ') i++;
        bool any = false;
        for (; i < field.Length; i++)
        {
            byte b = field[i];
            if (b is 0 or (byte)' ') break;
            if (b is < (byte)'0' or > (byte)'7') throw new FormatException();
            v = checked(v * 8 + (b - '0'));
            any = true;
        }
        return any ? v : 0;
    }

    private static string HeaderName(ReadOnlySpan<byte> header, out bool escaped)
    {
        var name = CBytes(header[..100]);
        // POSIX ustar ("ustar\0"): a prefix field holds leading directories. Old GNU ("ustar  \0") uses those bytes otherwise.
        if (header.Slice(257, 6).SequenceEqual("ustar\0"u8))
        {
            var prefix = CBytes(header.Slice(345, 155));
            if (prefix.Length > 0)
            {
                var joined = new byte[prefix.Length + 1 + name.Length];
                prefix.CopyTo(joined);
                joined[prefix.Length] = (byte)'/';
                name.CopyTo(joined.AsSpan(prefix.Length + 1));
                return DecodeName(joined, out escaped);
            }
        }
        return DecodeName(name, out escaped);
    }

    private static ReadOnlySpan<byte> CBytes(ReadOnlySpan<byte> bytes)
    {
        int end = bytes.IndexOf((byte)0);
        return end < 0 ? bytes : bytes[..end];
    }

    /// <summary>UTF-8 text as is; anything else with each stray byte as %XX and '%' as %25, so that two different byte
    /// names never decode to the same string (plain U+FFFD replacement would merge them).</summary>
    public static string DecodeName(ReadOnlySpan<byte> bytes, out bool escaped)
    {
        escaped = !System.Text.Unicode.Utf8.IsValid(bytes);
        if (!escaped) return Encoding.UTF8.GetString(bytes);
        var sb = new StringBuilder(bytes.Length + 16);
        while (bytes.Length > 0)
        {
            var status = Rune.DecodeFromUtf8(bytes, out var rune, out int consumed);
            if (status == OperationStatus.Done && rune.Value != '%') sb.Append(rune.ToString());
            else
            {
                consumed = status == OperationStatus.Done ? consumed : 1;
                sb.Append('%').Append(bytes[0].ToString("X2"));
            }
            bytes = bytes[consumed..];
        }
        return sb.ToString();
    }

    private static Dictionary<string, (string Value, bool Escaped)> ParsePax(byte[] data, long headerOffset)
    {
        // Records: "<length> <key>=<value>\n", length counting the whole record in decimal.
        var result = new Dictionary<string, (string, bool)>(StringComparer.Ordinal);
        int pos = 0;
        while (pos < data.Length)
        {
            if (data[pos] == 0) break; // zero padding after the last record
            int space = Array.IndexOf(data, (byte)' ', pos);
            if (space < 0 || !int.TryParse(data.AsSpan(pos, space - pos), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var length)
                || length <= space - pos || pos + length > data.Length)
                throw new TarFormatException($"bad pax record at offset {headerOffset}");
            var record = data.AsSpan(space + 1, pos + length - space - 1);
            if (record.Length > 0 && record[^1] == '\n') record = record[..^1];
            int eq = record.IndexOf((byte)'=');
            if (eq > 0) result[Encoding.UTF8.GetString(record[..eq])] = (DecodeName(record[(eq + 1)..], out var escaped), escaped);
            pos += length;
        }
        return result;
    }

    public void Dispose()
    {
        if (!_leaveOpen) _stream.Dispose();
    }
}
