using static TorchSharp.torch;

namespace VgtData.Collate;

/// <summary>input_ids of different lengths → [B, T] padded with pad_index, and the boolean attention mask.</summary>
internal static class TokenPadding
{
    public static (Tensor InputIds, Tensor AttentionMask) Pad(IReadOnlyList<long[]> ids, long padIndex, PaddingSide side)
    {
        int b = ids.Count;
        int t = Length(ids);
        var flat = new long[b * t];
        var mask = new bool[b * t];
        Fill(ids, padIndex, side, t, flat, mask);
        return (tensor(flat, new long[] { b, t }), tensor(mask, new long[] { b, t }));
    }

    /// <summary>T: the longest row.</summary>
    public static int Length(IReadOnlyList<long[]> ids) => ids.Count == 0 ? 0 : ids.Max(x => x.Length);

    /// <summary>Writes the rows padded to <paramref name="t"/> into row-major [B, t] spans (every element is written).</summary>
    public static void Fill(IReadOnlyList<long[]> ids, long padIndex, PaddingSide side, int t, Span<long> flat, Span<bool> mask)
    {
        flat[..(ids.Count * t)].Fill(padIndex);
        mask[..(ids.Count * t)].Clear();
        for (int i = 0; i < ids.Count; i++)
        {
            var row = ids[i];
            int start = i * t + (side == PaddingSide.Left ? t - row.Length : 0);
            row.CopyTo(flat[start..]);
            mask.Slice(start, row.Length).Fill(true);
        }
    }
}
