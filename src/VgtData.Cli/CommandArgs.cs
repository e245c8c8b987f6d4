using System.Globalization;

namespace VgtData.Cli;

/// <summary>GNU-style arguments: positionals, <c>--name value</c>, <c>--name=value</c>, flags, and repeatable options.</summary>
public sealed class CommandArgs
{
    private readonly Dictionary<string, List<string>> _options = new(StringComparer.Ordinal);
    private readonly HashSet<string> _flags = new(StringComparer.Ordinal);
    private readonly HashSet<string> _used = new(StringComparer.Ordinal);
    private readonly CommandOptions _spec;

    /// <summary>Parses <paramref name="args"/> against the command's declared options: anything else is refused here.</summary>
    public CommandArgs(IEnumerable<string> args, CommandOptions spec)
    {
        _spec = spec;
        var list = args.ToList();
        for (int i = 0; i < list.Count; i++)
        {
            var a = list[i];
            if (a == "--") { Positionals.AddRange(list.Skip(i + 1)); break; }
            if (a.StartsWith("--", StringComparison.Ordinal) && a.Length > 2)
            {
                var name = a[2..];
                string? value = null;
                int eq = name.IndexOf('=');
                if (eq >= 0) { value = name[(eq + 1)..]; name = name[..eq]; }
                if (!spec.Declares(name)) throw new UsageException($"unknown option --{name}");
                if (spec.IsFlag(name))
                {
                    if (value is not null) throw new UsageException($"option --{name} takes no value");
                    _flags.Add(name);
                    continue;
                }
                if (value is null)
                {
                    if (i + 1 >= list.Count) throw new UsageException($"option --{name} needs a value");
                    value = list[++i];
                }
                if (!_options.TryGetValue(name, out var values)) _options[name] = values = new List<string>();
                values.Add(value);
            }
            else Positionals.Add(a);
        }
    }

    public List<string> Positionals { get; } = new();

    public bool Flag(string name) { Use(name); return _flags.Contains(name); }

    public string? Option(string name)
    {
        Use(name);
        return _options.TryGetValue(name, out var v) ? v[^1] : null;
    }

    public IReadOnlyList<string> Options(string name)
    {
        Use(name);
        return _options.TryGetValue(name, out var v) ? v : Array.Empty<string>();
    }

    // Reading an option the command does not declare is a bug in the command: its --help would not list it.
    private void Use(string name)
    {
        if (!_spec.Declares(name)) throw new InvalidOperationException($"the command reads --{name} but does not declare it");
        _used.Add(name);
    }

    public string Required(string name) => Option(name) ?? throw new UsageException($"--{name} is required");

    public int Int(string name, int fallback)
    {
        var s = Option(name);
        if (s is null) return fallback;
        return int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v)
            ? v : throw new UsageException($"--{name} expects an integer, got '{s}'");
    }

    public long Long(string name, long fallback)
    {
        var s = Option(name);
        if (s is null) return fallback;
        return long.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v)
            ? v : throw new UsageException($"--{name} expects an integer, got '{s}'");
    }

    public string Positional(int i, string what) =>
        i < Positionals.Count ? Positionals[i] : throw new UsageException($"missing {what}");

    /// <summary>Call after reading every option: an option given but never read by the command is refused.</summary>
    public void RejectUnknown()
    {
        foreach (var name in _options.Keys.Concat(_flags))
            if (!_used.Contains(name)) throw new UsageException($"unknown option --{name}");
    }
}
