namespace VgtData.Sampling;

/// <summary>Index arithmetic of torch's <c>ConcatDataset</c>: one index space over several datasets laid end to end.</summary>
internal static class ConcatIndex
{
    /// <summary>Running totals of <paramref name="sizes"/> (<c>ConcatDataset.cumulative_sizes</c>).</summary>
    public static long[] CumulativeSizes(IReadOnlyList<int> sizes)
    {
        ArgumentNullException.ThrowIfNull(sizes);
        var r = new long[sizes.Count];
        long total = 0;
        for (var i = 0; i < sizes.Count; i++)
        {
            if (sizes[i] < 0) throw new ArgumentOutOfRangeException(nameof(sizes), sizes[i], $"dataset {i} has a negative size");
            total += sizes[i];
            r[i] = total;
        }
        return r;
    }

    /// <summary>
    /// Which dataset holds the concatenated <paramref name="index"/>, and the index inside it. Negative indices count
    /// from the end as in Python; an index outside [-length, length) throws <see cref="IndexOutOfRangeException"/>.
    /// Empty datasets are skipped (bisect_right, as torch does).
    /// </summary>
    public static (int Dataset, int Local) Locate(long[] cumulativeSizes, long index)
    {
        ArgumentNullException.ThrowIfNull(cumulativeSizes);
        var length = cumulativeSizes.Length == 0 ? 0 : cumulativeSizes[^1];
        var i = index < 0 ? index + length : index;
        if (i < 0 || i >= length)
            throw new IndexOutOfRangeException($"index {index} is out of range for a concatenated dataset of length {length}");

        // bisect_right: the first dataset whose cumulative size exceeds i.
        int lo = 0, hi = cumulativeSizes.Length;
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            if (cumulativeSizes[mid] <= i) lo = mid + 1;
            else hi = mid;
        }
        var start = lo == 0 ? 0 : cumulativeSizes[lo - 1];
        return (lo, checked((int)(i - start)));
    }

    /// <summary>The multi-source samplers' shared argument checks; returns each source's first global index.</summary>
    internal static long[] SourceOffsets(IReadOnlyList<int> sourceSizes, int repeatCount, int batchSize)
    {
        ArgumentNullException.ThrowIfNull(sourceSizes);
        if (sourceSizes.Count == 0) throw new ArgumentException("at least one source is needed", nameof(sourceSizes));
        if (repeatCount != sourceSizes.Count)
            throw new ArgumentException($"{sourceSizes.Count} sources but {repeatCount} repeat values", "repeat");
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        var cumulative = CumulativeSizes(sourceSizes);
        var offsets = new long[sourceSizes.Count];
        for (var i = 1; i < offsets.Length; i++) offsets[i] = cumulative[i - 1];
        return offsets;
    }
}
