using System.Buffers.Binary;

namespace VgtData.Images;

/// <summary>
/// Detects files cut short. Pillow refuses a truncated file of every format ("image file is truncated", "could not
/// create decoder object"); some decoders instead fill the missing rows with black or grey, so we check the container's
/// structure before decoding: each method gives null when the file holds all the data its header declares, else what is
/// missing. A header too broken to size the data is left to the decoder, which refuses it.
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

    /// <summary>Uncompressed BMP (BI_RGB, BI_BITFIELDS): the pixel array's rows, each padded to 4 bytes. Run-length and
    /// embedded JPEG/PNG data is left to the decoder.</summary>
    public static string? Bmp(ReadOnlySpan<byte> data)
    {
        if (data.Length < 26) return $"BMP header ends at byte {data.Length}";
        uint offset = BinaryPrimitives.ReadUInt32LittleEndian(data[10..]);
        uint dib = BinaryPrimitives.ReadUInt32LittleEndian(data[14..]);
        long width, height;
        int bits;
        uint compression = 0;
        if (dib == 12)
        {
            width = BinaryPrimitives.ReadUInt16LittleEndian(data[18..]);
            height = BinaryPrimitives.ReadInt16LittleEndian(data[20..]);
            bits = BinaryPrimitives.ReadUInt16LittleEndian(data[24..]);
        }
        else
        {
            if (data.Length < 34) return $"BMP header ends at byte {data.Length}";
            width = BinaryPrimitives.ReadInt32LittleEndian(data[18..]);
            height = BinaryPrimitives.ReadInt32LittleEndian(data[22..]);
            bits = BinaryPrimitives.ReadUInt16LittleEndian(data[28..]);
            compression = BinaryPrimitives.ReadUInt32LittleEndian(data[30..]);
        }
        if (compression is not (0 or 3) || bits is 0 or > 64) return null;
        long end = offset + (Math.Abs(width) * bits + 31) / 32 * 4 * Math.Abs(height);
        return end > data.Length ? $"BMP pixel data needs {end} bytes, the file ends at {data.Length}" : null;
    }

    /// <summary>PBM/PGM/PPM: binary (P4–P6) pixel bytes after the header, or the plain (P1–P3) samples counted.</summary>
    public static string? Pnm(ReadOnlySpan<byte> data)
    {
        if (data.Length < 2 || data[0] != 'P' || data[1] is < (byte)'1' or > (byte)'6') return null;
        char kind = (char)data[1];
        Span<long> header = stackalloc long[3];
        int tokens = kind is '1' or '4' ? 2 : 3, pos = 2;
        header[2] = 1;
        for (int t = 0; t < tokens; t++)
        {
            pos = SkipPnmSpace(data, pos);
            int start = pos;
            long v = 0;
            while (pos < data.Length && data[pos] is >= (byte)'0' and <= (byte)'9' && v < int.MaxValue) v = v * 10 + data[pos++] - '0';
            if (pos == start) return pos >= data.Length ? $"PNM header ends at byte {data.Length}" : null;
            header[t] = v;
        }
        long width = header[0], height = header[1];
        int channels = kind is '3' or '6' ? 3 : 1;
        if (kind is '4' or '5' or '6')
        {
            // One whitespace byte ends the header.
            long bytes = kind == '4' ? (width + 7) / 8 * height : width * height * channels * (header[2] > 255 ? 2 : 1);
            long end = pos + 1 + bytes;
            return end > data.Length ? $"PNM pixel data needs {end} bytes, the file ends at {data.Length}" : null;
        }
        long need = width * height * channels, count = 0;
        while (count < need)
        {
            pos = SkipPnmSpace(data, pos);
            if (pos >= data.Length) break;
            if (data[pos] is < (byte)'0' or > (byte)'9') return null;
            // P1 samples are single digits that need no separator.
            if (kind == '1') pos++;
            else while (pos < data.Length && data[pos] is >= (byte)'0' and <= (byte)'9') pos++;
            count++;
        }
        return count < need ? $"PNM holds {count} of the {need} samples its header declares" : null;
    }

    private static int SkipPnmSpace(ReadOnlySpan<byte> data, int pos)
    {
        while (pos < data.Length)
        {
            if (data[pos] == '#') while (pos < data.Length && data[pos] != '\n' && data[pos] != '\r') pos++;
            else if (data[pos] is (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\r' or 0x0B or 0x0C) pos++;
            else break;
        }
        return pos;
    }

    /// <summary>TGA: the pixels after the header, ID and colour map; run-length packets walked to the last pixel.</summary>
    public static string? Tga(ReadOnlySpan<byte> data)
    {
        if (data.Length < 18) return $"TGA header ends at byte {data.Length}";
        int idLength = data[0], mapType = data[1], type = data[2];
        int mapLength = BinaryPrimitives.ReadUInt16LittleEndian(data[5..]), mapBits = data[7];
        long pixels = (long)BinaryPrimitives.ReadUInt16LittleEndian(data[12..]) * BinaryPrimitives.ReadUInt16LittleEndian(data[14..]);
        int bytes = (data[16] + 7) / 8;
        long pos = 18 + idLength + (mapType == 1 ? (long)mapLength * ((mapBits + 7) / 8) : 0);
        if (type is 1 or 2 or 3)
        {
            long end = pos + pixels * bytes;
            return end > data.Length ? $"TGA pixel data needs {end} bytes, the file ends at {data.Length}" : null;
        }
        if (type is not (9 or 10 or 11)) return null;
        for (long seen = 0; seen < pixels;)
        {
            if (pos >= data.Length) return $"TGA run-length data ends after {seen} of {pixels} pixels";
            int packet = data[(int)pos++];
            int count = (packet & 0x7F) + 1;
            pos += (packet & 0x80) != 0 ? bytes : (long)count * bytes;
            if (pos > data.Length) return $"TGA run-length data ends after {seen} of {pixels} pixels";
            seen += count;
        }
        return null;
    }

    /// <summary>TIFF: every strip or tile of the first image lies inside the file.</summary>
    public static string? Tiff(ReadOnlySpan<byte> data)
    {
        if (data.Length < 8 || data[0] != data[1] || data[0] is not ((byte)'I' or (byte)'M')) return null;
        bool little = data[0] == 'I';
        long ifd = TiffU32(data, 4, little);
        if (ifd + 2 > data.Length) return null;   // no readable directory: the decoder cannot identify the file
        long entries = TiffU16(data, ifd, little);
        if (ifd + 2 + entries * 12 > data.Length) return null;
        (long At, long Count, bool Long) offsets = default, counts = default;
        for (long e = ifd + 2; e < ifd + 2 + entries * 12; e += 12)
        {
            uint tag = TiffU16(data, e, little), type = TiffU16(data, e + 2, little), count = TiffU32(data, e + 4, little);
            if (type is not (3 or 4)) continue;
            bool isLong = type == 4;
            long at = count * (isLong ? 4 : 2) <= 4 ? e + 8 : TiffU32(data, e + 8, little);
            if (tag is 273 or 324) offsets = (at, count, isLong);
            else if (tag is 279 or 325) counts = (at, count, isLong);
        }
        long n = Math.Min(offsets.Count, counts.Count);
        if (offsets.At + n * (offsets.Long ? 4 : 2) > data.Length || counts.At + n * (counts.Long ? 4 : 2) > data.Length)
            return $"TIFF strip table needs bytes past the file's end ({data.Length})";
        for (long i = 0; i < n; i++)
        {
            long start = offsets.Long ? TiffU32(data, offsets.At + 4 * i, little) : TiffU16(data, offsets.At + 2 * i, little);
            long length = counts.Long ? TiffU32(data, counts.At + 4 * i, little) : TiffU16(data, counts.At + 2 * i, little);
            if (start + length > data.Length)
                return $"TIFF strip {i} needs {start + length} bytes, the file ends at {data.Length}";
        }
        return null;
    }

    private static uint TiffU16(ReadOnlySpan<byte> data, long at, bool little) =>
        little ? BinaryPrimitives.ReadUInt16LittleEndian(data[(int)at..]) : BinaryPrimitives.ReadUInt16BigEndian(data[(int)at..]);

    private static uint TiffU32(ReadOnlySpan<byte> data, long at, bool little) =>
        little ? BinaryPrimitives.ReadUInt32LittleEndian(data[(int)at..]) : BinaryPrimitives.ReadUInt32BigEndian(data[(int)at..]);

    /// <summary>WebP: the RIFF container's declared size and every chunk in it.</summary>
    public static string? Webp(ReadOnlySpan<byte> data)
    {
        if (data.Length < 12) return $"WebP header ends at byte {data.Length}";
        long end = 8L + BinaryPrimitives.ReadUInt32LittleEndian(data[4..]);
        if (end > data.Length) return $"WebP data needs {end} bytes, the file ends at {data.Length}";
        for (long pos = 12; pos + 8 <= end;)
        {
            long size = BinaryPrimitives.ReadUInt32LittleEndian(data[(int)(pos + 4)..]);
            long next = pos + 8 + size + (size & 1);
            if (pos + 8 + size > end)
                return $"WebP chunk '{System.Text.Encoding.ASCII.GetString(data.Slice((int)pos, 4))}' at byte {pos} needs {size} bytes, the file ends at {end}";
            pos = next;
        }
        return null;
    }
}
