using System.Buffers;
using System.Text.Json;
using VgtData.Datasets;
using VgtData.Manifests;
using VgtData.Storage;

namespace VgtData.Validation;

/// <summary>
/// Writes a data.json without the bad entries: a JSON array of the original entry objects, in their original order, each
/// copied token by token from the source file (keys in their order, strings and numbers keep their text and escapes).
/// A data_path that is a folder of *.json or a .jsonl file becomes one array, in the order the dataset reads them.
/// With <c>train_number_samples</c> only the entries the dataset uses (and the validator checked) are written.
/// </summary>
internal static class CleanManifestWriter
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
        try
        {
            Directory.CreateDirectory(output);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new VgtDataException($"{output}: cannot create the folder for the clean manifests: {e.Message}", e);
        }
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

    /// <summary>
    /// Writes entries [0, count) of <paramref name="dataPath"/> except <paramref name="bad"/> to <paramref name="path"/>
    /// as strict JSON (comments and trailing commas dropped; keys, strings and numbers byte for byte as written, escapes
    /// included), one entry per line; a path ending in <c>.jsonl</c> gets JSONL. Reads with the loader's own reader, so it
    /// accepts what the loader accepts.
    /// </summary>
    public static void WriteEntries(string dataPath, int count, IReadOnlySet<int> bad, string path)
    {
        RefuseUnlessReplaceable(path);
        var tmp = Preparation.AtomicFile.TempPathFor(Path.GetFullPath(path));
        int seen = 0;
        try
        {
            var dir = Path.GetDirectoryName(Path.GetFullPath(path));
            if (!string.IsNullOrEmpty(dir)) Directory.CreateDirectory(dir);
            using (var stream = new FileStream(tmp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16))
            {
                var strict = new ArrayBufferWriter<byte>();
                bool first = true;
                // OUT.jsonl is read back as JSONL (one entry per line), anything else as one JSON array.
                bool jsonLines = path.EndsWith(".jsonl", StringComparison.OrdinalIgnoreCase);
                if (!jsonLines) stream.Write("["u8);
                Manifest.ReadEntryBytes(dataPath, (json, position) =>
                {
                    if (position >= count) return false;
                    seen++;
                    if (bad.Contains(position)) return true;
                    strict.ResetWrittenCount();
                    CopyStrict(json, strict);
                    if (!jsonLines) stream.Write(first ? "\n  "u8 : ",\n  "u8);
                    stream.Write(strict.WrittenSpan);
                    if (jsonLines) stream.Write("\n"u8);
                    first = false;
                    return true;
                });
                if (!jsonLines) stream.Write(first ? "]\n"u8 : "\n]\n"u8);
            }
            if (seen < count) throw new VgtDataException($"{dataPath}: read {seen} entries, the dataset has {count}");
            // Checked again: what is there may have changed while the entries were written.
            RefuseUnlessReplaceable(path);
            File.Move(tmp, path, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            TryDelete(tmp);
            throw new VgtDataException($"{path}: cannot write the clean manifest: {e.Message}", e);
        }
        catch
        {
            TryDelete(tmp);
            throw;
        }
    }

    /// <summary>The rename replaces only a regular file or nothing: a device, FIFO, socket, symbolic link or folder at
    /// the target is refused (as root, renaming over /dev/null would replace the device).</summary>
    private static void RefuseUnlessReplaceable(string path)
    {
        if (Storage.RegularFile.Examine(path, out var what) is not (Storage.PathType.Missing or Storage.PathType.Regular))
            throw new VgtDataException($"{path}: cannot write the clean manifest: {what}; only a regular file or a new name is replaced");
    }

    private static void WriteMember(CaptionDataset dataset, HashSet<int> bad, string path) =>
        // An s3:// data_path is read from its downloaded copy, as the dataset read it.
        WriteEntries((dataset.Options.Stores ?? Sources.DatasetStorage.None).Materialize(dataset.Options.DataPath), dataset.Entries.Count, bad, path);

    /// <summary>Re-emits one entry token by token: the reader skips comments and trailing commas, every token's text is copied.</summary>
    private static void CopyStrict(ReadOnlySpan<byte> json, ArrayBufferWriter<byte> output)
    {
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        bool needComma = false;
        while (reader.Read())
        {
            var token = reader.TokenType;
            if (token is JsonTokenType.EndObject or JsonTokenType.EndArray)
            {
                output.Write(token == JsonTokenType.EndObject ? "}"u8 : "]"u8);
                needComma = true;
                continue;
            }
            if (needComma) output.Write(","u8);
            switch (token)
            {
                case JsonTokenType.StartObject: output.Write("{"u8); needComma = false; break;
                case JsonTokenType.StartArray: output.Write("["u8); needComma = false; break;
                case JsonTokenType.PropertyName:
                    output.Write("\""u8); output.Write(reader.ValueSpan); output.Write("\":"u8);
                    needComma = false;
                    break;
                case JsonTokenType.String:
                    output.Write("\""u8); output.Write(reader.ValueSpan); output.Write("\""u8);
                    needComma = true;
                    break;
                default: // numbers, true, false, null: their text as written
                    output.Write(reader.ValueSpan);
                    needComma = true;
                    break;
            }
        }
    }

    private static void TryDelete(string path)
    {
        try { File.Delete(path); } catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
    }
}
