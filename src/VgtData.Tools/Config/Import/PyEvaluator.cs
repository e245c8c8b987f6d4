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

    public PyModule Load(string file)
    {
        var full = Path.GetFullPath(file);
        if (_loaded.TryGetValue(full, out var done)) return done;
        if (_loading.Contains(full))
            throw new VgtDataException($"{full}: circular import: {string.Join(" -> ", _loading.Reverse().Append(full).Select(Path.GetFileName))}");
        if (_loading.Count >= MaxImportDepth)
            throw new VgtDataException($"{full}: more than {MaxImportDepth} nested base imports");
        string text;
        try { text = Storage.RegularFile.ReadAllInputText(full, Storage.FileLimit.Config); }
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
                return new PyList(l.Items.Select(x => Eval(m, x)).ToList(), l.IsTuple);
            case PyDictExpr d:
            {
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
                return (u.Op, Eval(m, u.Operand)) switch
                {
                    ("-", long x) => -x,
                    ("-", double x) => -x,
                    ("+", long x) => x,
                    ("+", double x) => x,
                    (_, PyUndefined un) => un,
                    _ => new PyOpaque($"unary '{u.Op}'", m.File, u.Line),
                };
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
        if (value is PyDict other) foreach (var (k, v) in other.Items) into.Items[k] = v;
        else Issues.Add(new ImportIssue(m.File, line, "'**' of something that is not a dict; skipped"));
    }

    private object? Call(PyModule m, PyCall call)
    {
        var func = Eval(m, call.Func);
        if (func is PySymbol { Name: "dict" })
        {
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
            return new PyList([.. src.Items], seq.Name == "tuple");
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
            case ("+", string x, string y): return x + y;
            case ("+", PyList x, PyList y) when x.IsTuple == y.IsTuple: return new PyList([.. x.Items, .. y.Items], x.IsTuple);
            case ("*", string x, long y): return string.Concat(Enumerable.Repeat(x, (int)Math.Clamp(y, 0, 10_000)));
            case ("*", PyList x, long y): return new PyList(Enumerable.Repeat(x.Items, (int)Math.Clamp(y, 0, 10_000)).SelectMany(i => i).ToList(), x.IsTuple);
        }
        if (l is long li && r is long ri)
        {
            switch (b.Op)
            {
                case "+": return li + ri;
                case "-": return li - ri;
                case "*": return li * ri;
                case "/": return ri == 0 ? new PyOpaque("a division by zero", m.File, b.Line) : (object)((double)li / ri);
                case "//": return ri == 0 ? new PyOpaque("a division by zero", m.File, b.Line) : (object)(long)Math.Floor((double)li / ri);
                case "%": return ri == 0 ? new PyOpaque("a division by zero", m.File, b.Line) : (object)(((li % ri) + ri) % ri);
                case "**" when ri >= 0: return Math.Pow(li, ri) is var p && p < long.MaxValue ? (object)(long)p : p;
            }
        }
        if (l is long or double && r is long or double)
        {
            double x = Convert.ToDouble(l), y = Convert.ToDouble(r);
            switch (b.Op)
            {
                case "+": return x + y;
                case "-": return x - y;
                case "*": return x * y;
                case "/": return y == 0 ? new PyOpaque("a division by zero", m.File, b.Line) : x / y;
                case "//": return y == 0 ? new PyOpaque("a division by zero", m.File, b.Line) : Math.Floor(x / y);
                case "**": return Math.Pow(x, y);
            }
        }
        return new PyOpaque($"the operator '{b.Op}' on these values", m.File, b.Line);
    }

    internal static string? Nearest(string name, IEnumerable<string> candidates)
    {
        string? best = null;
        int bestDistance = int.MaxValue;
        foreach (var c in candidates)
        {
            int d = EditDistance.Between(c, name);
            if (d < bestDistance) { best = c; bestDistance = d; }
        }
        return bestDistance <= Math.Max(1, Math.Min(3, name.Length / 4)) ? best : null;
    }
}
