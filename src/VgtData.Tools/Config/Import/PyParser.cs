namespace VgtData.Config.Import;

/// <summary>Expressions of the config subset. Every node knows its line for messages, and the depth of the tree below
/// it (counted as the node is built, so a long chain costs no recursion to measure).</summary>
internal abstract record PyExpr(int Line)
{
    public abstract int Depth { get; }
    protected static int Deepest(IEnumerable<PyExpr> items) => items.Select(x => x.Depth).DefaultIfEmpty(0).Max();
}
internal sealed record PyConst(int Line, object? Value) : PyExpr(Line) { public override int Depth => 1; }
internal sealed record PyName(int Line, string Id) : PyExpr(Line) { public override int Depth => 1; }
internal sealed record PyAttr(int Line, PyExpr Target, string Name) : PyExpr(Line) { public override int Depth { get; } = 1 + Target.Depth; }
internal sealed record PySubscript(int Line, PyExpr Target, PyExpr Index) : PyExpr(Line) { public override int Depth { get; } = 1 + Math.Max(Target.Depth, Index.Depth); }
internal sealed record PyCall(int Line, PyExpr Func, IReadOnlyList<PyExpr> Args, IReadOnlyList<(string? Name, PyExpr Value)> Keywords) : PyExpr(Line)
{
    public override int Depth { get; } = 1 + Math.Max(Func.Depth, Math.Max(Deepest(Args), Deepest(Keywords.Select(k => k.Value))));
}
internal sealed record PyListExpr(int Line, IReadOnlyList<PyExpr> Items, bool IsTuple) : PyExpr(Line) { public override int Depth { get; } = 1 + Deepest(Items); }
internal sealed record PyDictExpr(int Line, IReadOnlyList<(PyExpr? Key, PyExpr Value)> Items) : PyExpr(Line)
{
    public override int Depth { get; } = 1 + Deepest(Items.SelectMany(i => i.Key is null ? [i.Value] : new[] { i.Key, i.Value }));
}
internal sealed record PyUnary(int Line, string Op, PyExpr Operand) : PyExpr(Line) { public override int Depth { get; } = 1 + Operand.Depth; }
internal sealed record PyBinary(int Line, string Op, PyExpr Left, PyExpr Right) : PyExpr(Line) { public override int Depth { get; } = 1 + Math.Max(Left.Depth, Right.Depth); }
/// <summary>Syntax the evaluator does not model (comparisons, lambdas, comprehensions...): kept as text for messages.</summary>
internal sealed record PyUnsupported(int Line, string What) : PyExpr(Line) { public override int Depth => 1; }

/// <summary>Statements of the config subset.</summary>
internal abstract record PyStmt(int Line);
internal sealed record PyAssign(int Line, IReadOnlyList<PyExpr> Targets, PyExpr Value) : PyStmt(Line);
internal sealed record PyImport(int Line, IReadOnlyList<(string Module, string? As)> Names) : PyStmt(Line);
internal sealed record PyFromImport(int Line, int Level, string Module, IReadOnlyList<(string Name, string? As)> Names) : PyStmt(Line);
internal sealed record PyWith(int Line, PyExpr Context, IReadOnlyList<PyStmt> Body) : PyStmt(Line);
internal sealed record PyExprStmt(int Line, PyExpr Value) : PyStmt(Line);
/// <summary>A compound statement (if/for/def/class/try...) whose body the importer does not run.</summary>
internal sealed record PySkipped(int Line, string Keyword) : PyStmt(Line);

/// <summary>
/// A recursive-descent parser for what mmengine data configs are written in: imports, <c>with read_base():</c>,
/// assignments (names, attributes, subscripts), calls with keywords, literals, and arithmetic. Compound statements
/// other than <c>with</c> are parsed only to skip their bodies. Nothing is executed.
/// </summary>
internal sealed class PyParser
{
    private static readonly HashSet<string> Compound = ["if", "elif", "else", "for", "while", "def", "class", "try", "except", "finally", "async", "match"];
    private static readonly HashSet<string> Simple = ["pass", "del", "global", "nonlocal", "assert", "raise", "return", "break", "continue", "yield", "print"];
    private readonly List<Tok> _t;
    private readonly string _file;
    private int _p;
    private int _nesting;

    /// <summary>Deepest expression tree (and parser recursion) accepted: the evaluator walks trees recursively, so
    /// this bounds its stack too. CPython also stops near here (200 brackets, its compiler's recursion limit).</summary>
    public const int MaxDepth = 200;

    private PyParser(List<Tok> tokens, string file) { _t = tokens; _file = file; }

    public static IReadOnlyList<PyStmt> Parse(string text, string file)
    {
        var parser = new PyParser(PyLexer.Tokenize(text, file), file);
        var body = new List<PyStmt>();
        while (parser.Peek.Kind != TokKind.End)
        {
            if (parser.Peek.Kind is TokKind.Newline) { parser._p++; continue; }
            if (parser.Peek.Kind is TokKind.Indent) throw parser.Fail("unexpected indent");
            parser.Statement(body);
        }
        return body;
    }

    private Tok Peek => _t[_p];
    private Tok Next() => _t[_p++];
    private PySyntaxException Fail(string message) => new(_file, Peek.Line, message);

    private void Expect(string op)
    {
        if (!Peek.Is(op)) throw Fail($"expected '{op}', found {Describe(Peek)}");
        _p++;
    }

    private static string Describe(Tok t) => t.Kind switch
    {
        TokKind.Newline => "end of line",
        TokKind.End => "end of file",
        TokKind.Indent => "an indent",
        TokKind.Dedent => "a dedent",
        TokKind.String => "a string",
        _ => $"'{t.Text}'",
    };

    private void Statement(List<PyStmt> into)
    {
        var t = Peek;
        if (t.Kind == TokKind.Name && t.Text == "with") { into.Add(With()); return; }
        if (t.Kind == TokKind.Name && Compound.Contains(t.Text) && !(t.Text == "match" && _t[_p + 1].Is("=")))
        {
            SkipCompound();
            into.Add(new PySkipped(t.Line, t.Text));
            return;
        }
        if (t.Is("@")) { SkipLine(); into.Add(new PySkipped(t.Line, "decorator")); return; }
        SimpleStatements(into);
    }

    private void SimpleStatements(List<PyStmt> into)
    {
        while (true)
        {
            into.Add(SmallStatement());
            if (Peek.Is(";"))
            {
                _p++;
                if (Peek.Kind is TokKind.Newline or TokKind.End) break;
                continue;
            }
            break;
        }
        if (Peek.Kind == TokKind.Newline) { _p++; return; }
        if (Peek.Kind is TokKind.End or TokKind.Dedent) return;
        throw Fail($"expected the end of the statement, found {Describe(Peek)}");
    }

    private PyStmt SmallStatement()
    {
        var t = Peek;
        if (t.Kind == TokKind.Name && t.Text == "import") return Import();
        if (t.Kind == TokKind.Name && t.Text == "from") return FromImport();
        if (t.Kind == TokKind.Name && Simple.Contains(t.Text) && !_t[_p + 1].Is("="))
        {
            while (Peek.Kind is not (TokKind.Newline or TokKind.End) && !Peek.Is(";")) _p++;
            return new PySkipped(t.Line, t.Text);
        }
        var first = ExprList();
        if (Peek.Kind == TokKind.Op && Peek.Text is "+=" or "-=" or "*=" or "/=" or "//=" or "%=" or "**=")
        {
            var op = Next().Text;
            var rhs = ExprList();
            return new PyAssign(t.Line, [first], new PyBinary(t.Line, op[..^1], first, rhs));
        }
        if (Peek.Is(":"))
        {
            // An annotated assignment: name: type = value.
            _p++;
            Expr();
            if (!Peek.Is("=")) return new PySkipped(t.Line, "annotation");
        }
        if (!Peek.Is("=")) return new PyExprStmt(t.Line, first);
        var targets = new List<PyExpr> { first };
        PyExpr value;
        while (true)
        {
            Expect("=");
            value = ExprList();
            if (!Peek.Is("=")) break;
            targets.Add(value);
        }
        return new PyAssign(t.Line, targets, value);
    }

    private PyImport Import()
    {
        int line = Next().Line;
        var names = new List<(string, string?)>();
        do
        {
            var module = DottedName();
            string? alias = null;
            if (Peek.Is("as")) { _p++; alias = Name(); }
            names.Add((module, alias));
        } while (Peek.Is(",") && Next().Is(","));
        return new PyImport(line, names);
    }

    private PyFromImport FromImport()
    {
        int line = Next().Line;
        int level = 0;
        while (Peek.Is(".") || Peek.Is("...")) level += Next().Text.Length;
        var module = Peek.Is("import") ? "" : DottedName();
        if (!Peek.Is("import")) throw Fail($"expected 'import', found {Describe(Peek)}");
        _p++;
        var names = new List<(string, string?)>();
        if (Peek.Is("*")) { _p++; names.Add(("*", null)); return new PyFromImport(line, level, module, names); }
        bool paren = Peek.Is("(");
        if (paren) _p++;
        while (true)
        {
            if (paren) while (Peek.Kind == TokKind.Newline) _p++;
            var name = Name();
            string? alias = null;
            if (Peek.Is("as")) { _p++; alias = Name(); }
            names.Add((name, alias));
            if (!Peek.Is(",")) break;
            _p++;
            if (paren && Peek.Is(")")) break;
        }
        if (paren) Expect(")");
        return new PyFromImport(line, level, module, names);
    }

    private string DottedName()
    {
        // Parts joined once: appending part by part would copy the name again for each of them.
        var parts = new List<string> { Name() };
        while (Peek.Is(".")) { _p++; parts.Add(Name()); }
        return string.Join('.', parts);
    }

    private string Name()
    {
        if (Peek.Kind != TokKind.Name) throw Fail($"expected a name, found {Describe(Peek)}");
        return Next().Text;
    }

    private PyWith With()
    {
        int line = Next().Line;
        Nest();
        try { return WithBody(line); }
        finally { _nesting--; }
    }

    private PyWith WithBody(int line)
    {
        var context = Expr();
        if (Peek.Is("as")) { _p++; Expr(); }
        Expect(":");
        return new PyWith(line, context, Block());
    }

    private List<PyStmt> Block()
    {
        var body = new List<PyStmt>();
        if (Peek.Kind != TokKind.Newline)
        {
            SimpleStatements(body);
            return body;
        }
        _p++;
        if (Peek.Kind != TokKind.Indent) throw Fail("expected an indented block");
        _p++;
        while (Peek.Kind is not (TokKind.Dedent or TokKind.End))
        {
            if (Peek.Kind == TokKind.Newline) { _p++; continue; }
            Statement(body);
        }
        if (Peek.Kind == TokKind.Dedent) _p++;
        return body;
    }

    /// <summary>Skips a compound statement: its header up to the ':' at bracket depth 0, then its block.</summary>
    private void SkipCompound()
    {
        int depth = 0;
        while (true)
        {
            var t = Next();
            if (t.Kind == TokKind.End) throw new PySyntaxException(_file, t.Line, "unexpected end of file in a compound statement");
            if (t.Kind == TokKind.Op && t.Text is "(" or "[" or "{") depth++;
            if (t.Kind == TokKind.Op && t.Text is ")" or "]" or "}") depth--;
            if (depth == 0 && t.Is(":")) break;
        }
        if (Peek.Kind != TokKind.Newline) { SkipLine(); return; }
        _p++;
        if (Peek.Kind != TokKind.Indent) throw Fail("expected an indented block");
        int level = 0;
        do
        {
            var t = Next();
            if (t.Kind == TokKind.Indent) level++;
            else if (t.Kind == TokKind.Dedent) level--;
            else if (t.Kind == TokKind.End) return;
        } while (level > 0);
    }

    private void SkipLine()
    {
        while (Peek.Kind is not (TokKind.Newline or TokKind.End)) _p++;
        if (Peek.Kind == TokKind.Newline) _p++;
    }

    // ---- expressions ----

    /// <summary>An expression, or a bare tuple <c>a, b</c>.</summary>
    private PyExpr ExprList()
    {
        var first = Expr();
        if (!Peek.Is(",")) return first;
        var items = new List<PyExpr> { first };
        while (Peek.Is(","))
        {
            _p++;
            if (Peek.Kind is TokKind.Newline or TokKind.End || Peek.Is("=") || Peek.Is(")")) break;
            items.Add(Expr());
        }
        return new PyListExpr(first.Line, items, IsTuple: true);
    }

    private void Nest()
    {
        if (++_nesting > MaxDepth) throw Fail($"expression nested too deeply (more than {MaxDepth} levels)");
    }

    private PyExpr Expr()
    {
        Nest();
        try
        {
            var e = ExprBody();
            if (e.Depth > MaxDepth) throw new PySyntaxException(_file, e.Line, $"expression nested too deeply (more than {MaxDepth} levels)");
            return e;
        }
        finally { _nesting--; }
    }

    private PyExpr ExprBody()
    {
        if (Peek.Is("lambda"))
        {
            int line = Peek.Line;
            while (!Peek.Is(":")) { if (Peek.Kind is TokKind.End or TokKind.Newline) throw Fail("incomplete lambda"); _p++; }
            _p++;
            Expr();
            return new PyUnsupported(line, "a lambda");
        }
        var value = Or();
        if (Peek.Is("if"))
        {
            _p++;
            Or();
            Expect("else");
            Expr();
            return new PyUnsupported(value.Line, "a conditional expression");
        }
        return value;
    }

    private PyExpr Or()
    {
        var left = And();
        while (Peek.Is("or")) { int l = Next().Line; And(); left = new PyUnsupported(l, "an 'or' expression"); }
        return left;
    }

    private PyExpr And()
    {
        var left = Not();
        while (Peek.Is("and")) { int l = Next().Line; Not(); left = new PyUnsupported(l, "an 'and' expression"); }
        return left;
    }

    private PyExpr Not()
    {
        if (Peek.Is("not"))
        {
            int l = Next().Line;
            Nest();
            try { Not(); }
            finally { _nesting--; }
            return new PyUnsupported(l, "a 'not' expression");
        }
        return Comparison();
    }

    private PyExpr Comparison()
    {
        var left = BitOr();
        while (Peek.Kind is TokKind.Op && Peek.Text is "==" or "!=" or "<" or ">" or "<=" or ">=" || Peek.Is("in") || Peek.Is("is")
               || Peek.Is("not") && _t[_p + 1].Is("in"))
        {
            int l = Next().Line;
            if (Peek.Is("not") || Peek.Is("in")) _p++;
            BitOr();
            left = new PyUnsupported(l, "a comparison");
        }
        return left;
    }

    /// <summary>Python's bitwise levels, loosest first: <c>|</c>, <c>^</c>, <c>&amp;</c>, then shifts.</summary>
    private static readonly string[][] BitLevels = [["|"], ["^"], ["&"], ["<<", ">>"]];

    private PyExpr BitOr() => Bitwise(0);

    private PyExpr Bitwise(int level)
    {
        if (level == BitLevels.Length) return Arith();
        var left = Bitwise(level + 1);
        while (Peek.Kind == TokKind.Op && BitLevels[level].Contains(Peek.Text))
        {
            var t = Next();
            left = new PyBinary(t.Line, t.Text, left, Bitwise(level + 1));
        }
        return left;
    }

    private PyExpr Arith()
    {
        var left = Term();
        while (Peek.Kind == TokKind.Op && Peek.Text is "+" or "-")
        {
            var t = Next();
            left = new PyBinary(t.Line, t.Text, left, Term());
        }
        return left;
    }

    private PyExpr Term()
    {
        var left = Factor();
        while (Peek.Kind == TokKind.Op && Peek.Text is "*" or "/" or "//" or "%" or "@")
        {
            var t = Next();
            left = new PyBinary(t.Line, t.Text, left, Factor());
        }
        return left;
    }

    private PyExpr Factor()
    {
        if (Peek.Kind == TokKind.Op && Peek.Text is "-" or "+" or "~")
        {
            var t = Next();
            Nest();
            try { return new PyUnary(t.Line, t.Text, Factor()); }
            finally { _nesting--; }
        }
        var b = Primary();
        if (Peek.Is("**"))
        {
            // Right-associative, so a chain of ** recurses here: counted like brackets.
            var t = Next();
            Nest();
            try { return new PyBinary(t.Line, "**", b, Factor()); }
            finally { _nesting--; }
        }
        return b;
    }

    private PyExpr Primary()
    {
        var e = Atom();
        while (true)
        {
            if (Peek.Is(".")) { int l = Next().Line; e = new PyAttr(l, e, Name()); }
            else if (Peek.Is("(")) e = Call(e);
            else if (Peek.Is("["))
            {
                int l = Next().Line;
                var index = Peek.Is(":") ? new PyUnsupported(l, "a slice") : ExprList();
                if (Peek.Is(":")) { while (!Peek.Is("]")) { if (Peek.Kind == TokKind.End) throw Fail("unclosed '['"); _p++; } index = new PyUnsupported(l, "a slice"); }
                Expect("]");
                e = new PySubscript(l, e, index);
            }
            else return e;
        }
    }

    private PyExpr Call(PyExpr func)
    {
        int line = Next().Line;
        var args = new List<PyExpr>();
        var keywords = new List<(string?, PyExpr)>();
        while (!Peek.Is(")"))
        {
            if (Peek.Is("**")) { _p++; keywords.Add((null, Expr())); }
            else if (Peek.Is("*")) { int l = Next().Line; Expr(); args.Add(new PyUnsupported(l, "a *args argument")); }
            else if (Peek.Kind == TokKind.Name && _t[_p + 1].Is("="))
            {
                var name = Next().Text;
                _p++;
                keywords.Add((name, Expr()));
            }
            else
            {
                var a = Expr();
                if (Peek.Is("for")) { SkipComprehension(")"); a = new PyUnsupported(a.Line, "a generator expression"); args.Add(a); break; }
                args.Add(a);
            }
            if (!Peek.Is(",")) break;
            _p++;
        }
        Expect(")");
        return new PyCall(line, func, args, keywords);
    }

    private void SkipComprehension(string close)
    {
        int depth = 0;
        while (true)
        {
            var t = Peek;
            if (t.Kind == TokKind.End) throw Fail($"expected '{close}'");
            if (depth == 0 && t.Is(close)) return;
            if (t.Kind == TokKind.Op && t.Text is "(" or "[" or "{") depth++;
            if (t.Kind == TokKind.Op && t.Text is ")" or "]" or "}") depth--;
            _p++;
        }
    }

    private PyExpr Atom()
    {
        var t = Peek;
        switch (t.Kind)
        {
            case TokKind.Number:
                _p++;
                return new PyConst(t.Line, t.Value);
            case TokKind.String:
            {
                // Adjacent literals concatenate, as in ('a' 'b').
                var text = new System.Text.StringBuilder();
                bool formatted = false;
                while (Peek.Kind == TokKind.String)
                {
                    var s = Next();
                    if (s.Text.Contains('b')) return new PyUnsupported(s.Line, "a bytes literal");
                    formatted |= s.Text.Contains('f') && ((string)s.Value!).Contains('{');
                    text.Append((string)s.Value!);
                }
                return formatted ? new PyUnsupported(t.Line, "an f-string with fields") : new PyConst(t.Line, text.ToString());
            }
            case TokKind.Name:
                _p++;
                return t.Text switch
                {
                    "None" => new PyConst(t.Line, null),
                    "True" => new PyConst(t.Line, true),
                    "False" => new PyConst(t.Line, false),
                    _ => new PyName(t.Line, t.Text),
                };
            case TokKind.Op when t.Text == "(":
            {
                _p++;
                if (Peek.Is(")")) { _p++; return new PyListExpr(t.Line, [], IsTuple: true); }
                var first = Expr();
                if (Peek.Is("for")) { SkipComprehension(")"); Expect(")"); return new PyUnsupported(t.Line, "a generator expression"); }
                if (Peek.Is(")")) { _p++; return first; }
                var items = new List<PyExpr> { first };
                while (Peek.Is(","))
                {
                    _p++;
                    if (Peek.Is(")")) break;
                    items.Add(Expr());
                }
                Expect(")");
                return new PyListExpr(t.Line, items, IsTuple: true);
            }
            case TokKind.Op when t.Text == "[":
            {
                _p++;
                var items = new List<PyExpr>();
                while (!Peek.Is("]"))
                {
                    var item = Expr();
                    if (Peek.Is("for")) { SkipComprehension("]"); Expect("]"); return new PyUnsupported(t.Line, "a list comprehension"); }
                    items.Add(item);
                    if (!Peek.Is(",")) break;
                    _p++;
                }
                Expect("]");
                return new PyListExpr(t.Line, items, IsTuple: false);
            }
            case TokKind.Op when t.Text == "{":
            {
                _p++;
                var items = new List<(PyExpr?, PyExpr)>();
                while (!Peek.Is("}"))
                {
                    if (Peek.Is("**")) { _p++; items.Add((null, Expr())); }
                    else
                    {
                        var key = Expr();
                        if (Peek.Is("for")) { SkipComprehension("}"); Expect("}"); return new PyUnsupported(t.Line, "a comprehension"); }
                        if (!Peek.Is(":")) { SkipComprehension("}"); Expect("}"); return new PyUnsupported(t.Line, "a set"); }
                        _p++;
                        var value = Expr();
                        if (Peek.Is("for")) { SkipComprehension("}"); Expect("}"); return new PyUnsupported(t.Line, "a dict comprehension"); }
                        items.Add((key, value));
                    }
                    if (!Peek.Is(",")) break;
                    _p++;
                }
                Expect("}");
                return new PyDictExpr(t.Line, items);
            }
            case TokKind.Op when t.Text == "...":
                _p++;
                return new PyUnsupported(t.Line, "Ellipsis");
            default:
                throw Fail($"expected an expression, found {Describe(t)}");
        }
    }
}
