using System.Text.Json;

namespace VgtData.Preparation;

/// <summary>
/// A part unpacked completely into its own folder: <c>ROOT/.vgtdata-prepare/PART.json</c> records the part's size and
/// modification time, each member written (with its size) and each member refused. A rerun whose part is unchanged and
/// whose files are all still there (same sizes) skips the part without reading it, with the same result. A manifest
/// <c>prepare</c> wrote is marked there too (<c>NAME.written</c>), so a rerun rewrites it rather than keep it as a download.
/// </summary>
internal static class PartStamp
{
    public const string FolderName = ".vgtdata-prepare";

    private static string PathFor(string root, string part) =>
        Path.Combine(root, FolderName, Path.GetRelativePath(root, part) + ".json");

    /// <summary>The stamped result, or null when the part must be read (no stamp, part changed, a file missing).</summary>
    public static ExtractionResult? Read(string root, string part, string outDir, string partLabel)
    {
        var path = PathFor(root, part);
        if (!File.Exists(path)) return null;
        var info = new FileInfo(part);
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
            var r = doc.RootElement;
            if (r.GetProperty("bytes").GetInt64() != info.Length || r.GetProperty("mtime").GetInt64() != info.LastWriteTimeUtc.Ticks) return null;
            var sizes = new Dictionary<string, long>(StringComparer.Ordinal);
            foreach (var m in r.GetProperty("members").EnumerateObject())
            {
                var file = new FileInfo(Path.Combine(outDir, m.Name));
                if (!file.Exists || file.Length != m.Value.GetInt64()) return null;
                sizes[m.Name] = m.Value.GetInt64();
            }
            var refused = r.GetProperty("refused").EnumerateArray()
                .Select(x => new RefusedMember(partLabel, x[0].GetString()!, x[1].GetString()!)).ToList();
            return new ExtractionResult
            {
                Parts = 1,
                SkippedExisting = sizes.Count,
                Refused = refused,
                Errors = [],
                Present = sizes.Keys.ToHashSet(StringComparer.Ordinal),
                Sizes = sizes,
            };
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or KeyNotFoundException or FormatException or IOException)
        {
            // A stamp this build cannot read is no stamp: the part is read again.
            return null;
        }
    }

    /// <summary>Stamps a part that was read to its end without damage (a damaged part is read again next time).</summary>
    public static void Write(string root, string part, ExtractionResult result)
    {
        if (result.Errors.Count > 0 || result.InPlace) return;
        var path = PathFor(root, part);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var info = new FileInfo(part);
        AtomicFile.Write(path, s =>
        {
            using var w = new Utf8JsonWriter(s);
            w.WriteStartObject();
            w.WriteNumber("bytes", info.Length);
            w.WriteNumber("mtime", info.LastWriteTimeUtc.Ticks);
            w.WriteStartObject("members");
            foreach (var (name, size) in result.Sizes.OrderBy(kv => kv.Key, StringComparer.Ordinal)) w.WriteNumber(name, size);
            w.WriteEndObject();
            w.WriteStartArray("refused");
            foreach (var r in result.Refused)
            {
                w.WriteStartArray();
                w.WriteStringValue(r.Member);
                w.WriteStringValue(r.Reason);
                w.WriteEndArray();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        });
    }

    private static string ManifestMark(string root, string manifest) => Path.Combine(root, FolderName, manifest + ".written");

    /// <summary>Records that <c>prepare</c> wrote ROOT/<paramref name="manifest"/> (its size and time), so a rerun writes
    /// it again from the parts instead of keeping it as if it were the recipe's download.</summary>
    public static void MarkManifest(string root, string manifest)
    {
        var mark = ManifestMark(root, manifest);
        Directory.CreateDirectory(Path.GetDirectoryName(mark)!);
        var info = new FileInfo(Path.Combine(root, manifest));
        AtomicFile.Write(mark, s => s.Write(System.Text.Encoding.ASCII.GetBytes($"{info.Length} {info.LastWriteTimeUtc.Ticks}\n")));
    }

    /// <summary>Whether ROOT/<paramref name="manifest"/> is the file <c>prepare</c> wrote (unchanged since), not a download.</summary>
    public static bool WroteManifest(string root, string manifest)
    {
        var mark = ManifestMark(root, manifest);
        if (!File.Exists(mark)) return false;
        var info = new FileInfo(Path.Combine(root, manifest));
        return File.ReadAllText(mark).Trim() == $"{info.Length} {info.LastWriteTimeUtc.Ticks}";
    }
}
