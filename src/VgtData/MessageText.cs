using System.Text;

namespace VgtData;

/// <summary>Text from outside (a server's error body, a file name, a caption) made safe to print on one terminal line.</summary>
internal static class MessageText
{
    /// <summary>
    /// Control characters (C0, DEL, C1), line and paragraph separators and bidirectional overrides become <c>\xHH</c> or
    /// <c>\uHHHH</c>, so an ESC or BEL a server put in its answer cannot drive the terminal or hide part of the line.
    /// A backslash is left as it is, so escaping twice changes nothing.
    /// </summary>
    public static string Escape(string text)
    {
        int first = 0;
        while (first < text.Length && !NeedsEscape(text[first])) first++;
        if (first == text.Length) return text;
        var sb = new StringBuilder(text.Length + 16).Append(text, 0, first);
        foreach (var c in text.AsSpan(first))
        {
            if (!NeedsEscape(c)) sb.Append(c);
            else if (c < 0x100) sb.Append(@"\x").Append(((int)c).ToString("x2"));
            else sb.Append(@"\u").Append(((int)c).ToString("x4"));
        }
        return sb.ToString();
    }

    private static bool NeedsEscape(char c) =>
        char.IsControl(c) || c is '\u2028' or '\u2029' or (>= '\u202a' and <= '\u202e') or (>= '\u2066' and <= '\u2069') or '\u200e' or '\u200f';
}
