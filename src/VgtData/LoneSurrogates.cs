using System.Globalization;
using System.Text;

namespace VgtData;

/// <summary>
/// Strings as Python's <c>json.loads</c> makes them: a <c>\ud800</c> escape without its partner is accepted and kept as a
/// lone surrogate, which no UTF-8 encoder (HF tokenizers, <c>open()</c>) accepts later. .NET's JSON reader refuses to
/// unescape such a value, so manifests and the tokenize verb read it here and refuse it where Python would fail.
/// </summary>
internal static class LoneSurrogates
{
    /// <summary>Index of the first surrogate not part of a high-low pair, or -1.</summary>
    public static int IndexOf(ReadOnlySpan<char> text)
    {
        int i = text.IndexOfAnyInRange('\uD800', '\uDFFF');
        while (i >= 0)
        {
            if (!char.IsHighSurrogate(text[i]) || i + 1 >= text.Length || !char.IsLowSurrogate(text[i + 1])) return i;
            i += 2;
            int next = text[i..].IndexOfAnyInRange('\uD800', '\uDFFF');
            if (next < 0) return -1;
            i += next;
        }
        return -1;
    }

    /// <summary>"lone surrogate \ud800 at character 5": the part of a reason that says what and where.</summary>
    public static string Describe(string text, int index) =>
        $"lone surrogate \\u{(int)text[index]:x4} at character {index}";

    /// <summary>
    /// Unescapes the raw bytes of a JSON string value (between its quotes) the way Python does: every <c>\uXXXX</c>
    /// becomes that UTF-16 unit, paired or not. The bytes must already have passed a JSON reader's validation.
    /// </summary>
    public static string UnescapeJson(ReadOnlySpan<byte> raw)
    {
        var sb = new StringBuilder(raw.Length);
        int i = 0;
        while (i < raw.Length)
        {
            int slash = raw[i..].IndexOf((byte)'\\');
            int end = slash < 0 ? raw.Length : i + slash;
            if (end > i) sb.Append(Encoding.UTF8.GetString(raw[i..end]));
            if (slash < 0) break;
            if (end + 1 >= raw.Length) throw new FormatException("JSON string ends inside an escape");
            byte kind = raw[end + 1];
            i = end + 2;
            switch (kind)
            {
                case (byte)'u':
                    if (i + 4 > raw.Length || !ushort.TryParse(Encoding.ASCII.GetString(raw.Slice(i, 4)), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var unit))
                        throw new FormatException("JSON \\u escape needs four hex digits");
                    sb.Append((char)unit);
                    i += 4;
                    break;
                case (byte)'b': sb.Append('\b'); break;
                case (byte)'f': sb.Append('\f'); break;
                case (byte)'n': sb.Append('\n'); break;
                case (byte)'r': sb.Append('\r'); break;
                case (byte)'t': sb.Append('\t'); break;
                case (byte)'"' or (byte)'\\' or (byte)'/': sb.Append((char)kind); break;
                default: throw new FormatException($"invalid JSON escape \\{(char)kind}");
            }
        }
        return sb.ToString();
    }
}
