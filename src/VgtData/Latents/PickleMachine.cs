using System.Buffers.Binary;
using System.Numerics;
using System.Text;

namespace VgtData.Latents;

/// <summary>A Python global named by GLOBAL/STACK_GLOBAL, e.g. <c>torch._utils._rebuild_tensor_v2</c>.</summary>
internal sealed record PyGlobal(string Module, string Name)
{
    public override string ToString() => $"{Module}.{Name}";
}

/// <summary>A Python tuple.</summary>
internal sealed class PyTuple(object?[] items)
{
    public object?[] Items { get; } = items;
    public override string ToString() => $"tuple[{Items.Length}]";
}

/// <summary>A Python dict (or OrderedDict); insertion order kept, keys compared with <see cref="object.Equals(object?)"/>.</summary>
internal sealed class PyDict
{
    // Key -> position in Entries, so a pickle with many keys costs linear, not quadratic, time.
    private readonly Dictionary<object, int> _index = new();
    private int _nullKey = -1;

    public List<KeyValuePair<object?, object?>> Entries { get; } = new();

    public void Set(object? key, object? value)
    {
        // As Python: a list or dict cannot be a key (which also rules out a dict that holds itself as a key).
        if (key is List<object?> or PyDict) throw new PickleException($"unhashable dict key ({(key is PyDict ? "a dict" : "a list")})");
        var at = key == null ? _nullKey : _index.GetValueOrDefault(key, -1);
        if (at >= 0)
        {
            Entries[at] = new(key, value);
            return;
        }
        if (key == null) _nullKey = Entries.Count;
        else _index[key] = Entries.Count;
        Entries.Add(new(key, value));
    }
}

/// <summary>A tensor storage named by a persistent id: <c>('storage', torch.FloatStorage, key, location, numel)</c>.</summary>
internal sealed record StorageRef(string StorageType, string Key, string Location, long Numel);

/// <summary>The result of <c>torch._utils._rebuild_tensor_v2</c>: a view on a storage, not yet read.</summary>
internal sealed record TensorRef(StorageRef Storage, long StorageOffset, long[] Size, long[] Stride);

/// <summary>Raised for anything the pickle does that a plain <c>torch.save(tensor)</c> does not.</summary>
internal sealed class PickleException(string message) : Exception(message);

/// <summary>
/// A minimal pickle virtual machine: just the opcodes <c>torch.save(tensor)</c> emits (protocol 2, plus the few
/// protocol-4 framing/memo opcodes), and only a fixed allow-list of globals. It never runs code: REDUCE on an
/// allowed global is interpreted here, anything else is refused with a message naming it.
/// </summary>
internal sealed class PickleMachine
{
    private static readonly HashSet<string> StorageTypes = new(StringComparer.Ordinal)
    {
        "FloatStorage", "DoubleStorage", "HalfStorage", "BFloat16Storage", "LongStorage", "IntStorage",
        "ShortStorage", "CharStorage", "ByteStorage", "BoolStorage",
    };

    private static readonly object Mark = new();

    private readonly byte[] _data;
    private int _pos;
    private readonly List<object?> _stack = new();
    private readonly Stack<int> _marks = new();
    private readonly Dictionary<long, object?> _memo = new();

    private PickleMachine(byte[] data) => _data = data;

    /// <summary>Runs the pickle to STOP and returns the top of the stack.</summary>
    public static object? Run(byte[] pickle) => new PickleMachine(pickle).Execute();

    private object? Execute()
    {
        while (true)
        {
            if (_pos >= _data.Length) throw new PickleException($"pickle ends at byte {_pos} without STOP");
            var at = _pos;
            var op = _data[_pos++];
            switch (op)
            {
                case 0x80: ReadBytes(1); break; // PROTO
                case 0x95: ReadBytes(8); break; // FRAME: framing is only a hint; we hold all bytes already
                case (byte)'c': // GLOBAL
                {
                    var module = ReadLine();
                    var name = ReadLine();
                    Push(ResolveGlobal(module, name));
                    break;
                }
                case 0x93: // STACK_GLOBAL
                {
                    var name = Pop() as string ?? throw new PickleException("STACK_GLOBAL name is not a string");
                    var module = Pop() as string ?? throw new PickleException("STACK_GLOBAL module is not a string");
                    Push(ResolveGlobal(module, name));
                    break;
                }
                case (byte)'q': _memo[ReadBytes(1)[0]] = Peek(); break; // BINPUT
                case (byte)'r': _memo[BinaryPrimitives.ReadUInt32LittleEndian(ReadBytes(4))] = Peek(); break; // LONG_BINPUT
                case 0x94: _memo[_memo.Count] = Peek(); break; // MEMOIZE
                case (byte)'h': Push(MemoGet(ReadBytes(1)[0])); break; // BINGET
                case (byte)'j': Push(MemoGet(BinaryPrimitives.ReadUInt32LittleEndian(ReadBytes(4)))); break; // LONG_BINGET
                case (byte)'(': _marks.Push(_stack.Count); _stack.Add(Mark); break; // MARK
                case (byte)')': Push(new PyTuple([])); break; // EMPTY_TUPLE
                case (byte)'t': Push(new PyTuple(PopToMark().ToArray())); break; // TUPLE
                case 0x85: { var a = Pop(); Push(new PyTuple([a])); break; } // TUPLE1
                case 0x86: { var b = Pop(); var a = Pop(); Push(new PyTuple([a, b])); break; } // TUPLE2
                case 0x87: { var c = Pop(); var b = Pop(); var a = Pop(); Push(new PyTuple([a, b, c])); break; } // TUPLE3
                case (byte)'}': Push(new PyDict()); break; // EMPTY_DICT
                case (byte)']': Push(new List<object?>()); break; // EMPTY_LIST
                case (byte)'a': // APPEND
                {
                    var v = Pop();
                    AsList(Peek(), "APPEND").Add(v);
                    break;
                }
                case (byte)'e': // APPENDS
                {
                    var items = PopToMark();
                    AsList(Peek(), "APPENDS").AddRange(items);
                    break;
                }
                case (byte)'s': // SETITEM
                {
                    var v = Pop();
                    var k = Pop();
                    AsDict(Peek(), "SETITEM").Set(k, v);
                    break;
                }
                case (byte)'u': // SETITEMS
                {
                    var items = PopToMark();
                    if (items.Count % 2 != 0) throw new PickleException("SETITEMS with an odd number of items");
                    var d = AsDict(Peek(), "SETITEMS");
                    for (var i = 0; i < items.Count; i += 2) d.Set(items[i], items[i + 1]);
                    break;
                }
                case (byte)'J': Push((long)BinaryPrimitives.ReadInt32LittleEndian(ReadBytes(4))); break; // BININT
                case (byte)'K': Push((long)ReadBytes(1)[0]); break; // BININT1
                case (byte)'M': Push((long)BinaryPrimitives.ReadUInt16LittleEndian(ReadBytes(2))); break; // BININT2
                case 0x8a: Push(ReadLong(ReadBytes(1)[0])); break; // LONG1
                case 0x8b: // LONG4
                {
                    var n = BinaryPrimitives.ReadInt32LittleEndian(ReadBytes(4));
                    if (n < 0) throw new PickleException("LONG4 with a negative length");
                    Push(ReadLong(n));
                    break;
                }
                case (byte)'X': Push(Encoding.UTF8.GetString(ReadBytes(ReadLength4()))); break; // BINUNICODE
                case 0x8c: Push(Encoding.UTF8.GetString(ReadBytes(ReadBytes(1)[0]))); break; // SHORT_BINUNICODE
                case 0x8d: Push(Encoding.UTF8.GetString(ReadBytes(ReadLength8()))); break; // BINUNICODE8
                case (byte)'T': Push(Encoding.Latin1.GetString(ReadBytes(ReadLength4()))); break; // BINSTRING
                case (byte)'U': Push(Encoding.Latin1.GetString(ReadBytes(ReadBytes(1)[0]))); break; // SHORT_BINSTRING
                case (byte)'B': Push(ReadBytes(ReadLength4()).ToArray()); break; // BINBYTES
                case (byte)'C': Push(ReadBytes(ReadBytes(1)[0]).ToArray()); break; // SHORT_BINBYTES
                case 0x89: Push(false); break; // NEWFALSE
                case 0x88: Push(true); break; // NEWTRUE
                case (byte)'N': Push(null); break; // NONE
                case (byte)'G': Push(BinaryPrimitives.ReadDoubleBigEndian(ReadBytes(8))); break; // BINFLOAT
                case (byte)'Q': Push(PersistentLoad(Pop())); break; // BINPERSID
                case (byte)'R': // REDUCE
                {
                    var args = Pop() as PyTuple ?? throw new PickleException("REDUCE arguments are not a tuple");
                    var callable = Pop();
                    Push(Reduce(callable, args));
                    break;
                }
                case (byte)'b': // BUILD
                {
                    var state = Pop();
                    Build(Peek(), state);
                    break;
                }
                case (byte)'.': // STOP
                    if (_stack.Count == 0) throw new PickleException("STOP with an empty stack");
                    return Pop();
                default:
                    throw new PickleException($"unsupported pickle opcode 0x{op:x2} ('{(op is >= 0x20 and < 0x7f ? (char)op : '?')}') at byte {at}");
            }
        }
    }

    private static object ResolveGlobal(string module, string name)
    {
        var g = new PyGlobal(module, name);
        if (module == "torch._utils" && name is "_rebuild_tensor_v2" or "_rebuild_tensor") return g;
        if (module == "collections" && name == "OrderedDict") return g;
        if (module == "torch" && StorageTypes.Contains(name)) return g;
        if (module == "torch" && name.EndsWith("Storage", StringComparison.Ordinal))
            throw new PickleException($"unsupported storage type {g}");
        throw new PickleException($"unsupported Python global {g} (only a plain tensor is supported)");
    }

    private static object? PersistentLoad(object? pid)
    {
        if (pid is not PyTuple { Items: var t } || t.Length < 5 || t[0] is not "storage")
            throw new PickleException($"unsupported persistent id {Describe(pid)} (expected ('storage', type, key, location, numel))");
        if (t[1] is not PyGlobal storageType) throw new PickleException($"storage type is {Describe(t[1])}, not a torch storage class");
        if (t[2] is not string key) throw new PickleException($"storage key is {Describe(t[2])}, not a string");
        var location = t[3] as string ?? "";
        if (t[4] is not long numel || numel < 0) throw new PickleException($"storage size is {Describe(t[4])}, not a count");
        return new StorageRef(storageType.Name, key, location, numel);
    }

    private static object? Reduce(object? callable, PyTuple args)
    {
        if (callable is not PyGlobal g) throw new PickleException($"REDUCE on {Describe(callable)}, not a global");
        var a = args.Items;
        switch (g.ToString())
        {
            case "collections.OrderedDict":
            {
                var d = new PyDict();
                if (a.Length == 0) return d;
                if (a.Length == 1 && a[0] is List<object?> pairs)
                {
                    foreach (var p in pairs)
                    {
                        if (p is not PyTuple { Items.Length: 2 } kv) throw new PickleException("OrderedDict item is not a pair");
                        d.Set(kv.Items[0], kv.Items[1]);
                    }
                    return d;
                }
                throw new PickleException($"OrderedDict called with {a.Length} arguments");
            }
            case "torch._utils._rebuild_tensor_v2":
            case "torch._utils._rebuild_tensor":
            {
                if (a.Length < 4) throw new PickleException($"{g} called with {a.Length} arguments, expected at least 4");
                if (a[0] is not StorageRef storage) throw new PickleException($"{g}: first argument is {Describe(a[0])}, not a storage");
                if (a[1] is not long offset) throw new PickleException($"{g}: storage offset is {Describe(a[1])}");
                var size = LongTuple(a[2], g, "size");
                var stride = LongTuple(a[3], g, "stride");
                if (size.Length != stride.Length)
                    throw new PickleException($"{g}: size has {size.Length} dimensions but stride has {stride.Length}");
                if (a.Length >= 6 && a[5] is PyDict { Entries.Count: > 0 })
                    throw new PickleException($"{g}: tensor has backward hooks, which are not supported");
                return new TensorRef(storage, offset, size, stride);
            }
            default:
                throw new PickleException($"cannot call {g}");
        }
    }

    private static void Build(object? target, object? state)
    {
        switch (target)
        {
            case PyDict d when state is PyDict s:
                foreach (var kv in s.Entries) d.Set(kv.Key, kv.Value);
                return;
            case TensorRef when state is null || state is PyDict { Entries.Count: 0 }:
                return;
            default:
                throw new PickleException($"BUILD on {Describe(target)} with state {Describe(state)} is not supported");
        }
    }

    private static long[] LongTuple(object? o, PyGlobal g, string what)
    {
        if (o is not PyTuple t) throw new PickleException($"{g}: {what} is {Describe(o)}, not a tuple");
        var r = new long[t.Items.Length];
        for (var i = 0; i < r.Length; i++)
            r[i] = t.Items[i] is long v ? v : throw new PickleException($"{g}: {what}[{i}] is {Describe(t.Items[i])}, not an integer");
        return r;
    }

    /// <summary>A short description of a pickled value for error messages.</summary>
    public static string Describe(object? o) => o switch
    {
        null => "None",
        string s => $"str '{(s.Length > 40 ? s[..40] + "..." : s)}'",
        long l => $"int {l}",
        double d => $"float {d}",
        bool b => b ? "True" : "False",
        byte[] b => $"bytes[{b.Length}]",
        PyTuple t => $"a tuple of {t.Items.Length} items",
        List<object?> l => $"a list of {l.Count} items",
        PyDict d => $"a dict with {d.Entries.Count} entries (keys: {string.Join(", ", d.Entries.Take(8).Select(e => Describe(e.Key)))}{(d.Entries.Count > 8 ? ", ..." : "")})",
        PyGlobal g => $"global {g}",
        StorageRef s => $"a bare {s.StorageType}",
        TensorRef => "a tensor",
        _ => o.GetType().Name,
    };

    private static List<object?> AsList(object? o, string op) =>
        o as List<object?> ?? throw new PickleException($"{op} on {Describe(o)}, not a list");

    private static PyDict AsDict(object? o, string op) =>
        o as PyDict ?? throw new PickleException($"{op} on {Describe(o)}, not a dict");

    private object? MemoGet(long key) =>
        _memo.TryGetValue(key, out var v) ? v : throw new PickleException($"memo key {key} read before it was written");

    private void Push(object? o) => _stack.Add(o);

    private object? Peek()
    {
        if (_stack.Count == 0 || ReferenceEquals(_stack[^1], Mark)) throw new PickleException($"stack underflow at byte {_pos}");
        return _stack[^1];
    }

    private object? Pop()
    {
        var v = Peek();
        _stack.RemoveAt(_stack.Count - 1);
        return v;
    }

    private List<object?> PopToMark()
    {
        if (_marks.Count == 0) throw new PickleException($"no MARK on the stack at byte {_pos}");
        var m = _marks.Pop();
        var items = _stack.GetRange(m + 1, _stack.Count - m - 1);
        _stack.RemoveRange(m, _stack.Count - m);
        return items;
    }

    private ReadOnlySpan<byte> ReadBytes(long n)
    {
        if (n < 0 || n > _data.Length - _pos) throw new PickleException($"pickle truncated: wanted {n} bytes at byte {_pos} of {_data.Length}");
        var s = _data.AsSpan(_pos, (int)n);
        _pos += (int)n;
        return s;
    }

    private int ReadLength4()
    {
        var n = BinaryPrimitives.ReadUInt32LittleEndian(ReadBytes(4));
        return n > int.MaxValue ? throw new PickleException("string length too large") : (int)n;
    }

    private long ReadLength8()
    {
        var n = BinaryPrimitives.ReadUInt64LittleEndian(ReadBytes(8));
        return n > int.MaxValue ? throw new PickleException("string length too large") : (long)n;
    }

    private string ReadLine()
    {
        var end = Array.IndexOf(_data, (byte)'\n', _pos);
        if (end < 0) throw new PickleException($"pickle truncated: no newline after byte {_pos}");
        var s = Encoding.UTF8.GetString(_data, _pos, end - _pos);
        _pos = end + 1;
        return s;
    }

    private object ReadLong(int n)
    {
        if (n == 0) return 0L;
        var bytes = ReadBytes(n);
        var big = new BigInteger(bytes, isUnsigned: false, isBigEndian: false);
        if (big < long.MinValue || big > long.MaxValue) throw new PickleException($"integer {big} does not fit 64 bits");
        return (long)big;
    }
}
