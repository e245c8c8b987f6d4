using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace VgtData.Validation;

/// <summary>One bad entry: member dataset <see cref="Dataset"/>, entry <see cref="Index"/> of its manifest.</summary>
internal sealed record BadEntry(int Dataset, int Index, string Image, string Path, SampleFailureReason Reason, string Detail)
{
    public string ReasonName => SampleException.ReasonName(Reason);
}

/// <summary>Nearest-rank percentiles of the prompt lengths (template applied, cfg=false, before truncation).</summary>
internal sealed record TokenLengthStats(int Count, int P50, int P90, int P99, int Max)
{
    /// <summary>Nearest-rank percentiles (the smallest value with at least p% of the values at or below it).</summary>
    public static TokenLengthStats? From(IReadOnlyList<int> lengths)
    {
        if (lengths.Count == 0) return null;
        var sorted = lengths.ToArray();
        Array.Sort(sorted);
        return new TokenLengthStats(sorted.Length, Rank(sorted, 50), Rank(sorted, 90), Rank(sorted, 99), sorted[^1]);
    }

    public static int Rank(int[] sorted, int percent)
    {
        int rank = (int)Math.Ceiling(percent / 100.0 * sorted.Length);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)];
    }
}

/// <summary>What <see cref="DatasetValidator"/> found: every bad entry (in dataset, index order) and the caption statistics.</summary>
internal sealed class ValidationReport
{
    public required int Checked { get; init; }
    public required IReadOnlyList<BadEntry> Bad { get; init; }

    /// <summary>Bad entries per reason name, in <see cref="SampleFailureReason"/> order.</summary>
    public IReadOnlyList<KeyValuePair<string, int>> ByReason => Bad.GroupBy(b => b.Reason).OrderBy(g => g.Key)
        .Select(g => new KeyValuePair<string, int>(SampleException.ReasonName(g.Key), g.Count())).ToList();

    /// <summary>Captions whose prompt (cfg=false) is longer than their dataset's max_length.</summary>
    public required int TruncatedByMaxLength { get; init; }

    /// <summary>Over every caption that could be read (also of entries whose image is bad); null when none could.</summary>
    public required TokenLengthStats? TokenLength { get; init; }

    /// <summary>The members' max_length when they agree, else null (also null when none is set).</summary>
    public required int? MaxLength { get; init; }

    /// <summary>Each member's manifest entry count, in member order.</summary>
    public required IReadOnlyList<int> DatasetSizes { get; init; }

    public bool IsClean => Bad.Count == 0;

    /// <summary>The one-line JSON summary: <c>{"checked", "bad", "by_reason", "truncated_by_max_length", "token_length", "max_length"}</c>.</summary>
    public string ToJsonLine()
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            w.WriteStartObject();
            w.WriteNumber("checked", Checked);
            w.WriteStartArray("bad");
            foreach (var b in Bad)
            {
                w.WriteStartObject();
                w.WriteString("image", b.Image);
                w.WriteString("reason", b.ReasonName);
                w.WriteString("detail", b.Detail);
                w.WriteNumber("dataset", b.Dataset);
                w.WriteNumber("index", b.Index);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteStartObject("by_reason");
            foreach (var (reason, count) in ByReason) w.WriteNumber(reason, count);
            w.WriteEndObject();
            w.WriteNumber("truncated_by_max_length", TruncatedByMaxLength);
            if (TokenLength is { } t)
            {
                w.WriteStartObject("token_length");
                w.WriteNumber("p50", t.P50);
                w.WriteNumber("p90", t.P90);
                w.WriteNumber("p99", t.P99);
                w.WriteNumber("max", t.Max);
                w.WriteEndObject();
            }
            else w.WriteNull("token_length");
            if (MaxLength is int m) w.WriteNumber("max_length", m); else w.WriteNull("max_length");
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(ms.ToArray());
    }

    /// <summary>The human summary: totals, counts per reason, every bad entry, then the caption lengths.</summary>
    public void WriteSummary(TextWriter w)
    {
        var ci = CultureInfo.InvariantCulture;
        string datasets = DatasetSizes.Count == 1 ? "1 dataset" : $"{DatasetSizes.Count} datasets";
        w.WriteLine(string.Create(ci, $"checked {Checked} entries ({datasets}): {(IsClean ? "all usable" : $"{Bad.Count} bad")}"));
        foreach (var (reason, count) in ByReason) w.WriteLine(string.Create(ci, $"  {reason,-22} {count}"));
        if (!IsClean)
        {
            w.WriteLine("bad entries (dataset:index image: reason: detail [path]):");
            foreach (var b in Bad)
                w.WriteLine(MessageText.Escape(string.Create(ci, $"  {b.Dataset}:{b.Index} {b.Image}: {b.ReasonName}{(b.Detail.Length > 0 ? ": " + b.Detail : "")} [{b.Path}]")));
        }
        if (TokenLength is { } t)
        {
            w.WriteLine(string.Create(ci, $"prompt tokens (template applied, cfg=false) over {t.Count} captions: p50 {t.P50}, p90 {t.P90}, p99 {t.P99}, max {t.Max}"));
            w.WriteLine(MaxLength is int m
                ? string.Create(ci, $"max_length {m} truncates {TruncatedByMaxLength} of {t.Count} captions")
                : TruncatedByMaxLength > 0
                    ? string.Create(ci, $"the members' max_length settings truncate {TruncatedByMaxLength} of {t.Count} captions")
                    : "no max_length: nothing is truncated");
        }
        else w.WriteLine("no caption could be read");
    }
}
