using System.Text.Json;

namespace VgtData.Preparation;

/// <summary>
/// What <c>vgtdata prepare</c> did, written to <c>DIR/prepare-report.json</c> (atomically) and mirrored on the console:
/// <code>
/// {
///   "entries": n,             // entries in raw/text_to_image.json
///   "written": n,             // rows in data.json
///   "omitted": {              // entries left out, by reason (every key always present)
///     "blank prompt": n, "missing prompt": n, "missing output_image": n,
///     "missing output_image_resolution": n, "not an object": n, "image not in any tar": n
///   },
///   "refused_members": [      // tar members not written, in part then member order
///     {"part": "text_to_image_part_1.tar", "member": "../x.png",
///      "reason": "absolute path" | "parent traversal" | "NUL in name" | "name component over 255 bytes" | "path over 3840 bytes"
///                | "symlink" | "hard link" | "device" | "sparse file (not supported)" | "unsupported type" | "name collision"
///                | "file/folder name conflict" | "symlink in output path" | "cannot write: ..."}
///   ],
///   "part_errors": [{"part": "...", "error": "..."}],   // parts unreadable past some point (truncated, corrupt); exit code 3
///   "extracted": n,           // files written by this run
///   "skipped_existing": n,    // files already complete from an earlier run
///   "identical_duplicates": n,// members whose name another member with the same bytes took
///   "parts": n                // tar parts found
/// }
/// </code>
/// A name collision is reported for the member that lost (the later one in part, member order).
/// </summary>
internal sealed class PrepareReport
{
    public int Entries { get; init; }
    public int Written { get; init; }
    public required IReadOnlyDictionary<string, int> Omitted { get; init; }
    public required ExtractionResult Extraction { get; init; }

    public void WriteJson(Stream stream)
    {
        using (var w = new Utf8JsonWriter(stream, ShareGptAnnotations.WriterOptions))
        {
            w.WriteStartObject();
            w.WriteNumber("entries", Entries);
            w.WriteNumber("written", Written);
            w.WriteStartObject("omitted");
            foreach (var reason in ShareGptAnnotations.OmissionReasons) w.WriteNumber(reason, Omitted.GetValueOrDefault(reason));
            w.WriteEndObject();
            w.WriteStartArray("refused_members");
            foreach (var r in Extraction.Refused)
            {
                w.WriteStartObject();
                w.WriteString("part", r.Part);
                w.WriteString("member", r.Member);
                w.WriteString("reason", r.Reason);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteStartArray("part_errors");
            foreach (var e in Extraction.Errors)
            {
                w.WriteStartObject();
                w.WriteString("part", e.Part);
                w.WriteString("error", e.Error);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteNumber("extracted", Extraction.Extracted);
            w.WriteNumber("skipped_existing", Extraction.SkippedExisting);
            w.WriteNumber("identical_duplicates", Extraction.IdenticalDuplicates);
            w.WriteNumber("parts", Extraction.Parts);
            w.WriteEndObject();
        }
        stream.Write("\n"u8);
    }

    /// <summary>The console summary: the same numbers as the JSON.</summary>
    public void WriteSummary(TextWriter o)
    {
        o.WriteLine($"entries: {Entries}, written to data.json: {Written}");
        foreach (var reason in ShareGptAnnotations.OmissionReasons)
            if (Omitted.GetValueOrDefault(reason) is var n and > 0) o.WriteLine($"  omitted ({reason}): {n}");
        WriteExtractionSummary(o, Extraction);
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
        o.WriteLine($"parts: {x.Parts}, extracted: {x.Extracted}, skipped existing: {x.SkippedExisting}, identical duplicates: {x.IdenticalDuplicates}");
        if (x.Refused.Count > 0)
        {
            o.WriteLine($"refused members: {x.Refused.Count}");
            foreach (var r in x.Refused) o.WriteLine($"  {r.Part}: {Printable(r.Member)}: {r.Reason}");
        }
        foreach (var e in x.Errors) o.WriteLine($"part error: {e.Part}: {e.Error}");
    }
}
