using System.Buffers.Binary;
using System.IO.Hashing;

namespace VgtData.Images;

/// <summary>The CRC-32 PNG chunks carry (ISO 3309 polynomial, reflected), over a chunk's type and data.</summary>
internal static class PngCrc
{
    public static uint Compute(ReadOnlySpan<byte> bytes) => Crc32.HashToUInt32(bytes);

    /// <summary>
    /// Checks the CRC of every chunk from the signature to IEND — image data after a crop's last row included, so a damaged
    /// file is refused whatever part of it a crop reads. Null when every chunk is intact, else which one is not. Chunk
    /// structure (lengths, IEND) is <see cref="ContainerCheck"/>'s job; a walk that runs off the end just stops here.
    /// </summary>
    public static string? FindDamagedChunk(ReadOnlySpan<byte> png)
    {
        long pos = 8;
        int index = 0;
        while (pos + 12 <= png.Length)
        {
            uint length = BinaryPrimitives.ReadUInt32BigEndian(png[(int)pos..]);
            long end = pos + 12 + length;
            if (end > png.Length) return null;
            var typeAndData = png.Slice((int)pos + 4, 4 + (int)length);
            uint stored = BinaryPrimitives.ReadUInt32BigEndian(png[(int)(end - 4)..]);
            if (Compute(typeAndData) != stored)
                return $"PNG chunk {index} ('{ChunkName(typeAndData[..4])}' at byte {pos}) fails its CRC check: the file is damaged";
            if (typeAndData[..4].SequenceEqual("IEND"u8)) return null;
            pos = end;
            index++;
        }
        return null;
    }

    private static string ChunkName(ReadOnlySpan<byte> type)
    {
        Span<char> c = stackalloc char[4];
        for (int i = 0; i < 4; i++) c[i] = type[i] is >= 0x21 and < 0x7F ? (char)type[i] : '?';
        return new string(c);
    }
}
