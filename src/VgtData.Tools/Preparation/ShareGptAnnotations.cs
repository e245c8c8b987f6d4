using VgtData.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using VgtData.Storage;

namespace VgtData.Preparation;

/// <summary>One data.json row: <c>{"image": "images/17413.png", "caption": ..., "width": w, "height": h}</c>.</summary>
internal sealed record DataJsonEntry(string Image, string Caption, int Width, int Height);

/// <summary>Turns ShareGPT-4o-Image's raw/text_to_image.json into data.json rows, counting what it leaves out.</summary>
internal static class ShareGptAnnotations
{
    public const string BlankPrompt = "blank prompt";
    public const string MissingPrompt = "missing prompt";
    public const string MissingOutputImage = "missing output_image";
    public const string MissingResolution = "missing output_image_resolution";
    public const string NotAnObject = "not an object";
    public const string ImageNotInAnyTar = "image not in any tar";

    /// <summary>Omission reasons in report order.</summary>
    public static readonly string[] OmissionReasons = [BlankPrompt, MissingPrompt, MissingOutputImage, MissingResolution, NotAnObject, ImageNotInAnyTar];

    /// <summary>The raw entries (must be a JSON array). Throws <see cref="VgtDataException"/> naming the file when it is
    /// missing or not parseable.</summary>
    public static JsonDocument Load(string path)
    {
        if (!File.Exists(path)) throw new VgtDataException($"{path} not found (expected the downloaded annotation file)");
        try
        {
            using var stream = Storage.RegularFile.OpenInputStream(path, Storage.FileLimit.Manifest);
            var doc = JsonDocument.Parse(stream, new JsonDocumentOptions { AllowTrailingCommas = false });
            var kind = doc.RootElement.ValueKind;
            if (kind != JsonValueKind.Array)
            {
                doc.Dispose();
                throw new VgtDataException($"{path}: expected a JSON array of entries, found {kind.ToString().ToLowerInvariant()}");
            }
            return doc;
        }
        catch (JsonException e)
        {
            throw new VgtDataException($"{path} is not valid JSON: {e.Message}", e);
        }
    }

    /// <summary>The rows to write, in input order; <paramref name="omitted"/> counts the rest by reason.
    /// <paramref name="imageAvailable"/> says whether an image base name was extracted (or already present).</summary>
    public static List<DataJsonEntry> Convert(JsonElement entries, Func<string, bool> imageAvailable, Dictionary<string, int> omitted)
    {
        foreach (var r in OmissionReasons) omitted.TryAdd(r, 0);
        var rows = new List<DataJsonEntry>();
        foreach (var entry in entries.EnumerateArray())
        {
            var reason = Check(entry, imageAvailable, out var row);
            if (reason is null) rows.Add(row!);
            else omitted[reason]++;
        }
        return rows;
    }

    private static string? Check(JsonElement entry, Func<string, bool> imageAvailable, out DataJsonEntry? row)
    {
        row = null;
        if (entry.ValueKind != JsonValueKind.Object) return NotAnObject;
        if (!entry.TryGetProperty("input_prompt", out var prompt) || prompt.ValueKind != JsonValueKind.String) return MissingPrompt;
        var caption = prompt.GetString()!;
        if (PythonString.Strip(caption).Length == 0) return BlankPrompt;
        if (!entry.TryGetProperty("output_image", out var image) || image.ValueKind != JsonValueKind.String || PythonString.Strip(image.GetString()!).Length == 0)
            return MissingOutputImage;
        var baseName = MemberPath.BaseName(image.GetString()!.Replace('\\', '/'));
        if (baseName.Length == 0 || baseName is "." or "..") return MissingOutputImage;
        if (!entry.TryGetProperty("output_image_resolution", out var res) || res.ValueKind != JsonValueKind.Array || res.GetArrayLength() != 2
            || !TryDimension(res[0], out var w) || !TryDimension(res[1], out var h))
            return MissingResolution;
        if (!imageAvailable(baseName)) return ImageNotInAnyTar;
        row = new DataJsonEntry("images/" + baseName, caption, w, h);
        return null;
    }

    private static bool TryDimension(JsonElement e, out int value)
    {
        value = 0;
        if (e.ValueKind != JsonValueKind.Number) return false;
        if (e.TryGetInt32(out value)) return value > 0;
        if (e.TryGetDouble(out var d) && d == Math.Floor(d) && d is > 0 and <= int.MaxValue) { value = (int)d; return true; }
        return false;
    }

    /// <summary>data.json text: a JSON array, two-space indented, keys image, caption, width, height in that order,
    /// non-ASCII text kept as is, trailing newline.</summary>
    public static void Write(Stream stream, IEnumerable<DataJsonEntry> rows)
    {
        using (var w = new Utf8JsonWriter(stream, WriterOptions))
        {
            w.WriteStartArray();
            foreach (var r in rows)
            {
                w.WriteStartObject();
                w.WriteString("image", r.Image);
                w.WriteString("caption", r.Caption);
                w.WriteNumber("width", r.Width);
                w.WriteNumber("height", r.Height);
                w.WriteEndObject();
            }
            w.WriteEndArray();
        }
        stream.Write("\n"u8);
    }

    internal static readonly JsonWriterOptions WriterOptions = new()
    {
        Indented = true,
        IndentSize = 2,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };
}
