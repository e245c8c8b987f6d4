using System.Buffers;
using System.Buffers.Binary;
using System.IO.Compression;
using System.IO.Hashing;

namespace VgtData.Images;

/// <summary>The CRC-32 PNG chunks carry (ISO 3309 polynomial, reflected), over a chunk's type and data, and the chunk
/// checks Pillow 9.4 makes: checksums, and the size compressed text and ICC profiles inflate to.</summary>
internal static class PngCrc
{
    public static uint Compute(ReadOnlySpan<byte> bytes) => Crc32.HashToUInt32(bytes);

    /// <summary>Pillow's limit on what one zTXt, iTXt or iCCP chunk may inflate to (<c>MAX_TEXT_CHUNK</c>).</summary>
    public const int MaxInflatedChunk = 1 << 20;

    /// <summary>
    /// Null when the chunks pass Pillow's checks, else which one fails: the CRC of every chunk up to the image data and of
    /// the image data and IEND themselves (also after a crop's last row, so a damaged file is refused whatever part of it
    /// a crop reads); ancillary chunks after the image data are not checked, as Pillow does not read their CRC. A zTXt,
    /// iTXt or iCCP chunk anywhere that inflates past <see cref="MaxInflatedChunk"/> is a decompression bomb Pillow
    /// refuses. Chunk structure (lengths, IEND) is <see cref="ContainerCheck"/>'s job; a walk that runs off the end stops.
    /// </summary>
    public static string? FindDamagedChunk(ReadOnlySpan<byte> png)
    {
        long pos = 8;
        int index = 0;
        bool sawData = false;
        while (pos + 12 <= png.Length)
        {
            uint length = BinaryPrimitives.ReadUInt32BigEndian(png[(int)pos..]);
            long end = pos + 12 + length;
            if (end > png.Length) return null;
            var typeAndData = png.Slice((int)pos + 4, 4 + (int)length);
            var type = typeAndData[..4];
            sawData |= type.SequenceEqual("IDAT"u8);
            bool ancillary = (type[0] & 0x20) != 0;
            uint stored = BinaryPrimitives.ReadUInt32BigEndian(png[(int)(end - 4)..]);
            if (!(sawData && ancillary) && Compute(typeAndData) != stored)
                return $"PNG chunk {index} ('{ChunkName(type)}' at byte {pos}) fails its CRC check: the file is damaged";
            if (InflatesPastLimit(type, typeAndData[4..]))
                return $"PNG chunk {index} ('{ChunkName(type)}' at byte {pos}) inflates to more than {MaxInflatedChunk >> 20} MiB: a decompression bomb";
            if (type.SequenceEqual("IEND"u8)) return null;
            pos = end;
            index++;
        }
        return null;
    }

    /// <summary>Whether a zTXt, compressed iTXt or iCCP chunk inflates past the limit (a stream that does not inflate at
    /// all is ignored, as Pillow ignores it).</summary>
    private static unsafe bool InflatesPastLimit(ReadOnlySpan<byte> type, ReadOnlySpan<byte> data)
    {
        bool zTxtOrIccp = type.SequenceEqual("zTXt"u8) || type.SequenceEqual("iCCP"u8);
        if (!zTxtOrIccp && !type.SequenceEqual("iTXt"u8)) return false;
        int keyword = data.IndexOf((byte)0);
        if (keyword < 0) return false;
        ReadOnlySpan<byte> compressed;
        if (zTxtOrIccp)
            compressed = data[Math.Min(data.Length, keyword + 2)..];
        else if (keyword + 2 < data.Length && data[keyword + 1] == 1 && data[keyword + 2] == 0)
        {
            // keyword, flag, method, language \0, translated keyword \0, text
            var rest = data[(keyword + 3)..];
            int language = rest.IndexOf((byte)0);
            if (language < 0) return false;
            int translated = rest[(language + 1)..].IndexOf((byte)0);
            if (translated < 0) return false;
            compressed = rest[(language + translated + 2)..];
        }
        else return false;
        var scratch = ArrayPool<byte>.Shared.Rent(64 << 10);
        try
        {
            fixed (byte* p = compressed)
            {
                using var zlib = new ZLibStream(new UnmanagedMemoryStream(p, compressed.Length), CompressionMode.Decompress);
                long total = 0;
                int n;
                while ((n = zlib.Read(scratch, 0, scratch.Length)) > 0)
                    if ((total += n) > MaxInflatedChunk) return true;
                return false;
            }
        }
        catch (Exception e) when (e is InvalidDataException or IOException)
        {
            return false;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(scratch);
        }
    }

    private static string ChunkName(ReadOnlySpan<byte> type)
    {
        Span<char> c = stackalloc char[4];
        for (int i = 0; i < 4; i++) c[i] = type[i] is >= 0x21 and < 0x7F ? (char)type[i] : '?';
        return new string(c);
    }
}
