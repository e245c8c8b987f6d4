using System.Reflection;

namespace VgtData.Cli;

public static class Program
{
    public static int Main(string[] args) => Run(args, new CliContext());

    public static IReadOnlyList<ICommand> Commands { get; } = typeof(Program).Assembly.GetTypes()
        .Where(t => typeof(ICommand).IsAssignableFrom(t) && t is { IsAbstract: false, IsInterface: false })
        .Select(t => (ICommand)Activator.CreateInstance(t)!)
        .OrderBy(c => c.Name, StringComparer.Ordinal)
        .ToList();

    public static int Run(string[] args, CliContext context)
    {
        if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
        {
            context.Out.WriteLine("usage: vgtdata COMMAND [ARGS]\n\ncommands:");
            foreach (var c in Commands) context.Out.WriteLine($"  {c.Name,-10} {c.Summary}");
            return args.Length == 0 ? 2 : 0;
        }
        var command = Commands.FirstOrDefault(c => c.Name == args[0]);
        if (command is null)
        {
            context.Error.WriteLine($"vgtdata: unknown command '{args[0]}' (try: vgtdata help)");
            return 2;
        }
        if (args.Skip(1).Any(a => a is "-h" or "--help"))
        {
            context.Out.WriteLine($"usage: vgtdata {command.Usage}\n\n{command.Summary}");
            return 0;
        }
        try
        {
            return command.Run(new CommandArgs(args.Skip(1), FlagNames(command)), context);
        }
        catch (UsageException e)
        {
            context.Error.WriteLine($"vgtdata {command.Name}: {e.Message}\nusage: vgtdata {command.Usage}");
            return 2;
        }
        catch (VgtDataException e)
        {
            context.Error.WriteLine($"vgtdata {command.Name}: {e.Message}");
            return 1;
        }
    }

    private static IEnumerable<string> FlagNames(ICommand command) =>
        command.GetType().GetCustomAttributes<FlagsAttribute>().SelectMany(a => a.Names);
}

/// <summary>Names the command's boolean options (they take no value).</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true)]
public sealed class FlagsAttribute(params string[] names) : Attribute
{
    public string[] Names { get; } = names;
}
