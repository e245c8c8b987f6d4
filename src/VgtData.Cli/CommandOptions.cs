using System.Reflection;

namespace VgtData.Cli;

/// <summary>An option that takes a value. <paramref name="defaultValue"/> is shown by --help; null marks it required.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true)]
public sealed class OptionAttribute(string name, string value, string? defaultValue, string help) : Attribute
{
    public string Name { get; } = name;
    public string Value { get; } = value;
    public string? Default { get; } = defaultValue;
    public string Help { get; } = help;
    /// <summary>Given more than once, every value counts (<c>--set</c>, <c>--input</c>).</summary>
    public bool Repeatable { get; init; }
}

/// <summary>A boolean option: present or not, it takes no value.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true)]
public sealed class FlagAttribute(string name, string help) : Attribute
{
    public string Name { get; } = name;
    public string Help { get; } = help;
}

/// <summary>
/// A command's options, read from its <see cref="OptionAttribute"/> and <see cref="FlagAttribute"/> list: the one table
/// that both the parser (<see cref="CommandArgs"/>) and the help text use, so neither can list what the other lacks.
/// </summary>
public sealed class CommandOptions
{
    private CommandOptions(IReadOnlyList<OptionAttribute> options, IReadOnlyList<FlagAttribute> flags)
    {
        Options = options;
        Flags = flags;
    }

    public IReadOnlyList<OptionAttribute> Options { get; }
    public IReadOnlyList<FlagAttribute> Flags { get; }

    public IEnumerable<string> Names => Options.Select(o => o.Name).Concat(Flags.Select(f => f.Name));

    public bool IsFlag(string name) => Flags.Any(f => f.Name == name);

    public bool Declares(string name) => Options.Any(o => o.Name == name) || IsFlag(name);

    public static CommandOptions For(ICommand command)
    {
        var type = command.GetType();
        var options = type.GetCustomAttributes<OptionAttribute>().ToList();
        var flags = type.GetCustomAttributes<FlagAttribute>().ToList();
        var duplicate = options.Select(o => o.Name).Concat(flags.Select(f => f.Name)).GroupBy(n => n).FirstOrDefault(g => g.Count() > 1);
        if (duplicate != null) throw new InvalidOperationException($"{type.Name} declares --{duplicate.Key} twice");
        return new CommandOptions(options, flags);
    }

    /// <summary>The --help text: usage line, summary, then every option with its value, default and meaning.</summary>
    public static string Help(ICommand command)
    {
        var spec = For(command);
        var rows = new List<(string Left, string Right)>();
        foreach (var o in spec.Options)
        {
            var tail = o.Default is null ? "required" : $"default: {o.Default}";
            if (o.Repeatable) tail += "; repeatable";
            rows.Add(($"--{o.Name} {o.Value}", $"{o.Help} ({tail})"));
        }
        foreach (var f in spec.Flags) rows.Add(($"--{f.Name}", $"{f.Help} (default: off)"));
        rows.Add(("-h, --help", "show this help"));
        int width = rows.Max(r => r.Left.Length) + 2;
        var lines = new List<string> { $"usage: vgtdata {command.Usage}", "", command.Summary, "", "options:" };
        foreach (var (left, right) in rows)
        {
            var wrapped = Wrap(right, Math.Max(40, HelpWidth - 2 - width));
            lines.Add($"  {left.PadRight(width)}{wrapped[0]}");
            lines.AddRange(wrapped.Skip(1).Select(w => new string(' ', 2 + width) + w));
        }
        return string.Join("\n", lines);
    }

    /// <summary>Columns --help wraps its option descriptions at.</summary>
    public const int HelpWidth = 110;

    private static List<string> Wrap(string text, int width)
    {
        var lines = new List<string>();
        var line = new System.Text.StringBuilder();
        foreach (var word in text.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            if (line.Length > 0 && line.Length + 1 + word.Length > width)
            {
                lines.Add(line.ToString());
                line.Clear();
            }
            if (line.Length > 0) line.Append(' ');
            line.Append(word);
        }
        lines.Add(line.ToString());
        return lines;
    }
}
