using System.Numerics;

namespace VgtData.Config.Import;

/// <summary>
/// What one import may build: the total size of the values it makes (strings, lists, dicts, integers) and of the JSON
/// it writes from them, counted cumulatively, so no chain of small steps (<c>b = a * 1000</c>, <c>a2 = a1 + a1</c>,
/// <c>[a, a]</c> written out) grows past it. A config needs kilobytes; the first charge over the limit stops the
/// import with the file and line that made it.
/// </summary>
internal sealed class PyBudget(long limit = PyBudget.DefaultLimit)
{
    /// <summary>64 MiB: thousands of times what a real data config builds, and a bounded cost for any input.</summary>
    public const long DefaultLimit = 64L << 20;

    /// <summary>Approximate bytes: a string's characters, a reference per list item, a dict entry, an object header.</summary>
    public const long Reference = 8, Entry = 48, Header = 32;

    private long _used;

    public long Limit { get; } = limit;
    public long Used => _used;

    /// <summary>Adds <paramref name="bytes"/> (saturating: a size too large for a long is over any limit).</summary>
    public void Charge(double bytes, string file, int line, string what)
    {
        if (bytes <= Limit - _used)
        {
            _used += (long)bytes;
            return;
        }
        throw new PyLimitException(file, line,
            $"{what} would take the values this import builds past {Limit >> 20} MiB (a data config needs far less)");
    }

    public static double OfString(double length) => Header + 2 * length;

    public static double OfList(double count) => Header + Reference * count;
}

/// <summary>An input the importer refuses to evaluate because of its size or depth, with the place that asked for it.</summary>
internal sealed class PyLimitException(string file, int line, string message) : VgtDataException($"{file}:{line}: {message}");

/// <summary>
/// Python's integers: a <see cref="long"/> while the value fits, else a <see cref="BigInteger"/>; never a wrap. Values
/// past <see cref="MaxBits"/> are refused, which keeps every operation on them cheap and every value writable
/// (Python itself refuses to print an int over 4,300 digits).
/// </summary>
internal static class PyInt
{
    /// <summary>About 4,200 decimal digits.</summary>
    public const int MaxBits = 14_000;

    public static object Normal(BigInteger v) => v >= long.MinValue && v <= long.MaxValue ? (long)v : v;

    public static bool Is(object? o, out BigInteger v)
    {
        switch (o)
        {
            case long l: v = l; return true;
            case BigInteger b: v = b; return true;
            default: v = default; return false;
        }
    }

    /// <summary>The value, refused when it has more than <see cref="MaxBits"/> bits.</summary>
    public static object Checked(BigInteger v, string file, int line)
    {
        if (v.GetBitLength() > MaxBits) throw TooLarge(file, line);
        return Normal(v);
    }

    public static PyLimitException TooLarge(string file, int line) =>
        new(file, line, $"an integer of more than {MaxBits:N0} bits (about 4,200 digits): not a config value");
}
