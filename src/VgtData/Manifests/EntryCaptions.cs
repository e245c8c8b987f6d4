using System.Text.Json;

namespace VgtData.Manifests;

/// <summary>An entry list whose captions lie with its entries (webdataset members), not in the entries or below
/// <c>cap_folder</c>: read per sample, so a bad one is one bad sample.</summary>
internal interface IEntryCaptions
{
    /// <summary>The caption of entry <paramref name="index"/>; a <see cref="SampleException"/> when it cannot be read.</summary>
    EntryCaption ReadCaption(int index);
}

/// <summary>A caption read with its entry; <paramref name="Strip"/>: text that the dataset strips as Python's
/// <c>str.strip()</c> does (a .txt member, like VGT's .txt annotations).</summary>
internal readonly record struct EntryCaption(string Text, bool Strip);

/// <summary>The caption inside a JSON annotation, as VGT reads it: <c>json.load(f)[cap_source]</c>.</summary>
internal static class JsonCaption
{
    /// <summary>False when the annotation is an object without <paramref name="capSource"/>; a <see cref="SampleException"/>
    /// naming <paramref name="path"/> for invalid JSON or a value that is not a string.</summary>
    public static bool TryRead(string text, string capSource, string path, out string caption)
    {
        caption = "";
        try
        {
            using var doc = JsonDocument.Parse(text);
            if (doc.RootElement.ValueKind != JsonValueKind.Object || !doc.RootElement.TryGetProperty(capSource, out var value)) return false;
            if (value.ValueKind != JsonValueKind.String)
                throw new SampleException(SampleFailureReason.UnreadableAnnotation, path, $"\"{capSource}\" is {value.ValueKind}, not a string");
            try
            {
                caption = value.GetString()!;
            }
            catch (InvalidOperationException)
            {
                // A lone \ud800 escape: keep it as Python does; the dataset then refuses it with its reason.
                caption = LoneSurrogates.UnescapeJson(System.Text.Encoding.UTF8.GetBytes(value.GetRawText()[1..^1]));
            }
            return true;
        }
        catch (JsonException e)
        {
            throw new SampleException(SampleFailureReason.UnreadableAnnotation, path, $"invalid JSON: {e.Message}");
        }
    }
}
