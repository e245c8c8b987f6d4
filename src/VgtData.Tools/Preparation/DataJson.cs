using System.Text.Encodings.Web;
using System.Text.Json;

namespace VgtData.Preparation;

/// <summary>Writing data.json the way VGT's recipe scripts do (<c>json.dump(rows, f, indent=2, ensure_ascii=False)</c>):
/// a JSON array, two-space indented, non-ASCII text kept as is, trailing newline; written atomically.</summary>
internal static class DataJson
{
    public const string FileName = "data.json";

    internal static readonly JsonWriterOptions WriterOptions = new()
    {
        Indented = true,
        IndentSize = 2,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static void Write<T>(Stream stream, IEnumerable<T> rows, Action<Utf8JsonWriter, T> writeRow)
    {
        using (var w = new Utf8JsonWriter(stream, WriterOptions))
        {
            w.WriteStartArray();
            foreach (var r in rows)
            {
                w.WriteStartObject();
                writeRow(w, r);
                w.WriteEndObject();
            }
            w.WriteEndArray();
        }
        stream.Write("\n"u8);
    }

    /// <summary>Writes ROOT/data.json and ROOT/prepare-report.json, each atomically (data.json first).</summary>
    public static void WriteWithReport<T>(string root, IEnumerable<T> rows, Action<Utf8JsonWriter, T> writeRow, PrepareReport report)
    {
        AtomicFile.Write(Path.Combine(root, FileName), s => Write(s, rows, writeRow));
        AtomicFile.Write(Path.Combine(root, "prepare-report.json"), report.WriteJson);
    }

    /// <summary>Python's truth value of a JSON value (absent counts as false, as <c>dict.get(key, '')</c> gives).</summary>
    public static bool Truthy(JsonElement e, bool present) => present && e.ValueKind switch
    {
        JsonValueKind.Null or JsonValueKind.False or JsonValueKind.Undefined => false,
        JsonValueKind.True => true,
        JsonValueKind.Number => e.GetDouble() != 0,
        JsonValueKind.String => e.GetString()!.Length > 0,
        JsonValueKind.Array => e.GetArrayLength() > 0,
        JsonValueKind.Object => e.EnumerateObject().Any(),
        _ => false,
    };

    /// <summary>Python's <c>os.path.basename</c> on POSIX: what follows the last '/' (a backslash is an ordinary character).</summary>
    public static string PosixBaseName(string path) => path[(path.LastIndexOf('/') + 1)..];
}
