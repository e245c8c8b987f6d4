using System.Text.Json;

namespace VgtData.Preparation;

/// <summary>A source row (or file pair) that <c>prepare</c> left out of data.json, and why. <see cref="Row"/> names it:
/// <c>raw/text_to_image.json[12]</c>, <c>raw/Surrel-Fantasy-Image/conflict.jsonl:7</c>, <c>00000000/00000001.jpg</c>.</summary>
internal sealed record RefusedRow(string Row, string Reason);

/// <summary>
/// What <c>vgtdata prepare NAME</c> did, written to <c>DIR/prepare-report.json</c> (atomically) and mirrored on the console:
/// <code>
/// {
///   "recipe": "sharegpt-4o-image",
///   "entries": n,             // source rows read (annotation entries, jsonl lines, image/annotation pairs)
///   "written": n,             // rows in data.json
///   "omitted": {"reason": n, ...},           // rows left out, by reason (every reason of the recipe always present)
///   "refused_rows": [{"row": "...", "reason": "..."}],   // each row left out for a reason other than the recipe's own
///                                            // filter (echo's task_type), in source order, the first 10000 listed
///   "refused_rows_not_listed": n,
///   "bytes": n,               // bytes of the files the rows point at (images and annotation files)
///   // recipes that unpack tar parts add:
///   "refused_members": [{"part": "...", "member": "...", "reason": "absolute path" | "parent traversal" | "NUL in name"
///                | "name component over 255 bytes" | "path over 3840 bytes" | "symlink" | "hard link" | "device"
///                | "sparse file (not supported)" | "unsupported type" | "name collision" | "file/folder name conflict"
///                | "symlink in output path" | "cannot write: ..."}],
///   "part_errors": [{"part": "...", "error": "..."}],   // parts unreadable past some point (truncated, corrupt); exit code 3
///   "in_place": bool,         // true: the parts were only listed (no --extract), nothing written
///   "members": n,             // regular members usable (extracted, already there, or listed in place)
///   "extracted": n, "skipped_existing": n, "identical_duplicates": n, "parts": n
/// }
/// </code>
/// A name collision is reported for the member that lost (the later one in part, member order).
/// </summary>
internal sealed class PrepareReport
{
    /// <summary>Rows listed one by one in the report; the rest are counted only, so the report stays bounded.</summary>
    public const int MaxListedRows = 10_000;

    public required string Recipe { get; init; }
    public int Entries { get; init; }
    public int Written { get; init; }
    /// <summary>The recipe's omission reasons, in report order.</summary>
    public required IReadOnlyList<string> Reasons { get; init; }
    public required IReadOnlyDictionary<string, int> Omitted { get; init; }
    public IReadOnlyList<RefusedRow> RefusedRows { get; init; } = [];
    public int RefusedRowsNotListed { get; init; }
    public long Bytes { get; init; }
    /// <summary>Null for recipes that unpack nothing (laion-6m, redcaps-5m).</summary>
    public ExtractionResult? Extraction { get; init; }

    public void WriteJson(Stream stream)
    {
        using (var w = new Utf8JsonWriter(stream, DataJson.WriterOptions))
        {
            w.WriteStartObject();
            w.WriteString("recipe", Recipe);
            w.WriteNumber("entries", Entries);
            w.WriteNumber("written", Written);
            w.WriteStartObject("omitted");
            foreach (var reason in Reasons) w.WriteNumber(reason, Omitted.GetValueOrDefault(reason));
            w.WriteEndObject();
            w.WriteStartArray("refused_rows");
            foreach (var r in RefusedRows)
            {
                w.WriteStartObject();
                w.WriteString("row", r.Row);
                w.WriteString("reason", r.Reason);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteNumber("refused_rows_not_listed", RefusedRowsNotListed);
            w.WriteNumber("bytes", Bytes);
            if (Extraction is { } x)
            {
                w.WriteStartArray("refused_members");
                foreach (var r in x.Refused)
                {
                    w.WriteStartObject();
                    w.WriteString("part", r.Part);
                    w.WriteString("member", r.Member);
                    w.WriteString("reason", r.Reason);
                    w.WriteEndObject();
                }
                w.WriteEndArray();
                w.WriteStartArray("part_errors");
                foreach (var e in x.Errors)
                {
                    w.WriteStartObject();
                    w.WriteString("part", e.Part);
                    w.WriteString("error", e.Error);
                    w.WriteEndObject();
                }
                w.WriteEndArray();
                w.WriteBoolean("in_place", x.InPlace);
                w.WriteNumber("members", x.Members);
                w.WriteNumber("extracted", x.Extracted);
                w.WriteNumber("skipped_existing", x.SkippedExisting);
                w.WriteNumber("identical_duplicates", x.IdenticalDuplicates);
                w.WriteNumber("parts", x.Parts);
            }
            w.WriteEndObject();
        }
        stream.Write("\n"u8);
    }

    /// <summary>Rows shown on the console; the report file lists more.</summary>
    private const int ConsoleRows = 20;

    /// <summary>The console summary: the same numbers as the JSON.</summary>
    public void WriteSummary(TextWriter o)
    {
        o.WriteLine($"entries: {Entries}, written to data.json: {Written}");
        foreach (var reason in Reasons)
            if (Omitted.GetValueOrDefault(reason) is var n and > 0) o.WriteLine($"  omitted ({reason}): {n}");
        foreach (var r in RefusedRows.Take(ConsoleRows)) o.WriteLine($"  refused {Printable(r.Row)}: {r.Reason}");
        int more = RefusedRows.Count - ConsoleRows + RefusedRowsNotListed;
        if (more > 0) o.WriteLine($"  ... {more} more refused row(s), see prepare-report.json");
        if (Extraction is { } x) WriteExtractionSummary(o, x);
    }

    /// <summary>A member name for the console: control characters (NUL, newline, escape) as \xNN, so a hostile name
    /// cannot break or forge report lines.</summary>
    public static string Printable(string name)
    {
        if (!name.Any(char.IsControl)) return name;
        var sb = new System.Text.StringBuilder(name.Length + 8);
        foreach (var c in name)
        {
            if (char.IsControl(c)) sb.Append($"\\x{(int)c:X2}");
            else sb.Append(c);
        }
        return sb.ToString();
    }

    public static void WriteExtractionSummary(TextWriter o, ExtractionResult x)
    {
        if (x.InPlace) o.WriteLine($"parts: {x.Parts}, read in place (nothing unpacked; --extract unpacks them): {x.Members} members");
        else o.WriteLine($"parts: {x.Parts}, extracted: {x.Extracted}, skipped existing: {x.SkippedExisting}, identical duplicates: {x.IdenticalDuplicates}");
        if (x.Refused.Count > 0)
        {
            o.WriteLine($"refused members: {x.Refused.Count}");
            foreach (var r in x.Refused) o.WriteLine($"  {r.Part}: {Printable(r.Member)}: {r.Reason}");
        }
        foreach (var e in x.Errors) o.WriteLine($"part error: {e.Part}: {e.Error}");
    }
}

/// <summary>Collects what a recipe leaves out: counts by reason, and the rows themselves up to
/// <see cref="PrepareReport.MaxListedRows"/>.</summary>
internal sealed class Omissions(IReadOnlyList<string> reasons, IReadOnlySet<string>? countedOnly = null)
{
    private readonly Dictionary<string, int> _counts = reasons.ToDictionary(r => r, _ => 0, StringComparer.Ordinal);
    private readonly List<RefusedRow> _rows = [];
    private int _notListed;

    public IReadOnlyList<string> Reasons => reasons;

    /// <summary>Counts <paramref name="row"/> under <paramref name="reason"/> (one of <see cref="Reasons"/>) and lists it
    /// unless the reason is the recipe's own filter.</summary>
    public void Add(string row, string reason)
    {
        _counts[reason]++;
        if (countedOnly?.Contains(reason) == true) return;
        if (_rows.Count < PrepareReport.MaxListedRows) _rows.Add(new RefusedRow(row, reason));
        else _notListed++;
    }

    public PrepareReport Report(string recipe, int entries, int written, long bytes, ExtractionResult? extraction) => new()
    {
        Recipe = recipe,
        Entries = entries,
        Written = written,
        Reasons = reasons,
        Omitted = _counts,
        RefusedRows = _rows,
        RefusedRowsNotListed = _notListed,
        Bytes = bytes,
        Extraction = extraction,
    };
}
