using System.Text.Encodings.Web;
using System.Text.Json;
using VgtData.Datasets;

namespace VgtData.Validation;

/// <summary>
/// Writes a data.json without the bad entries: a JSON array of the original entry objects, in their original order, each
/// re-serialized from the source file as parsed (keys in their order, values unchanged; numbers keep their text).
/// A data_path that is a folder of *.json or a .jsonl file becomes one array, in the order the dataset reads them.
/// With <c>train_number_samples</c> only the entries the dataset uses (and the validator checked) are written.
/// </summary>
public static class CleanManifestWriter
{
    /// <summary>For one CaptionDataset: <paramref name="output"/> is the file to write. For a ConcatDataset:
    /// <paramref name="output"/> is a folder, holding <see cref="MemberFileName"/> per member. Returns the files written.</summary>
    public static IReadOnlyList<string> Write(ISampleDataset dataset, ValidationReport report, string output)
    {
        var members = EntryValidator.Members(dataset);
        var badByMember = report.Bad.GroupBy(b => b.Dataset).ToDictionary(g => g.Key, g => g.Select(b => b.Index).ToHashSet());
        if (dataset is CaptionDataset single)
        {
            WriteMember(single, badByMember.GetValueOrDefault(0) ?? new HashSet<int>(), output);
            return [output];
        }
        Directory.CreateDirectory(output);
        var written = new List<string>();
        for (int m = 0; m < members.Count; m++)
        {
            var path = Path.Combine(output, MemberFileName(m));
            WriteMember(members[m], badByMember.GetValueOrDefault(m) ?? new HashSet<int>(), path);
            written.Add(path);
        }
        return written;
    }

    /// <summary>The clean file of ConcatDataset member <paramref name="member"/>: <c>dataset-{member}.json</c>.</summary>
    public static string MemberFileName(int member) => $"dataset-{member}.json";

    /// <summary>The member's entries as JSON elements, in the order <see cref="Manifests.Manifest.Load"/> reads them.</summary>
    public static List<JsonElement> ReadEntries(string dataPath)
    {
        var entries = new List<JsonElement>();
        var docOptions = new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true };
        IEnumerable<string> files = Directory.Exists(dataPath)
            ? Directory.GetFiles(dataPath, "*.json").OrderBy(f => Path.GetFileName(f), StringComparer.Ordinal)
            : [dataPath];
        foreach (var file in files)
        {
            if (file.EndsWith(".jsonl", StringComparison.OrdinalIgnoreCase))
            {
                foreach (var line in File.ReadLines(file))
                {
                    if (line.Trim(' ', '\t', '\r').Length == 0) continue;
                    entries.Add(JsonDocument.Parse(line).RootElement.Clone());
                }
                continue;
            }
            using var doc = JsonDocument.Parse(File.ReadAllBytes(file).AsMemory(), docOptions);
            if (doc.RootElement.ValueKind != JsonValueKind.Array) throw new VgtDataException($"{file}: expected a JSON array of entries");
            foreach (var e in doc.RootElement.EnumerateArray()) entries.Add(e.Clone());
        }
        return entries;
    }

    private static void WriteMember(CaptionDataset dataset, HashSet<int> bad, string path)
    {
        // An s3:// data_path is read from its downloaded copy, as the dataset read it.
        var entries = ReadEntries((dataset.Options.Files ?? Storage.DataFiles.Local).Materialize(dataset.Options.DataPath));
        int count = dataset.Manifest.Count;
        if (entries.Count < count)
            throw new VgtDataException($"{dataset.Options.DataPath}: read {entries.Count} entries, the dataset has {count}");
        var dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(dir)) Directory.CreateDirectory(dir);
        var tmp = path + ".tmp";
        using (var stream = File.Create(tmp))
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            w.WriteStartArray();
            for (int i = 0; i < count; i++)
                if (!bad.Contains(i)) entries[i].WriteTo(w);
            w.WriteEndArray();
            w.Flush();
            stream.WriteByte((byte)'\n');
        }
        File.Move(tmp, path, overwrite: true);
    }
}
