using System.Numerics;
using VgtData.Storage;

namespace VgtData.Config.Import;

/// <summary>A Python dict (from <c>dict(...)</c> or <c>{...}</c>), mutable and shared by reference as in Python.</summary>
internal sealed class PyDict(string file, int line)
{
    public OrderedDictionary<string, object?> Items { get; } = new(StringComparer.Ordinal);
    public string File { get; } = file;
    public int Line { get; } = line;
}

/// <summary>A list or tuple.</summary>
internal sealed class PyList(List<object?> items, bool isTuple)
{
    public List<object?> Items { get; } = items;
    public bool IsTuple { get; } = isTuple;
}

/// <summary>An imported class or function, kept by name (<c>CaptionDataset</c>, <c>AutoTokenizer.from_pretrained</c>).</summary>
internal sealed record PySymbol(string Name)
{
    public string ShortName => Name.Contains('.') && !Name.EndsWith(".from_pretrained", StringComparison.Ordinal) ? Name[(Name.LastIndexOf('.') + 1)..] : Name;
}

/// <summary>A name that Python would not find (a typo, a missing import, a base file that is not there).</summary>
internal sealed record PyUndefined(string Name, string File, int Line, string Reason, string? Suggestion = null)
{
    public string Describe() => $"{File}:{Line}: '{Name}' {Reason}{(Suggestion is null ? "" : $" (did you mean '{Suggestion}'?)")}";
}

/// <summary>A value the importer does not compute (a call of an unknown function, a comparison, an f-string...).</summary>
internal sealed record PyOpaque(string What, string File, int Line);

/// <summary>One finding of the import: where in which Python file, and what.</summary>
internal sealed record ImportIssue(string File, int Line, string Message, bool IsWarning = true)
{
    public override string ToString() => $"{(IsWarning ? "warning" : "error")}: {File}{(Line > 0 ? $":{Line}" : "")}: {Message}";
}

/// <summary>A module's names after running its assignments, and the line that last set each.</summary>
internal sealed class PyModule(string file)
{
    public string File { get; } = file;
    public OrderedDictionary<string, object?> Names { get; } = new(StringComparer.Ordinal);
    public Dictionary<string, int> Lines { get; } = new(StringComparer.Ordinal);
    public HashSet<string> OwnNames { get; } = new(StringComparer.Ordinal);
}

/// <summary>
/// Runs the assignments of an mmengine-style config without Python: <c>with read_base():</c> relative imports load
/// the named files (each once), ordinary imports bind symbolic names, <c>dict(...)</c> builds dicts, attribute and
/// subscript assignments mutate them. Names Python would not find become <see cref="PyUndefined"/> values with the
/// place they were used, so the caller decides what a broken file costs.
/// </summary>
internal sealed class PyEvaluator
{
    private const int MaxImportDepth = 32;
    private static readonly HashSet<string> Builtins = ["dict", "list", "tuple", "int", "float", "str", "bool"];
    private readonly Dictionary<string, PyModule> _loaded = new(StringComparer.Ordinal);
    private readonly Stack<string> _loading = new();

    public List<ImportIssue> Issues { get; } = new();

    /// <summary>Everything this import builds is charged here (the JSON written from it too).</summary>
    public PyBudget Budget { get; } = new();

    public PyModule Load(string file)
    {
        var full = Path.GetFullPath(file);
        if (_loaded.TryGetValue(full, out var done)) return done;
        if (_loading.Contains(full))
            throw new VgtDataException($"{full}: circular import: {string.Join(" -> ", _loading.Reverse().Append(full).Select(Path.GetFileName))}");
        if (_loading.Count >= MaxImportDepth)
            throw new VgtDataException($"{full}: more than {MaxImportDepth} nested base imports");
        string text;
        try { text = PySource.Decode(Storage.RegularFile.ReadAllInput(full, Storage.FileLimit.Config), full); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new VgtDataException($"{full}: cannot read: {e.Message}");
        }
        var body = PyParser.Parse(text, full);
        var module = new PyModule(full);
        _loading.Push(full);
        try { Exec(module, body); }
        finally { _loading.Pop(); }
        _loaded[full] = module;
        return module;
    }

    private void Exec(PyModule m, IEnumerable<PyStmt> body)
    {
        foreach (var stmt in body)
        {
            switch (stmt)
            {
                case PyImport imp:
                    foreach (var (module, alias) in imp.Names)
                        Bind(m, alias ?? module.Split('.')[0], new PySymbol(alias is null ? module.Split('.')[0] : module), imp.Line, own: false);
                    break;
                case PyFromImport from when from.Level > 0:
                    ImportBase(m, from);
                    break;
                case PyFromImport from:
                    foreach (var (name, alias) in from.Names)
                        if (name != "*") Bind(m, alias ?? name, new PySymbol(name), from.Line, own: false);
                    break;
                case PyWith with:
                    Exec(m, with.Body);
                    break;
                case PyAssign assign:
                    var value = Eval(m, assign.Value);
                    foreach (var target in assign.Targets) Assign(m, target, value, assign.Line);
                    break;
                case PySkipped { Keyword: "if" or "for" or "while" or "def" or "class" or "try" } skipped:
                    Issues.Add(new ImportIssue(m.File, skipped.Line, $"'{skipped.Keyword}' block not evaluated (configs hold assignments; code is not run)"));
                    break;
            }
        }
    }

    private void Bind(PyModule m, string name, object? value, int line, bool own = true)
    {
        m.Names[name] = value;
        m.Lines[name] = line;
        if (own) m.OwnNames.Add(name);
        else m.OwnNames.Remove(name);
    }

    /// <summary><c>from .a.b import x</c>: the file a/b.py beside this one (<c>..</c> one folder up), run once.</summary>
    private void ImportBase(PyModule m, PyFromImport from)
    {
        var dir = Path.GetDirectoryName(m.File)!;
        for (int i = 1; i < from.Level; i++) dir = Path.GetDirectoryName(dir) ?? dir;
        var parts = from.Module.Length == 0 ? [] : from.Module.Split('.');
        var stem = Path.Combine([dir, .. parts]);
        var file = File.Exists(stem + ".py") ? stem + ".py" : File.Exists(Path.Combine(stem, "__init__.py")) ? Path.Combine(stem, "__init__.py") : null;
        if (file is null)
        {
            var shown = Path.GetRelativePath(Path.GetDirectoryName(m.File)!, stem + ".py");
            var names = string.Join(", ", from.Names.Select(n => n.As ?? n.Name));
            Issues.Add(new ImportIssue(m.File, from.Line, $"base file '{shown}' is not there: {names} left undefined"));
            foreach (var (name, alias) in from.Names)
                if (name != "*") Bind(m, alias ?? name, new PyUndefined(name, m.File, from.Line, $"comes from '{shown}', which is not there"), from.Line, own: false);
            return;
        }
        var module = Load(file);
        foreach (var (name, alias) in from.Names)
        {
            if (name == "*")
            {
                foreach (var (k, v) in module.Names)
                    if (!k.StartsWith('_')) Bind(m, k, v, from.Line, own: false);
                continue;
            }
            if (module.Names.TryGetValue(name, out var value)) Bind(m, alias ?? name, value, from.Line, own: false);
            else
            {
                var hint = Nearest(name, module.Names.Keys);
                Issues.Add(new ImportIssue(m.File, from.Line, $"cannot import '{name}' from '{Path.GetFileName(file)}'{(hint is null ? "" : $" (did you mean '{hint}'?)")}"));
                Bind(m, alias ?? name, new PyUndefined(name, m.File, from.Line, $"is not defined in '{Path.GetFileName(file)}'", hint), from.Line, own: false);
            }
        }
    }

    private void Assign(PyModule m, PyExpr target, object? value, int line)
    {
        switch (target)
        {
            case PyName n:
                Bind(m, n.Id, value, line);
                break;
            case PyAttr a:
                SetItem(m, a.Target, a.Name, value, line, $".{a.Name}");
                break;
            case PySubscript s when Eval(m, s.Index) is string key:
                SetItem(m, s.Target, key, value, line, $"['{key}']");
                break;
            case PyListExpr l when value is PyList v && v.Items.Count == l.Items.Count:
                for (int i = 0; i < l.Items.Count; i++) Assign(m, l.Items[i], v.Items[i], line);
                break;
            default:
                Issues.Add(new ImportIssue(m.File, line, "assignment target not supported; statement skipped"));
                break;
        }
    }

    private void SetItem(PyModule m, PyExpr owner, string key, object? value, int line, string shown)
    {
        switch (Eval(m, owner))
        {
            case PyDict d:
                Budget.Charge(PyBudget.Entry, m.File, line, "an item assignment");
                d.Items[key] = value;
                break;
            case PyUndefined u:
                Issues.Add(new ImportIssue(m.File, line, $"'{Text(owner)}{shown}' not set: {u.Describe()}"));
                break;
            default:
                Issues.Add(new ImportIssue(m.File, line, $"'{Text(owner)}{shown}' not set: '{Text(owner)}' is not a dict"));
                break;
        }
    }

    private static string Text(PyExpr e) => e switch
    {
        PyName n => n.Id,
        PyAttr a => $"{Text(a.Target)}.{a.Name}",
        _ => "(expression)",
    };

    public object? Eval(PyModule m, PyExpr e)
    {
        switch (e)
        {
            case PyConst c:
                return c.Value;
            case PyName n:
                if (m.Names.TryGetValue(n.Id, out var v)) return v;
                if (Builtins.Contains(n.Id)) return new PySymbol(n.Id);
                return new PyUndefined(n.Id, m.File, n.Line, "is not defined", Nearest(n.Id, m.Names.Keys));
            case PyAttr a:
                return Eval(m, a.Target) switch
                {
                    PySymbol s => new PySymbol($"{s.Name}.{a.Name}"),
                    PyDict d => d.Items.TryGetValue(a.Name, out var item) ? item : new PyUndefined($"{Text(a.Target)}.{a.Name}", m.File, a.Line, "is not a key of the dict"),
                    PyUndefined u => u,
                    _ => new PyOpaque($"attribute '{a.Name}'", m.File, a.Line),
                };
            case PySubscript s:
            {
                var target = Eval(m, s.Target);
                var index = Eval(m, s.Index);
                if (target is PyUndefined u) return u;
                if (target is PyDict d && index is string k && d.Items.TryGetValue(k, out var item)) return item;
                if (target is PyList l && index is long i && i >= -l.Items.Count && i < l.Items.Count) return l.Items[(int)(i < 0 ? i + l.Items.Count : i)];
                return new PyOpaque("a subscript", m.File, s.Line);
            }
            case PyListExpr l:
                Budget.Charge(PyBudget.OfList(l.Items.Count), m.File, l.Line, "a list");
                return new PyList(l.Items.Select(x => Eval(m, x)).ToList(), l.IsTuple);
            case PyDictExpr d:
            {
                Budget.Charge(PyBudget.Header + PyBudget.Entry * d.Items.Count, m.File, d.Line, "a dict");
                var dict = new PyDict(m.File, d.Line);
                foreach (var (key, value) in d.Items)
                {
                    if (key is null) { Merge(m, dict, Eval(m, value), d.Line); continue; }
                    var k = Eval(m, key);
                    if (k is string ks) dict.Items[ks] = Eval(m, value);
                    else Issues.Add(new ImportIssue(m.File, d.Line, "a dict key that is not a string is not supported; item skipped"));
                }
                return dict;
            }
            case PyCall call:
                return Call(m, call);
            case PyUnary u:
            {
                var operand = Eval(m, u.Operand);
                if (PyInt.Is(operand, out var x) && u.Op is "-" or "+" or "~")
                    return PyInt.Checked(u.Op == "-" ? -x : u.Op == "~" ? -x - 1 : x, m.File, u.Line);
                return (u.Op, operand) switch
                {
                    ("-", double d) => -d,
                    ("+", double d) => d,
                    (_, PyUndefined un) => un,
                    _ => new PyOpaque($"unary '{u.Op}'", m.File, u.Line),
                };
            }
            case PyBinary b:
                return Binary(m, b);
            case PyUnsupported un:
                return new PyOpaque(un.What, m.File, un.Line);
            default:
                return new PyOpaque("an expression", m.File, e.Line);
        }
    }

    private void Merge(PyModule m, PyDict into, object? value, int line)
    {
        if (value is PyDict other)
        {
            Budget.Charge(PyBudget.Entry * other.Items.Count, m.File, line, "a '**' merge");
            foreach (var (k, v) in other.Items) into.Items[k] = v;
        }
        else Issues.Add(new ImportIssue(m.File, line, "'**' of something that is not a dict; skipped"));
    }

    private object? Call(PyModule m, PyCall call)
    {
        var func = Eval(m, call.Func);
        if (func is PySymbol { Name: "dict" })
        {
            Budget.Charge(PyBudget.Header + PyBudget.Entry * call.Keywords.Count, m.File, call.Line, "a dict");
            var dict = new PyDict(m.File, call.Line);
            foreach (var arg in call.Args) Merge(m, dict, Eval(m, arg), call.Line);
            foreach (var (name, value) in call.Keywords)
            {
                if (name is null) Merge(m, dict, Eval(m, value), call.Line);
                else dict.Items[name] = Eval(m, value);
            }
            return dict;
        }
        if (func is PySymbol { Name: "list" or "tuple" } seq && call.Args.Count == 1 && Eval(m, call.Args[0]) is PyList src)
        {
            Budget.Charge(PyBudget.OfList(src.Items.Count), m.File, call.Line, $"a {seq.Name}");
            return new PyList([.. src.Items], seq.Name == "tuple");
        }
        // AutoTokenizer.from_pretrained('name', ...) called directly: the same as VGT's lazy dict form.
        if (func is PySymbol fp && fp.Name.EndsWith(".from_pretrained", StringComparison.Ordinal))
        {
            var dict = new PyDict(m.File, call.Line);
            dict.Items["type"] = fp;
            if (call.Args.Count > 0) dict.Items["pretrained_model_name_or_path"] = Eval(m, call.Args[0]);
            foreach (var (name, value) in call.Keywords)
                if (name is not null) dict.Items[name] = Eval(m, value);
            return dict;
        }
        if (func is PyUndefined u) return u;
        var shown = func is PySymbol s ? s.Name : "an expression";
        return new PyOpaque($"a call of {shown}", m.File, call.Line);
    }

    private object? Binary(PyModule m, PyBinary b)
    {
        var l = Eval(m, b.Left);
        var r = Eval(m, b.Right);
        if (l is PyUndefined ul) return ul;
        if (r is PyUndefined ur) return ur;
        switch (b.Op, l, r)
        {
            case ("+", string x, string y):
                Budget.Charge(PyBudget.OfString((double)x.Length + y.Length), m.File, b.Line, "a string concatenation");
                return x + y;
            case ("+", PyList x, PyList y) when x.IsTuple == y.IsTuple:
                Budget.Charge(PyBudget.OfList((double)x.Items.Count + y.Items.Count), m.File, b.Line, "a list concatenation");
                return new PyList([.. x.Items, .. y.Items], x.IsTuple);
            case ("*", string or PyList, _) when PyInt.Is(r, out var n): return Repeat(m, b, l!, n);
            case ("*", _, string or PyList) when PyInt.Is(l, out var n): return Repeat(m, b, r!, n);
        }
        if (PyInt.Is(l, out var li) && PyInt.Is(r, out var ri)) return IntBinary(m, b, li, ri);
        if (AsDouble(l) is double x0 && AsDouble(r) is double y0)
        {
            if (double.IsInfinity(x0) && l is BigInteger || double.IsInfinity(y0) && r is BigInteger)
                return new PyOpaque("an integer too large for a float", m.File, b.Line);
            switch (b.Op)
            {
                case "+": return x0 + y0;
                case "-": return x0 - y0;
                case "*": return x0 * y0;
                case "/": return y0 == 0 ? new PyOpaque("a division by zero", m.File, b.Line) : x0 / y0;
                case "//": return y0 == 0 ? new PyOpaque("a division by zero", m.File, b.Line) : Math.Floor(x0 / y0);
                case "%": return y0 == 0 ? new PyOpaque("a division by zero", m.File, b.Line) : x0 - y0 * Math.Floor(x0 / y0);
                case "**": return Math.Pow(x0, y0);
            }
        }
        return new PyOpaque($"the operator '{b.Op}' on these values", m.File, b.Line);
    }

    private static double? AsDouble(object? v) => v switch
    {
        long x => x,
        BigInteger x => (double)x,
        double x => x,
        _ => null,
    };

    /// <summary><c>s * n</c> and <c>[...] * n</c> as Python (n below 1 gives an empty one), charged before it is built.</summary>
    private object Repeat(PyModule m, PyBinary b, object seq, BigInteger count)
    {
        var n = count.Sign <= 0 ? BigInteger.Zero : count;
        if (seq is string s)
        {
            Budget.Charge(PyBudget.OfString(s.Length * (double)n), m.File, b.Line, "a string repetition");
            // Charged, so a non-empty result fits the budget (and an int); an empty one is empty for any count.
            return s.Length == 0 || n.IsZero ? "" : new System.Text.StringBuilder(s.Length * (int)n).Insert(0, s, (int)n).ToString();
        }
        var list = (PyList)seq;
        Budget.Charge(PyBudget.OfList(list.Items.Count * (double)n), m.File, b.Line, "a list repetition");
        int times = list.Items.Count == 0 ? 0 : (int)n;
        var items = new List<object?>(list.Items.Count * times);
        for (int i = 0; i < times; i++) items.AddRange(list.Items);
        return new PyList(items, list.IsTuple);
    }

    /// <summary>Integer arithmetic with Python's results: exact (no wrap), floor division and modulo towards -inf,
    /// int ** negative is a float. A result over <see cref="PyInt.MaxBits"/> is refused before it is computed.</summary>
    private static object? IntBinary(PyModule m, PyBinary b, BigInteger x, BigInteger y)
    {
        object Checked(BigInteger v) => PyInt.Checked(v, m.File, b.Line);
        PyOpaque ByZero() => new("a division by zero", m.File, b.Line);
        switch (b.Op)
        {
            case "+": return Checked(x + y);
            case "-": return Checked(x - y);
            case "*": return Checked(x * y);
            case "/":
                if (y.IsZero) return ByZero();
                var q = (double)x / (double)y;
                return double.IsFinite(q) ? q : new PyOpaque("an integer too large for a float", m.File, b.Line);
            case "//" or "%":
                if (y.IsZero) return ByZero();
                var quotient = BigInteger.DivRem(x, y, out var rest);
                if (!rest.IsZero && (rest.Sign < 0) != (y.Sign < 0)) { quotient -= 1; rest += y; }
                return Checked(b.Op == "//" ? quotient : rest);
            case "**":
                if (y.Sign < 0) return x.IsZero ? ByZero() : Math.Pow((double)x, (double)y);
                // |x| <= 1 stays small for any exponent; otherwise the result has at least (bits(x) - 1) * y bits.
                if (BigInteger.Abs(x) <= BigInteger.One) return Checked(x.IsZero ? (y.IsZero ? 1 : 0) : x.Sign > 0 || y.IsEven ? 1 : -1);
                if ((x.GetBitLength() - 1) * (double)y > PyInt.MaxBits) throw PyInt.TooLarge(m.File, b.Line);
                return Checked(BigInteger.Pow(x, (int)y));
            case "<<":
                if (y.Sign < 0) return new PyOpaque("a negative shift count", m.File, b.Line);
                if (x.IsZero) return 0L;
                if (x.GetBitLength() + (double)y > PyInt.MaxBits) throw PyInt.TooLarge(m.File, b.Line);
                return Checked(x << (int)y);
            case ">>":
                if (y.Sign < 0) return new PyOpaque("a negative shift count", m.File, b.Line);
                return y > PyInt.MaxBits ? (x.Sign < 0 ? -1L : 0L) : Checked(x >> (int)y);
            case "&": return Checked(x & y);
            case "|": return Checked(x | y);
            case "^": return Checked(x ^ y);
            default: return new PyOpaque($"the operator '{b.Op}' on integers", m.File, b.Line);
        }
    }

    /// <summary>Names compared for "did you mean" hints in one import; past it, hints stop (a file of 100,000 names
    /// and 100,000 undefined uses would otherwise compare 10^10 pairs).</summary>
    private const long MaxSuggestionWork = 1_000_000;
    private long _suggestionWork;

    internal string? Nearest(string name, IEnumerable<string> candidates)
    {
        int limit = Math.Max(1, Math.Min(3, name.Length / 4));
        string? best = null;
        int bestDistance = limit + 1;
        foreach (var c in candidates)
        {
            if (++_suggestionWork > MaxSuggestionWork) return null;
            int d = EditDistance.Within(c, name, limit);
            if (d < bestDistance) { best = c; bestDistance = d; }
        }
        return best;
    }
}
