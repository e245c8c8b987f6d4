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
        Encoder = PythonEscaping.Instance,
    };

    /// <summary>The escaping of Python's <c>json.dump(..., ensure_ascii=False)</c>: only '"', '\\' and characters below
    /// U+0020 (\b \f \n \r \t, else \u00xx); everything else as it is (.NET's relaxed encoder escapes more, e.g.
    /// U+3000, which would make the file differ from VGT's byte for byte).</summary>
    private sealed class PythonEscaping : JavaScriptEncoder
    {
        public static readonly PythonEscaping Instance = new();

        public override int MaxOutputCharactersPerInputCharacter => 6;

        public override bool WillEncode(int unicodeScalar) => unicodeScalar is < 0x20 or '"' or '\\';

        public override unsafe int FindFirstCharacterToEncode(char* text, int textLength)
        {
            for (int i = 0; i < textLength; i++)
                if (WillEncode(text[i])) return i;
            return -1;
        }

        public override unsafe bool TryEncodeUnicodeScalar(int unicodeScalar, char* buffer, int bufferLength, out int numberOfCharactersWritten)
        {
            var text = unicodeScalar switch
            {
                '"' => "\\\"",
                '\\' => "\\\\",
                '\b' => "\\b",
                '\f' => "\\f",
                '\n' => "\\n",
                '\r' => "\\r",
                '\t' => "\\t",
                < 0x20 => $"\\u{unicodeScalar:x4}",
                _ => char.ConvertFromUtf32(unicodeScalar),
            };
            numberOfCharactersWritten = 0;
            if (text.Length > bufferLength) return false;
            text.AsSpan().CopyTo(new Span<char>(buffer, bufferLength));
            numberOfCharactersWritten = text.Length;
            return true;
        }
    }

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
