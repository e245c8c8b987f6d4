using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace VgtData.Tests.Latents;

/// <summary>Writes pickle opcodes by hand, so tests can build torch.save-style archives without Python.</summary>
internal sealed class PickleWriter
{
    private readonly MemoryStream _s = new();

    public PickleWriter Op(byte op) { _s.WriteByte(op); return this; }
    public PickleWriter Proto() => Op(0x80).Op(2);
    public PickleWriter Global(string module, string name)
    {
        Op((byte)'c');
        var b = Encoding.UTF8.GetBytes(module + "\n" + name + "\n");
        _s.Write(b);
        return this;
    }
    public PickleWriter Mark() => Op((byte)'(');
    public PickleWriter Tuple() => Op((byte)'t');
    public PickleWriter EmptyTuple() => Op((byte)')');
    public PickleWriter EmptyDict() => Op((byte)'}');
    public PickleWriter SetItem() => Op((byte)'s');
    public PickleWriter False() => Op(0x89);
    public PickleWriter Reduce() => Op((byte)'R');
    public PickleWriter BinPersId() => Op((byte)'Q');
    public PickleWriter Stop() => Op((byte)'.');
    public PickleWriter Put(byte slot) => Op((byte)'q').Op(slot);
    public PickleWriter Get(byte slot) => Op((byte)'h').Op(slot);
    public PickleWriter Str(string s)
    {
        var b = Encoding.UTF8.GetBytes(s);
        Op((byte)'X');
        Span<byte> len = stackalloc byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(len, b.Length);
        _s.Write(len);
        _s.Write(b);
        return this;
    }
    public PickleWriter Int(long v)
    {
        Op((byte)'J');
        Span<byte> b = stackalloc byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(b, checked((int)v));
        _s.Write(b);
        return this;
    }
    public PickleWriter IntTuple(long[] values)
    {
        Mark();
        foreach (var v in values) Int(v);
        return Tuple();
    }
    /// <summary>Pushes <c>_rebuild_tensor_v2(storage, offset, size, stride, False, OrderedDict())</c> (not yet reduced).</summary>
    public PickleWriter Tensor(string storageType, string key, long numel, long offset, long[] size, long[] stride)
    {
        Global("torch._utils", "_rebuild_tensor_v2");
        Mark();
        Mark().Str("storage").Global("torch", storageType).Str(key).Str("cpu").Int(numel).Tuple().BinPersId();
        Int(offset).IntTuple(size).IntTuple(stride).False();
        Global("collections", "OrderedDict").EmptyTuple().Reduce();
        Tuple();
        return Reduce();
    }
    public byte[] ToArray() => _s.ToArray();
}

internal static class TorchSaveBuilder
{
    /// <summary>A zip laid out like torch.save: archive/data.pkl, archive/data/&lt;key&gt;, archive/version.</summary>
    public static byte[] Archive(byte[] pickle, params (string Key, byte[] Bytes)[] storages)
    {
        var ms = new MemoryStream();
        using (var zip = new ZipArchive(ms, ZipArchiveMode.Create, leaveOpen: true))
        {
            Add(zip, "archive/data.pkl", pickle);
            foreach (var (key, bytes) in storages) Add(zip, "archive/data/" + key, bytes);
            Add(zip, "archive/version", Encoding.ASCII.GetBytes("3\n"));
        }
        return ms.ToArray();
    }

    /// <summary>A single-tensor archive with storage key "0".</summary>
    public static byte[] Tensor(string storageType, byte[] storage, long numel, long offset, long[] size, long[] stride)
    {
        var p = new PickleWriter().Proto().Tensor(storageType, "0", numel, offset, size, stride).Stop().ToArray();
        return Archive(p, ("0", storage));
    }

    private static void Add(ZipArchive zip, string name, byte[] bytes)
    {
        var e = zip.CreateEntry(name, CompressionLevel.NoCompression);
        using var s = e.Open();
        s.Write(bytes);
    }
}
