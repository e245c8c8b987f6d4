using static TorchSharp.torch;

namespace VgtData.Collate;

/// <summary>input_ids of different lengths → [B, T] padded with pad_index, and the boolean attention mask.</summary>
public static class TokenPadding
{
    public static (Tensor InputIds, Tensor AttentionMask) Pad(IReadOnlyList<long[]> ids, long padIndex, PaddingSide side)
    {
        int b = ids.Count;
        int t = ids.Count == 0 ? 0 : ids.Max(x => x.Length);
        var flat = new long[b * t];
        var mask = new bool[b * t];
        Array.Fill(flat, padIndex);
        for (int i = 0; i < b; i++)
        {
            var row = ids[i];
            int start = i * t + (side == PaddingSide.Left ? t - row.Length : 0);
            row.CopyTo(flat, start);
            mask.AsSpan(start, row.Length).Fill(true);
        }
        return (tensor(flat, new long[] { b, t }), tensor(mask, new long[] { b, t }));
    }
}
