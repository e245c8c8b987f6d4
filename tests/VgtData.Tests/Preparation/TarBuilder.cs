using System.Text;

namespace VgtData.Tests.Preparation;

/// <summary>Writes tar archives byte by byte (ustar headers, GNU 'L' long names, pax 'x' records), including the
/// hostile members no well-behaved writer would produce.</summary>
internal sealed class TarBuilder
{
    private readonly MemoryStream _out = new();

    public TarBuilder File(string name, byte[] data) => Header(name, '0', data.Length, "").Data(data);

    /// <summary>A regular file whose name is given as raw bytes (e.g. not valid UTF-8).</summary>
    public TarBuilder RawNameFile(byte[] name, byte[] data) => Header(name, '0', data.Length, "", null).Data(data);

    /// <summary>A regular file whose 12-byte size field is written as given, followed by <paramref name="data"/>.</summary>
    public TarBuilder BogusSizeFile(string name, byte[] sizeField, byte[] data) =>
        Header(Encoding.UTF8.GetBytes(name), '0', 0, "", sizeField).Data(data);

    public TarBuilder Entry(string name, char type, string link = "") => Header(name, type, 0, link);

    /// <summary>A member of any type flag that carries data (e.g. 'S', old GNU sparse).</summary>
    public TarBuilder Typed(string name, char type, byte[] data) => Header(name, type, data.Length, "").Data(data);

    public TarBuilder GnuLongName(string name, byte[] data)
    {
        var nameBytes = Encoding.UTF8.GetBytes(name + "\0");
        Header("././@LongLink", 'L', nameBytes.Length, "").Data(nameBytes);
        return Header(Truncate(name, 99), '0', data.Length, "").Data(data);
    }

    public TarBuilder PaxFile(string path, byte[] data) => Pax([("path", Encoding.UTF8.GetBytes(path))], "short-name-ignored", '0', data);

    /// <summary>A pax extended header with the given records, then a member of <paramref name="type"/> named
    /// <paramref name="headerName"/> holding <paramref name="data"/>.</summary>
    public TarBuilder Pax(IEnumerable<(string Key, byte[] Value)> records, string headerName, char type, byte[] data)
    {
        var pax = new MemoryStream();
        foreach (var (key, value) in records)
        {
            int body = 1 + Encoding.UTF8.GetByteCount(key) + 1 + value.Length + 1;
            int total = body + body.ToString().Length;
            if (total.ToString().Length != body.ToString().Length) total++;
            pax.Write(Encoding.UTF8.GetBytes($"{total} {key}="));
            pax.Write(value);
            pax.WriteByte((byte)'\n');
        }
        var bytes = pax.ToArray();
        Header("PaxHeaders/x", 'x', bytes.Length, "").Data(bytes);
        return Header(headerName, type, data.Length, "").Data(data);
    }

    public byte[] Build(bool endMarker = true)
    {
        if (endMarker) _out.Write(new byte[1024]);
        return _out.ToArray();
    }

    private static string Truncate(string s, int bytes)
    {
        while (Encoding.UTF8.GetByteCount(s) > bytes) s = s[..^1];
        return s;
    }

    private TarBuilder Header(string name, char type, long size, string link) => Header(Encoding.UTF8.GetBytes(name), type, size, link, null);

    private TarBuilder Header(byte[] name, char type, long size, string link, byte[]? sizeField)
    {
        var h = new byte[512];
        if (name.Length > 100) throw new ArgumentException($"name of {name.Length} bytes does not fit 100 bytes");
        name.CopyTo(h, 0);
        Put(h, 100, 8, "0000644");
        Put(h, 108, 8, "0000000");
        Put(h, 116, 8, "0000000");
        if (sizeField != null) sizeField.CopyTo(h, 124);
        else Put(h, 124, 12, Convert.ToString(size, 8).PadLeft(11, '0'));
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
