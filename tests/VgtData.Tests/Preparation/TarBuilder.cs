using System.Text;

namespace VgtData.Tests.Preparation;

/// <summary>Writes tar archives byte by byte (ustar headers, GNU 'L' long names, pax 'x' records), including the
/// hostile members no well-behaved writer would produce.</summary>
internal sealed class TarBuilder
{
    private readonly MemoryStream _out = new();

    public TarBuilder File(string name, byte[] data) => Header(name, '0', data.Length, "").Data(data);

    public TarBuilder Entry(string name, char type, string link = "") => Header(name, type, 0, link);

    public TarBuilder GnuLongName(string name, byte[] data)
    {
        var nameBytes = Encoding.UTF8.GetBytes(name + "\0");
        Header("././@LongLink", 'L', nameBytes.Length, "").Data(nameBytes);
        return Header(name[..Math.Min(99, name.Length)], '0', data.Length, "").Data(data);
    }

    public TarBuilder PaxFile(string path, byte[] data)
    {
        var record = "path=" + path + "\n";
        var body = " " + record;
        int len = Encoding.UTF8.GetByteCount(body);
        int total = len + len.ToString().Length;
        if (total.ToString().Length != len.ToString().Length) total++;
        var pax = Encoding.UTF8.GetBytes(total + body);
        Header("PaxHeaders/x", 'x', pax.Length, "").Data(pax);
        return Header("short-name-ignored", '0', data.Length, "").Data(data);
    }

    public byte[] Build(bool endMarker = true)
    {
        if (endMarker) _out.Write(new byte[1024]);
        return _out.ToArray();
    }

    private TarBuilder Header(string name, char type, long size, string link)
    {
        var h = new byte[512];
        Put(h, 0, 100, name);
        Put(h, 100, 8, "0000644");
        Put(h, 108, 8, "0000000");
        Put(h, 116, 8, "0000000");
        Put(h, 124, 12, Convert.ToString(size, 8).PadLeft(11, '0'));
        Put(h, 136, 12, "14000000000");
        h[156] = (byte)type;
        Put(h, 157, 100, link);
        Encoding.ASCII.GetBytes("ustar\0").CopyTo(h, 257);
        Encoding.ASCII.GetBytes("00").CopyTo(h, 263);
        for (int i = 148; i < 156; i++) h[i] = (byte)' ';
        int sum = h.Sum(b => b);
        Put(h, 148, 8, Convert.ToString(sum, 8).PadLeft(6, '0'));
        _out.Write(h);
        return this;
    }

    private TarBuilder Data(byte[] data)
    {
        _out.Write(data);
        int pad = (512 - data.Length % 512) % 512;
        _out.Write(new byte[pad]);
        return this;
    }

    private static void Put(byte[] h, int offset, int length, string s)
    {
        var b = Encoding.UTF8.GetBytes(s);
        if (b.Length > length) throw new ArgumentException($"'{s}' does not fit {length} bytes");
        b.CopyTo(h, offset);
    }
}
