namespace VgtData.Text;

/// <summary>Python <c>str</c> behaviour that the VGT anchor relies on and .NET spells differently.</summary>
internal static class PythonString
{
    /// <summary>True where Python's <c>str.isspace()</c> is true for the single character.</summary>
    public static bool IsSpace(char c) => c switch
    {
        >= '\t' and <= '\r' => true,          // \t \n \v \f \r
        >= '\u001C' and <= '\u001F' => true,  // file/group/record/unit separators: .NET's char.IsWhiteSpace says no
        ' ' or '\u0085' or '\u00A0' or '\u1680' => true,
        >= '\u2000' and <= '\u200A' => true,
        '\u2028' or '\u2029' or '\u202F' or '\u205F' or '\u3000' => true,
        _ => false,
    };

    /// <summary>Python's <c>str.strip()</c> with no argument: removes leading and trailing characters for which <c>isspace()</c> is true.</summary>
    public static string Strip(string s)
    {
        ArgumentNullException.ThrowIfNull(s);
        int start = 0, end = s.Length;
        while (start < end && IsSpace(s[start])) start++;
        while (end > start && IsSpace(s[end - 1])) end--;
        return start == 0 && end == s.Length ? s : s[start..end];
    }
}
