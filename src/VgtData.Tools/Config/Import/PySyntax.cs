using System.Buffers;
using System.Globalization;
using System.Numerics;
using System.Text;
using System.Text.Unicode;

namespace VgtData.Config.Import;

/// <summary>A piece of Python source the importer cannot read: file, line and what was expected.</summary>
internal sealed class PySyntaxException(string file, int line, string message)
    : VgtDataException($"{file}:{line}: {message}")
{
    public string File { get; } = file;
    public int Line { get; } = line;
}

/// <summary>The source text of a .py file: UTF-8 as Python reads it (a leading BOM dropped); any other byte is refused
/// with its line, never replaced by U+FFFD.</summary>
internal static class PySource
{
    public static string Decode(byte[] bytes, string file)
    {
        var span = bytes.AsSpan();
        if (span.StartsWith("\uFEFF"u8)) span = span[3..];
        var chars = new char[span.Length];
        var status = Utf8.ToUtf16(span, chars, out int read, out int written, replaceInvalidSequences: false);
        if (status == OperationStatus.Done) return new string(chars, 0, written);
        int line = 1 + span[..read].Count((byte)'\n');
        throw new PySyntaxException(file, line, $"byte 0x{span[read]:X2} is not UTF-8 (Python reads a .py file as UTF-8)");
    }
}

internal enum TokKind { Name, Number, String, Op, Newline, Indent, Dedent, End }

internal readonly record struct Tok(TokKind Kind, string Text, int Line, object? Value = null)
{
    public bool Is(string op) => (Kind == TokKind.Op || Kind == TokKind.Name) && Text == op;
}

/// <summary>
/// Python's tokens for the subset mmengine configs use: names, numbers, strings (prefixes, escapes, triple quotes),
/// operators, and the NEWLINE/INDENT/DEDENT structure (no newline inside brackets, backslash continuation).
/// </summary>
internal static class PyLexer
{
    private static readonly string[] Ops3 = ["**=", "//=", "...", ">>=", "<<="];
    private static readonly string[] Ops2 = ["==", "!=", "<=", ">=", "**", "//", "+=", "-=", "*=", "/=", "->", ":=", "<<", ">>", "%=", "&=", "|=", "^="];
    private const string Ops1 = "()[]{},:.;=+-*/%<>@~&|^";
    private static readonly string[] Ops1Text = Ops1.Select(c => c.ToString()).ToArray();

    /// <summary>Tokens in one file: a config has a few thousand; the cap bounds the parser's memory (about 100 bytes a token).</summary>
    public const int MaxTokens = 1_000_000;

    /// <summary>Python's own limits: 100 indentation levels, 200 open brackets, 4,300 digits in an integer literal.</summary>
    public const int MaxIndents = 100, MaxBrackets = 200, MaxIntDigits = 4300;

    public static List<Tok> Tokenize(string text, string file)
    {
        var toks = new List<Tok>();
        var indents = new Stack<int>();
        indents.Push(0);
        int i = 0, line = 1, depth = 0;
        bool lineStart = true;
        while (i < text.Length)
        {
            if (lineStart && depth == 0)
            {
                int col = 0, j = i;
                while (j < text.Length && (text[j] == ' ' || text[j] == '\t' || text[j] == '\f')) { col += text[j] == '\t' ? 8 - col % 8 : 1; j++; }
                if (j >= text.Length) { i = j; break; }
                if (text[j] is '\n' or '\r' or '#') { i = j; lineStart = false; goto scan; }
                if (text[j] == '\\' && j + 1 < text.Length && text[j + 1] is '\n' or '\r') { i = j; lineStart = false; goto scan; }
                if (col > indents.Peek())
                {
                    if (indents.Count > MaxIndents) throw new PySyntaxException(file, line, $"more than {MaxIndents} levels of indentation");
                    indents.Push(col);
                    toks.Add(new Tok(TokKind.Indent, "", line));
                }
                while (col < indents.Peek())
                {
                    indents.Pop();
                    toks.Add(new Tok(TokKind.Dedent, "", line));
                    if (col > indents.Peek()) throw new PySyntaxException(file, line, "unindent does not match any outer indentation level");
                }
                i = j;
                lineStart = false;
            }
        scan:
            if (i >= text.Length) break;
            if (toks.Count > MaxTokens) throw new PySyntaxException(file, line, $"more than {MaxTokens:N0} tokens: not a config file");
            char c = text[i];
            if (c == '\r' || c == '\n')
            {
                i += c == '\r' && i + 1 < text.Length && text[i + 1] == '\n' ? 2 : 1;
                if (depth == 0 && toks.Count > 0 && toks[^1].Kind is not (TokKind.Newline or TokKind.Indent or TokKind.Dedent))
                    toks.Add(new Tok(TokKind.Newline, "", line));
                line++;
                lineStart = true;
                continue;
            }
            if (c is ' ' or '\t' or '\f') { i++; continue; }
            if (c == '#') { while (i < text.Length && text[i] is not ('\n' or '\r')) i++; continue; }
            if (c == '\\' && i + 1 < text.Length && text[i + 1] is '\n' or '\r')
            {
                i += text[i + 1] == '\r' && i + 2 < text.Length && text[i + 2] == '\n' ? 3 : 2;
                line++;
                continue;
            }
            if (char.IsLetter(c) || c == '_' || c > 127 && char.IsLetterOrDigit(c))
            {
                int s = i;
                while (i < text.Length && (char.IsLetterOrDigit(text[i]) || text[i] == '_')) i++;
                if (i < text.Length && text[i] is '\'' or '"' && i - s <= 3 && IsStringPrefix(text[s..i]))
                {
                    toks.Add(ReadString(text, ref i, ref line, text[s..i].ToLowerInvariant(), file));
                    continue;
                }
                toks.Add(new Tok(TokKind.Name, text[s..i], line));
                continue;
            }
            if (char.IsAsciiDigit(c) || c == '.' && i + 1 < text.Length && char.IsAsciiDigit(text[i + 1]))
            {
                toks.Add(ReadNumber(text, ref i, line, file));
                continue;
            }
            if (c is '\'' or '"')
            {
                toks.Add(ReadString(text, ref i, ref line, "", file));
                continue;
            }
            string? op = null;
            foreach (var o in Ops3) if (string.CompareOrdinal(text, i, o, 0, 3) == 0) { op = o; break; }
            if (op is null) foreach (var o in Ops2) if (string.CompareOrdinal(text, i, o, 0, 2) == 0) { op = o; break; }
            op ??= Ops1.IndexOf(c) is var k and >= 0 ? Ops1Text[k] : throw new PySyntaxException(file, line, $"unexpected character '{c}'");
            if (op is "(" or "[" or "{" && ++depth > MaxBrackets) throw new PySyntaxException(file, line, $"more than {MaxBrackets} nested brackets");
            if (op is ")" or "]" or "}") depth = Math.Max(0, depth - 1);
            toks.Add(new Tok(TokKind.Op, op, line));
            i += op.Length;
        }
        if (toks.Count > 0 && toks[^1].Kind != TokKind.Newline) toks.Add(new Tok(TokKind.Newline, "", toks[^1].Line));
        while (indents.Count > 1) { indents.Pop(); toks.Add(new Tok(TokKind.Dedent, "", line)); }
        toks.Add(new Tok(TokKind.End, "", line));
        return toks;
    }

    private static bool IsStringPrefix(string p)
    {
        var l = p.ToLowerInvariant();
        return l is "r" or "u" or "b" or "f" or "br" or "rb" or "fr" or "rf";
    }

    private static Tok ReadNumber(string text, ref int i, int line, string file)
    {
        int s = i;
        if (text[i] == '0' && i + 1 < text.Length && text[i + 1] is 'x' or 'X' or 'o' or 'O' or 'b' or 'B')
        {
            int radix = text[i + 1] is 'x' or 'X' ? 16 : text[i + 1] is 'o' or 'O' ? 8 : 2;
            i += 2;
            while (i < text.Length && (char.IsAsciiLetterOrDigit(text[i]) || text[i] == '_')) i++;
            var value = BigInteger.Zero;
            var body = text[(s + 2)..i].Replace("_", "");
            if (body.Length == 0) throw new PySyntaxException(file, line, $"invalid number '{text[s..i]}'");
            if (body.Length * Math.Log2(radix) > MaxIntDigits * Math.Log2(10)) throw new PySyntaxException(file, line, $"an integer literal over {MaxIntDigits:N0} digits");
            foreach (var d in body)
            {
                int digit = char.IsAsciiDigit(d) ? d - '0' : char.IsAsciiLetter(d) ? char.ToLowerInvariant(d) - 'a' + 10 : 99;
                if (digit >= radix) throw new PySyntaxException(file, line, $"invalid digit '{d}' in the number '{text[s..i]}'");
                value = value * radix + digit;
            }
            return new Tok(TokKind.Number, text[s..i], line, PyInt.Normal(value));
        }
        bool isFloat = false;
        while (i < text.Length && (char.IsAsciiDigit(text[i]) || text[i] == '_')) i++;
        if (i < text.Length && text[i] == '.') { isFloat = true; i++; while (i < text.Length && (char.IsAsciiDigit(text[i]) || text[i] == '_')) i++; }
        if (i < text.Length && text[i] is 'e' or 'E')
        {
            int save = i;
            i++;
            if (i < text.Length && text[i] is '+' or '-') i++;
            if (i < text.Length && char.IsAsciiDigit(text[i])) { isFloat = true; while (i < text.Length && char.IsAsciiDigit(text[i])) i++; }
            else i = save;
        }
        if (i < text.Length && text[i] is 'j' or 'J') throw new PySyntaxException(file, line, "complex numbers are not supported");
        var digits = text[s..i].Replace("_", "");
        if (!isFloat && long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var n))
            return new Tok(TokKind.Number, digits, line, n);
        if (!isFloat)
        {
            // Python reads any integer literal exactly; past 4,300 digits it refuses (its int-to-text limit).
            if (digits.Length > MaxIntDigits) throw new PySyntaxException(file, line, $"an integer literal over {MaxIntDigits:N0} digits");
            return new Tok(TokKind.Number, digits, line, PyInt.Normal(BigInteger.Parse(digits, NumberStyles.None, CultureInfo.InvariantCulture)));
        }
        return new Tok(TokKind.Number, digits, line, double.Parse(digits, NumberStyles.Float, CultureInfo.InvariantCulture));
    }

    private static Tok ReadString(string text, ref int i, ref int line, string prefix, string file)
    {
        int startLine = line;
        char q = text[i];
        bool triple = i + 2 < text.Length && text[i + 1] == q && text[i + 2] == q;
        i += triple ? 3 : 1;
        bool raw = prefix.Contains('r');
        var sb = new StringBuilder();
        while (true)
        {
            if (i >= text.Length) throw new PySyntaxException(file, startLine, "unterminated string literal");
            char c = text[i];
            if (c == q && (!triple || i + 2 < text.Length && text[i + 1] == q && text[i + 2] == q))
            {
                i += triple ? 3 : 1;
                break;
            }
            if (c is '\n' or '\r')
            {
                if (!triple) throw new PySyntaxException(file, startLine, "unterminated string literal");
                line++;
            }
            if (c == '\\' && i + 1 < text.Length)
            {
                char e = text[i + 1];
                if (raw) { sb.Append(c).Append(e); i += 2; if (e == '\n') line++; continue; }
                i += 2;
                switch (e)
                {
                    case '\n': line++; break;
                    case '\r': line++; if (i < text.Length && text[i] == '\n') i++; break;
                    case 'n': sb.Append('\n'); break;
                    case 't': sb.Append('\t'); break;
                    case 'r': sb.Append('\r'); break;
                    case '\\': sb.Append('\\'); break;
                    case '\'': sb.Append('\''); break;
                    case '"': sb.Append('"'); break;
                    case 'a': sb.Append('\a'); break;
                    case 'b': sb.Append('\b'); break;
                    case 'f': sb.Append('\f'); break;
                    case 'v': sb.Append('\v'); break;
                    case 'x': sb.Append((char)Hex(text, ref i, 2, file, line)); break;
                    case 'u': sb.Append((char)Hex(text, ref i, 4, file, line)); break;
                    case 'U':
                        int cp = Hex(text, ref i, 8, file, line);
                        if (cp is < 0 or > 0x10FFFF or (>= 0xD800 and <= 0xDFFF)) throw new PySyntaxException(file, line, $"\\U{cp:x8} is not a code point");
                        sb.Append(char.ConvertFromUtf32(cp));
                        break;
                    case >= '0' and <= '7':
                        int v = e - '0', k = 0;
                        while (k < 2 && i < text.Length && text[i] is >= '0' and <= '7') { v = v * 8 + (text[i] - '0'); i++; k++; }
                        sb.Append((char)v);
                        break;
                    default: sb.Append('\\').Append(e); break;
                }
                continue;
            }
            sb.Append(c);
            i++;
        }
        return new Tok(TokKind.String, prefix, startLine, sb.ToString());
    }

    private static int Hex(string text, ref int i, int count, string file, int line)
    {
        if (i + count > text.Length || !int.TryParse(text.AsSpan(i, count), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var v))
            throw new PySyntaxException(file, line, "truncated \\x, \\u or \\U escape");
        i += count;
        return v;
    }
}
