using System.Text;

namespace VgtData.Text;

/// <summary>
/// A Python <c>str.format</c> string whose only field is <c>{input}</c>: parsed once, so substituted values are never
/// re-read as format syntax (exactly like Python), and <c>{{</c> / <c>}}</c> are literal braces.
/// </summary>
internal sealed class FormatString
{
    // Literal pieces around the fields: _pieces.Length == FieldCount + 1.
    private readonly string[] _pieces;

    private FormatString(string[] pieces) => _pieces = pieces;

    public int FieldCount => _pieces.Length - 1;

    /// <summary>Literal text before the first <c>{input}</c> and after the last one.</summary>
    public string Head => _pieces[0];
    public string Tail => _pieces[^1];

    public static FormatString Parse(string format, string where)
    {
        var pieces = new List<string>();
        var sb = new StringBuilder();
        for (int i = 0; i < format.Length; i++)
        {
            char c = format[i];
            if (c == '{')
            {
                if (i + 1 < format.Length && format[i + 1] == '{') { sb.Append('{'); i++; continue; }
                int close = format.IndexOf('}', i + 1);
                if (close < 0) throw new VgtDataException($"{where}: single '{{' without a closing '}}' at position {i} in \"{format}\"");
                var field = format[(i + 1)..close];
                if (field != "input")
                    throw new VgtDataException($"{where}: unsupported format field '{{{field}}}' in \"{format}\" (only {{input}} is allowed; write {{{{ and }}}} for literal braces)");
                pieces.Add(sb.ToString());
                sb.Clear();
                i = close;
            }
            else if (c == '}')
            {
                if (i + 1 < format.Length && format[i + 1] == '}') { sb.Append('}'); i++; continue; }
                throw new VgtDataException($"{where}: single '}}' at position {i} in \"{format}\" (write }}}} for a literal brace)");
            }
            else sb.Append(c);
        }
        pieces.Add(sb.ToString());
        return new FormatString(pieces.ToArray());
    }

    /// <summary>Python's <c>format(input=value)</c>.</summary>
    public string Format(string value)
    {
        if (_pieces.Length == 1) return _pieces[0];
        if (_pieces.Length == 2) return string.Concat(_pieces[0], value, _pieces[1]);
        var sb = new StringBuilder(_pieces[0]);
        for (int i = 1; i < _pieces.Length; i++) sb.Append(value).Append(_pieces[i]);
        return sb.ToString();
    }
}
