using System.IO.Hashing;
using VgtData.Collate;
using static TorchSharp.torch;

namespace VgtData.Loading;

/// <summary>A running XXH3 hash of batch tensors (bytes and shapes, in order), to show two runs produced the same batches.</summary>
public sealed class BatchChecksum
{
    private readonly XxHash3 _hash = new();

    public ulong Value => _hash.GetCurrentHashAsUInt64();

    public string Hex => Value.ToString("x16");

    public void Add(Batch batch)
    {
        foreach (var t in new[] { batch.PixelValues, batch.ImageLatents, batch.ImageTokens, batch.InputIds, batch.AttentionMask })
            if (t is not null) Add(t);
    }

    public void Add(Tensor tensor)
    {
        using var cpu = tensor.device_type == TorchSharp.DeviceType.CPU ? tensor.contiguous() : tensor.cpu().contiguous();
        _hash.Append(cpu.bytes);
        foreach (var d in tensor.shape) _hash.Append(BitConverter.GetBytes(d));
    }
}
