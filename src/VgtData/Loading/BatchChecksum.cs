using System.Numerics;
using System.Runtime.InteropServices;
using VgtData.Collate;
using static TorchSharp.torch;

namespace VgtData.Loading;

/// <summary>A running 64-bit hash of batch tensors, to show two runs produced the same bytes (not cryptographic).</summary>
public sealed class BatchChecksum
{
    private ulong _hash = 0x9E3779B97F4A7C15UL;

    public ulong Value => _hash;

    public string Hex => _hash.ToString("x16");

    public void Add(Batch batch)
    {
        foreach (var t in new[] { batch.PixelValues, batch.ImageLatents, batch.ImageTokens, batch.InputIds, batch.AttentionMask })
            if (t is not null) Add(t);
    }

    public void Add(Tensor tensor)
    {
        using var cpu = tensor.device_type == TorchSharp.DeviceType.CPU ? tensor.contiguous() : tensor.cpu().contiguous();
        Add(cpu.bytes);
        foreach (var d in tensor.shape) Mix((ulong)d);
    }

    public void Add(ReadOnlySpan<byte> bytes)
    {
        var words = MemoryMarshal.Cast<byte, ulong>(bytes);
        ulong h = _hash;
        foreach (var w in words) h = BitOperations.RotateLeft((h ^ w) * 0x9FB21C651E98DF25UL, 29);
        _hash = h;
        foreach (var b in bytes[(words.Length * 8)..]) Mix(b);
        Mix((ulong)bytes.Length);
    }

    private void Mix(ulong v) => _hash = BitOperations.RotateLeft((_hash ^ v) * 0x9FB21C651E98DF25UL, 29);
}
