using System.IO.Hashing;
using VgtData.Collate;
using static TorchSharp.torch;

namespace VgtData.Loading;

/// <summary>
/// A running XXH3 hash of batch tensors (which tensor, its dtype, shape and bytes, in order), to show two runs produced
/// the same batches: a change of one byte in any batch tensor changes it.
/// </summary>
internal sealed class BatchChecksum
{
    private readonly XxHash3 _hash = new();

    public ulong Value => _hash.GetCurrentHashAsUInt64();

    public string Hex => Value.ToString("x16");

    /// <summary>Adds every tensor of the batch: pixel_values, image_latents, image_tokens, input_ids, attention_mask.</summary>
    public void Add(Batch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        // Each slot is tagged, so a tensor moving from one key to another (or going missing) changes the hash.
        Tensor?[] slots = [batch.PixelValues, batch.ImageLatents, batch.ImageTokens, batch.InputIds, batch.AttentionMask];
        for (byte slot = 0; slot < slots.Length; slot++)
        {
            _hash.Append([slot, slots[slot] is null ? (byte)0 : (byte)1]);
            if (slots[slot] is { } t) Add(t);
        }
    }

    /// <summary>Adds one tensor: its dtype, shape and bytes (copied to the CPU when it lives elsewhere).</summary>
    public void Add(Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        using var cpu = tensor.device_type == TorchSharp.DeviceType.CPU ? tensor.contiguous() : tensor.cpu().contiguous();
        _hash.Append(BitConverter.GetBytes((int)tensor.dtype));
        _hash.Append(BitConverter.GetBytes(tensor.dim()));
        foreach (var d in tensor.shape) _hash.Append(BitConverter.GetBytes(d));
        _hash.Append(cpu.bytes);
    }
}
