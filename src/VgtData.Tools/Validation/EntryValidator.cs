using VgtData.Datasets;

namespace VgtData.Validation;

/// <summary>The per-entry check, reusable outside <c>vgtdata validate</c>: the dataset's own caption, read and decode
/// steps (<see cref="CaptionDataset.Check"/>), so the reasons are exactly the ones training would record.</summary>
internal static class EntryValidator
{
    /// <summary>Null when entry <paramref name="index"/> of <paramref name="dataset"/> is usable, otherwise why not.</summary>
    public static SampleFailure? Check(CaptionDataset dataset, int index) => dataset.Check(index, out _);

    /// <summary>As <see cref="Check(CaptionDataset, int)"/>, also giving the raw caption when it could be read.</summary>
    public static SampleFailure? Check(CaptionDataset dataset, int index, out string? caption) => dataset.Check(index, out caption);

    /// <summary>The <see cref="CaptionDataset"/>s behind a dataset, in index order (a ConcatDataset's members, flattened).</summary>
    public static IReadOnlyList<CaptionDataset> Members(ISampleDataset dataset)
    {
        var result = new List<CaptionDataset>();
        Collect(dataset, result);
        return result;
    }

    private static void Collect(ISampleDataset dataset, List<CaptionDataset> into)
    {
        switch (dataset)
        {
            case CaptionDataset c: into.Add(c); break;
            case ConcatDataset concat:
                foreach (var d in concat.Datasets) Collect(d, into);
                break;
            default: throw new VgtDataException($"cannot validate a {dataset.GetType().Name}: only CaptionDataset and ConcatDataset are known");
        }
    }
}
