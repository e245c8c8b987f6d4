using System.Globalization;
using System.Text;

namespace VgtData.Cli;

/// <summary>Writes NumPy .npy files (format 1.0, little-endian, C order) so Python can load what the loader produced.</summary>
public static class NpyWriter
{
    public static void WriteFloat32(string path, ReadOnlySpan<float> data, IReadOnlyList<long> shape)
    {
        using var stream = File.Create(path);
        WriteHeader(stream, "<f4", shape);
        var bytes = System.Runtime.InteropServices.MemoryMarshal.AsBytes(data);
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("big-endian hosts are not supported");
        stream.Write(bytes);
    }

    private static void WriteHeader(Stream stream, string descr, IReadOnlyList<long> shape)
    {
        var dims = shape.Count == 1 ? $"{shape[0]}," : string.Join(", ", shape.Select(s => s.ToString(CultureInfo.InvariantCulture)));
        var dict = $"{{'descr': '{descr}', 'fortran_order': False, 'shape': ({dims}), }}";
        int unpadded = 10 + dict.Length + 1;
        int total = (unpadded + 63) / 64 * 64;
        var header = dict + new string(' ', total - unpadded) + "\n";
        stream.Write([0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0]);
        stream.Write(BitConverter.GetBytes((ushort)header.Length));
        stream.Write(Encoding.ASCII.GetBytes(header));
    }
}
