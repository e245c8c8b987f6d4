using VgtData.Datasets;

namespace VgtData.Validation;

internal sealed record ValidationOptions
{
    /// <summary>Entries checked at once (each decode is single-threaded); 0: one per core.</summary>
    public int Workers { get; init; }

    /// <summary>Counts checked and bad entries while the run goes; may be null.</summary>
    public VgtData.Progress.ProgressMeter? Progress { get; init; }
}

/// <summary>
/// Checks every entry of every member dataset: caption, image read and decode under the dataset's limits, and the
/// caption's prompt length. Unlike the dataset it replaces nothing: every bad entry is listed.
/// </summary>
internal static class DatasetValidator
{
    public static ValidationReport Run(ISampleDataset dataset, ValidationOptions? options = null)
    {
        options ??= new ValidationOptions();
        var members = EntryValidator.Members(dataset);
        var offsets = new int[members.Count + 1];
        for (int m = 0; m < members.Count; m++) offsets[m + 1] = checked(offsets[m] + members[m].Entries.Count);
        int total = offsets[^1];

        var failures = new SampleFailure?[total];
        var tokens = new int[total];   // -1: the caption could not be read
        int workers = options.Workers > 0 ? options.Workers : Environment.ProcessorCount;
        Parallel.For(0, total, new ParallelOptions { MaxDegreeOfParallelism = workers }, flat =>
        {
            int m = Array.BinarySearch(offsets, flat);
            m = m >= 0 ? m : ~m - 1;
            while (m + 1 < offsets.Length && offsets[m + 1] <= flat) m++;   // skip empty members
            var member = members[m];
            var failure = member.Check(flat - offsets[m], out var caption);
            failures[flat] = failure;
            tokens[flat] = caption is null ? -1 : member.Options.Text.CountTokens(caption, cfg: false);
            options.Progress?.Add(1);
            if (failure != null) options.Progress?.AddCount();
        });

        var bad = new List<BadEntry>();
        var lengths = new List<int>();
        int truncated = 0;
        for (int m = 0; m < members.Count; m++)
        {
            var entries = members[m].Entries;
            int? max = members[m].Options.Text.MaxLength;
            for (int i = 0; i < entries.Count; i++)
            {
                int flat = offsets[m] + i;
                if (failures[flat] is { } f) bad.Add(new BadEntry(m, i, entries.ImageOf(i), f.Path, f.Reason, f.Detail));
                if (tokens[flat] < 0) continue;
                lengths.Add(tokens[flat]);
                if (max is int limit && tokens[flat] > limit) truncated++;
            }
        }
        var maxLengths = members.Select(d => d.Options.Text.MaxLength).Distinct().ToList();
        return new ValidationReport
        {
            Checked = total,
            Bad = bad,
            TruncatedByMaxLength = truncated,
            TokenLength = TokenLengthStats.From(lengths),
            MaxLength = maxLengths.Count == 1 ? maxLengths[0] : null,
            DatasetSizes = members.Select(d => d.Entries.Count).ToList(),
        };
    }
}
