namespace VgtData.Images;

/// <summary>The CRC-32 PNG chunks carry (ISO 3309 polynomial, reflected), over a chunk's type and data.</summary>
internal static class PngCrc
{
    public static uint Compute(ReadOnlySpan<byte> bytes)
    {
        uint crc = 0xFFFFFFFF;
        foreach (byte b in bytes)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++) crc = (crc & 1) != 0 ? 0xEDB88320 ^ (crc >> 1) : crc >> 1;
        }
        return ~crc;
    }
}
