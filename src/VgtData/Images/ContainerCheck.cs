using System.Buffers.Binary;

namespace VgtData.Images;

/// <summary>
/// Detects files cut short. Pillow refuses a truncated PNG or JPEG ("image file is truncated"); some decoders instead
/// fill the missing rows with grey, so we check the container's structure before decoding.
/// </summary>
internal static class ContainerCheck
{
    /// <summary>Null when the PNG's chunks run complete up to IEND, else what is missing.</summary>
    public static string? Png(ReadOnlySpan<byte> data)
    {
        long pos = PngRoute.Signature.Length;
        bool sawData = false;
        while (pos + 8 <= data.Length)
        {
            uint length = BinaryPrimitives.ReadUInt32BigEndian(data[(int)pos..]);
            var type = data.Slice((int)pos + 4, 4);
            long end = pos + 12 + length;
            if (end > data.Length)
                return $"PNG chunk '{System.Text.Encoding.ASCII.GetString(type)}' at byte {pos} needs {length} bytes, the file ends at {data.Length}";
            if (type.SequenceEqual("IDAT"u8)) sawData = true;
            if (type.SequenceEqual("IEND"u8)) return sawData ? null : "PNG has no image data (IDAT)";
            pos = end;
        }
        return $"PNG ends at byte {data.Length} without an IEND chunk";
    }

    /// <summary>Null when the JPEG has an end-of-image marker after its last scan, else what is missing.</summary>
    public static string? Jpeg(ReadOnlySpan<byte> data)
    {
        // Entropy-coded data stuffs 0xFF bytes, so an end-of-image marker after the last start-of-scan means a complete file.
        int sos = data.LastIndexOf((ReadOnlySpan<byte>)[0xFF, 0xDA]);
        if (sos < 0) return "JPEG has no scan data";
        return data[sos..].IndexOf((ReadOnlySpan<byte>)[0xFF, 0xD9]) >= 0 ? null : "JPEG ends without an end-of-image marker";
    }
}
