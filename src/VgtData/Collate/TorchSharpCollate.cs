using TorchSharp;
using static TorchSharp.torch;

namespace VgtData.Collate;

/// <summary>
/// <c>collate_func_gen</c> for TorchSharp's own <c>DataLoader</c>, whose default collate cannot stack
/// <c>input_ids</c> of different lengths. It takes the dicts <c>CaptionDataset.GetTensor</c> /
/// <c>ConcatDataset.GetTensor</c> return and gives <c>input_ids</c> int64 [B, T] padded with <c>pad_index</c>,
/// <c>attention_mask</c> bool [B, T], and every other key (<c>pixel_values</c>, <c>image_latents</c>,
/// <c>image_tokens</c>) stacked along a new first dimension, all on the chosen device.
/// </summary>
/// <example>
/// <code>
/// var loader = new TorchSharp.Modules.DataLoader&lt;Dictionary&lt;string, Tensor&gt;, Dictionary&lt;string, Tensor&gt;&gt;(
///     dataset, batchSize, TorchSharpCollate.Create(padIndex: 0), new EpochShuffler(sampler, dataset), num_worker: 8);
/// </code>
/// </example>
public static class TorchSharpCollate
{
    /// <summary>
    /// A collate function for <c>TorchSharp.Modules.DataLoader</c>'s <c>collate_fn</c> argument.
    /// </summary>
    /// <param name="padIndex"><c>pad_index</c>: the id filling <c>input_ids</c> beyond a sample's length.</param>
    /// <param name="device">Where the batch goes; null: the device the DataLoader passes (its <c>device</c> argument).</param>
    /// <param name="padLeft">Left padding (<c>collate_func_img2img</c>); right padding (<c>collate_func_gen</c>) otherwise.</param>
    public static Func<IEnumerable<Dictionary<string, Tensor>>, Device, Dictionary<string, Tensor>> Create(
        long padIndex, Device? device = null, bool padLeft = false) =>
        (items, loaderDevice) => Collate(items as IReadOnlyList<Dictionary<string, Tensor>> ?? items.ToList(), padIndex, device ?? loaderDevice, padLeft);

    /// <summary>Collates one batch of sample dicts; the items stay owned by the caller.</summary>
    /// <exception cref="VgtDataException">The batch is empty, an item lacks <c>input_ids</c>, the items' keys differ, or
    /// a key's shapes differ between items.</exception>
    public static Dictionary<string, Tensor> Collate(IReadOnlyList<Dictionary<string, Tensor>> items, long padIndex,
        Device? device = null, bool padLeft = false)
    {
        var padding = padLeft ? PaddingSide.Left : PaddingSide.Right;
        ArgumentNullException.ThrowIfNull(items);
        if (items.Count == 0) throw new VgtDataException("collate: the batch is empty");
        var keys = items[0].Keys.Order(StringComparer.Ordinal).ToArray();
        for (int i = 0; i < items.Count; i++)
        {
            if (!items[i].ContainsKey("input_ids")) throw new VgtDataException($"collate: item {i} has no \"input_ids\"");
            if (!items[i].Keys.Order(StringComparer.Ordinal).SequenceEqual(keys))
                throw new VgtDataException($"collate: item {i} has keys [{string.Join(", ", items[i].Keys.Order(StringComparer.Ordinal))}], " +
                    $"item 0 has [{string.Join(", ", keys)}]");
        }

        var ids = new long[items.Count][];
        for (int i = 0; i < items.Count; i++)
        {
            var t = items[i]["input_ids"];
            if (t.dim() != 1 || t.dtype != ScalarType.Int64)
                throw new VgtDataException($"collate: item {i}'s input_ids is {t.dtype} [{string.Join(", ", t.shape)}], expected a 1-D int64 tensor");
            using var cpu = t.device_type == DeviceType.CPU ? t.alias() : t.cpu();
            ids[i] = cpu.data<long>().ToArray();
        }
        var target = device ?? CPU;
        var (inputIds, mask) = TokenPadding.Pad(ids, padIndex, padding);
        var batch = new Dictionary<string, Tensor>
        {
            ["input_ids"] = To(inputIds, target),
            ["attention_mask"] = To(mask, target),
        };
        try
        {
            foreach (var key in keys)
            {
                if (key == "input_ids") continue;
                var shape = items[0][key].shape;
                for (int i = 1; i < items.Count; i++)
                    if (!items[i][key].shape.SequenceEqual(shape))
                        throw new VgtDataException($"collate: \"{key}\" of item {i} is [{string.Join(", ", items[i][key].shape)}], " +
                            $"item 0's is [{string.Join(", ", shape)}]");
                batch[key] = To(stack(items.Select(x => x[key]).ToArray()), target);
            }
        }
        catch
        {
            foreach (var t in batch.Values) t.Dispose();
            throw;
        }
        return batch;
    }

    private static Tensor To(Tensor t, Device device)
    {
        if (t.device_type == device.type && t.device_index == device.index) return t;
        var moved = t.to(device);
        t.Dispose();
        return moved;
    }
}
