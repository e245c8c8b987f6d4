using System.Buffers.Binary;

namespace VgtData.Images;

/// <summary>What a JPEG's frame header (SOFn) says: size and number of colour components, read without decoding.</summary>
internal readonly record struct JpegHeader(int Width, int Height, int Components)
{
    public static bool IsJpeg(ReadOnlySpan<byte> data) => data.Length >= 3 && data[0] == 0xFF && data[1] == 0xD8 && data[2] == 0xFF;

    /// <summary>Walks the markers up to the first frame header; throws <see cref="SampleException"/> when there is none.</summary>
    public static JpegHeader Read(ReadOnlySpan<byte> data, string path) => Read(data, path, out _);

    /// <summary>As <see cref="Read(ReadOnlySpan{byte}, string)"/>; <paramref name="frameAt"/> is the frame header's marker offset.</summary>
    public static JpegHeader Read(ReadOnlySpan<byte> data, string path, out int frameAt)
    {
        frameAt = -1;
        int pos = 2;
        while (pos + 4 <= data.Length)
        {
            if (data[pos] != 0xFF)
                throw new SampleException(SampleFailureReason.Undecodable, path, $"JPEG marker expected at byte {pos}");
            byte marker = data[pos + 1];
            if (marker == 0xFF) { pos++; continue; }
            if (marker is 0x01 or (>= 0xD0 and <= 0xD7)) { pos += 2; continue; }
            if (marker is 0xDA or 0xD9) break;
            int length = BinaryPrimitives.ReadUInt16BigEndian(data[(pos + 2)..]);
            if (length < 2) throw new SampleException(SampleFailureReason.Undecodable, path, $"JPEG segment at byte {pos} has length {length}");
            bool isFrame = marker is >= 0xC0 and <= 0xCF && marker is not (0xC4 or 0xC8 or 0xCC);
            if (isFrame)
            {
                if (length < 8 || pos + 10 > data.Length)
                    throw new SampleException(SampleFailureReason.Truncated, path, "JPEG frame header is cut short");
                int height = BinaryPrimitives.ReadUInt16BigEndian(data[(pos + 5)..]);
                int width = BinaryPrimitives.ReadUInt16BigEndian(data[(pos + 7)..]);
                int components = data[pos + 9];
                if (width == 0 || height == 0)
                    throw new SampleException(SampleFailureReason.Undecodable, path, $"JPEG frame header declares a size of {width}x{height}");
                frameAt = pos;
                return new JpegHeader(width, height, components);
            }
            pos += 2 + length;
        }
        throw new SampleException(SampleFailureReason.Undecodable, path, "JPEG has no frame header before its image data");
    }
}
