using System.Globalization;
using System.Text.Json;
using VgtData.Storage;
using VgtData.Text;

namespace VgtData.Preparation;

/// <summary>One data.json row: <c>{"image": "images/17413.png", "caption": ..., "width": w, "height": h}</c>; width and
/// height only where the entry has a two-element resolution.</summary>
internal sealed record DataJsonEntry(string Image, string Caption, int? Width, int? Height);

/// <summary>
/// Turns ShareGPT-4o-Image's raw/text_to_image.json into data.json rows, keeping exactly the entries VGT's
/// <c>process_metadata.py</c> keeps: truthy <c>output_image</c> and <c>input_prompt</c> (a prompt of spaces is kept),
/// <c>images/&lt;basename&gt;</c> present; width/height from <c>int()</c> of a two-element resolution, left out otherwise.
/// Entries on which VGT's script would stop (not an object, a non-string image, a resolution <c>int()</c> refuses) or
/// write a row no loader can use (a non-string prompt, an image path without a file name) are refused and listed.
/// </summary>
internal static class ShareGptAnnotations
{
    public const string MissingPrompt = "missing prompt";
    public const string MissingOutputImage = "missing output_image";
    public const string PromptNotString = "input_prompt not a string";
    public const string ImageNotString = "output_image not a string";
    public const string NoFileName = "output_image has no file name";
    public const string BadResolution = "output_image_resolution not two integers";
    public const string NotAnObject = "not an object";
    public const string ImageNotFound = "image not in images/ or any tar";

    /// <summary>Omission reasons in report order.</summary>
    public static readonly string[] OmissionReasons =
        [MissingPrompt, MissingOutputImage, PromptNotString, ImageNotString, NoFileName, BadResolution, NotAnObject, ImageNotFound];

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

    /// <summary>The rows to write, in input order; <paramref name="omissions"/> gets the rest. <paramref name="imageAvailable"/>
    /// says whether <c>images/&lt;name&gt;</c> is there after extraction.</summary>
    public static List<DataJsonEntry> Convert(JsonElement entries, Func<string, bool> imageAvailable, Omissions omissions)
    {
        var rows = new List<DataJsonEntry>();
        int index = 0;
        foreach (var entry in entries.EnumerateArray())
        {
            var reason = Check(entry, imageAvailable, out var row);
            if (reason is null) rows.Add(row!);
            else omissions.Add($"{ShareGpt4oImagePreparer.AnnotationFile}[{index}]", reason);
            index++;
        }
        return rows;
    }

    private static string? Check(JsonElement entry, Func<string, bool> imageAvailable, out DataJsonEntry? row)
    {
        row = null;
        if (entry.ValueKind != JsonValueKind.Object) return NotAnObject;
        bool hasPrompt = entry.TryGetProperty("input_prompt", out var prompt);
        bool hasImage = entry.TryGetProperty("output_image", out var image);
        if (!DataJson.Truthy(image, hasImage)) return MissingOutputImage;
        if (!DataJson.Truthy(prompt, hasPrompt)) return MissingPrompt;
        if (image.ValueKind != JsonValueKind.String) return ImageNotString;
        var baseName = DataJson.PosixBaseName(image.GetString()!);
        // VGT's os.path.exists would find the images/ folder itself: a row that can never load.
        if (baseName is "" or "." or "..") return NoFileName;
        if (!imageAvailable(baseName)) return ImageNotFound;
        if (prompt.ValueKind != JsonValueKind.String) return PromptNotString;
        int? width = null, height = null;
        if (entry.TryGetProperty("output_image_resolution", out var res) && DataJson.Truthy(res, true))
        {
            switch (res.ValueKind)
            {
                case JsonValueKind.Array when res.GetArrayLength() == 2:
                    if (!PythonInt(res[0], out var w) || !PythonInt(res[1], out var h)) return BadResolution;
                    (width, height) = (w, h);
                    break;
                case JsonValueKind.Array:
                    break;
                case JsonValueKind.String:
                    // len() of a string counts code points; int() of each character.
                    var chars = res.GetString()!.EnumerateRunes().Select(r => r.ToString()).ToList();
                    if (chars.Count != 2) break;
                    if (!PythonInt(chars[0], out var cw) || !PythonInt(chars[1], out var ch)) return BadResolution;
                    (width, height) = (cw, ch);
                    break;
                default:
                    // A number or true has no len(); an object of two keys has no [0]: VGT's script stops there.
                    if (res.ValueKind != JsonValueKind.Object || res.EnumerateObject().Count() == 2) return BadResolution;
                    break;
            }
        }
        row = new DataJsonEntry("images/" + baseName, prompt.GetString()!, width, height);
        return null;
    }

    /// <summary>Python's <c>int(value)</c> for a JSON value, within int range: integers, floats truncated toward zero,
    /// booleans, and strings of an optionally signed decimal integer.</summary>
    internal static bool PythonInt(JsonElement e, out int value)
    {
        value = 0;
        switch (e.ValueKind)
        {
            case JsonValueKind.True: value = 1; return true;
            case JsonValueKind.False: return true;
            case JsonValueKind.String: return PythonInt(e.GetString()!, out value);
            case JsonValueKind.Number:
                if (e.TryGetInt32(out value)) return true;
                if (!e.TryGetDouble(out var d) || double.IsInfinity(d)) return false;
                d = Math.Truncate(d);
                if (d is < int.MinValue or > int.MaxValue) return false;
                value = (int)d;
                return true;
            default: return false;
        }
    }

    internal static bool PythonInt(string s, out int value)
    {
        value = 0;
        var t = PythonString.Strip(s);
        int i = t.Length > 0 && t[0] is '+' or '-' ? 1 : 0;
        if (i == t.Length) return false;
        var digits = new System.Text.StringBuilder();
        for (; i < t.Length; i++)
        {
            // An underscore only between two digits, as Python's grammar allows.
            if (t[i] == '_' && digits.Length > 0 && i + 1 < t.Length && char.IsAsciiDigit(t[i + 1]) && t[i - 1] != '_') continue;
            if (!char.IsAsciiDigit(t[i])) return false;
            digits.Append(t[i]);
        }
        if (!long.TryParse(digits.ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out var v)) return false;
        if (t[0] == '-') v = -v;
        if (v is < int.MinValue or > int.MaxValue) return false;
        value = (int)v;
        return true;
    }

    public static void WriteRow(Utf8JsonWriter w, DataJsonEntry r)
    {
        w.WriteString("image", r.Image);
        w.WriteString("caption", r.Caption);
        if (r.Width is int width) w.WriteNumber("width", width);
        if (r.Height is int height) w.WriteNumber("height", height);
    }
}
