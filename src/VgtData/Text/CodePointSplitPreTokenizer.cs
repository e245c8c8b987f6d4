using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.ML.Tokenizers;

namespace VgtData.Text;

/// <summary>
/// The tokenizer.json Split(Regex, Isolated) step with added tokens cut out first. .NET regexes see UTF-16 units, so a
/// supplementary character (𝒜, 𠀀, 🙂) would be two non-letters to <c>\p{L}</c>; HF's Rust regex sees one code point.
/// Text holding surrogate pairs is matched on a copy where each pair becomes one BMP stand-in of the same class.
/// </summary>
internal sealed class CodePointSplitPreTokenizer : PreTokenizer
{
    private const char LetterStandIn = 'a';      // starts no contraction ('s, 't, 're, ...)
    private const char NumberStandIn = '0';
    private const char OtherStandIn = '\u00A6';  // broken bar: not a letter, number or space

    private readonly Regex _regex;
    private readonly Dictionary<char, string[]> _addedByFirstChar;

    public CodePointSplitPreTokenizer(Regex regex, IEnumerable<string> addedTokens)
    {
        _regex = regex;
        // Longest first at each position: HF matches added tokens leftmost-longest.
        _addedByFirstChar = addedTokens.Where(t => t.Length > 0)
            .GroupBy(t => t[0])
            .ToDictionary(g => g.Key, g => g.OrderByDescending(t => t.Length).ToArray());
    }

    public override IEnumerable<(int Offset, int Length)> PreTokenize(string text) =>
        string.IsNullOrEmpty(text) ? [] : Split(text.AsSpan());

    public override IEnumerable<(int Offset, int Length)> PreTokenize(ReadOnlySpan<char> text) =>
        text.IsEmpty ? [] : Split(text);

    private List<(int Offset, int Length)> Split(ReadOnlySpan<char> text)
    {
        var result = new List<(int, int)>();
        int gapStart = 0;
        for (int i = 0; i < text.Length; i++)
        {
            if (!_addedByFirstChar.TryGetValue(text[i], out var candidates)) continue;
            foreach (var token in candidates)
            {
                if (!text[i..].StartsWith(token, StringComparison.Ordinal)) continue;
                SplitGap(text, gapStart, i, result);
                result.Add((i, token.Length));
                i += token.Length - 1;
                gapStart = i + 1;
                break;
            }
        }
        SplitGap(text, gapStart, text.Length, result);
        return result;
    }

    private void SplitGap(ReadOnlySpan<char> text, int from, int to, List<(int, int)> result)
    {
        if (to <= from) return;
        var gap = text[from..to];
        if (gap.IndexOfAnyInRange('\uD800', '\uDFFF') < 0)
        {
            foreach (var m in _regex.EnumerateMatches(gap)) result.Add((from + m.Index, m.Length));
            return;
        }
        // One stand-in per code point; start[k] is where mapped char k begins in the gap.
        var mapped = new char[gap.Length];
        var start = new int[gap.Length + 1];
        int n = 0;
        for (int i = 0; i < gap.Length; i++)
        {
            start[n] = i;
            if (char.IsHighSurrogate(gap[i]) && i + 1 < gap.Length && char.IsLowSurrogate(gap[i + 1]))
            {
                mapped[n++] = StandIn(char.ConvertToUtf32(gap[i], gap[i + 1]));
                i++;
            }
            else mapped[n++] = gap[i];
        }
        start[n] = gap.Length;
        foreach (var m in _regex.EnumerateMatches(mapped.AsSpan(0, n)))
        {
            int s = start[m.Index], e = start[m.Index + m.Length];
            result.Add((from + s, e - s));
        }
    }

    private static char StandIn(int codePoint) => CharUnicodeInfo.GetUnicodeCategory(codePoint) switch
    {
        UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter or UnicodeCategory.TitlecaseLetter
            or UnicodeCategory.ModifierLetter or UnicodeCategory.OtherLetter => LetterStandIn,
        UnicodeCategory.DecimalDigitNumber or UnicodeCategory.LetterNumber or UnicodeCategory.OtherNumber => NumberStandIn,
        _ => OtherStandIn,
    };
}
