namespace VgtData.Preparation;

/// <summary>Text rules that must match the Python recipes.</summary>
public static class PythonText
{
    /// <summary>Python's str.isspace: .NET's white space plus the information separators U+001C–U+001F.</summary>
    public static bool IsSpace(char c) => char.IsWhiteSpace(c) || c is >= '\u001C' and <= '\u001F';

    /// <summary>True when <c>s.strip()</c> would be empty.</summary>
    public static bool IsBlank(string s)
    {
        foreach (var c in s)
            if (!IsSpace(c)) return false;
        return true;
    }
}
