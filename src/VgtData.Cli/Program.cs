using System.Reflection;

namespace VgtData.Cli;

public static class Program
{
    /// <summary>Exit code of an unexpected exception (BSD sysexits' EX_SOFTWARE): a bug to report, not bad input.</summary>
    public const int InternalErrorExit = 70;

    /// <summary>Exit code when another prepare/extract/upload run holds the folder (BSD sysexits' EX_TEMPFAIL: try again later).</summary>
    public const int RootLockedExit = 75;

    public static int Main(string[] args) => Run(args, new CliContext());

    public static IReadOnlyList<ICommand> Commands { get; } = typeof(Program).Assembly.GetTypes()
        .Where(t => typeof(ICommand).IsAssignableFrom(t) && t is { IsAbstract: false, IsInterface: false })
        .Select(t => (ICommand)Activator.CreateInstance(t)!)
        .OrderBy(c => c.Name, StringComparer.Ordinal)
        .ToList();

    /// <summary>The package version (the assembly's informational version without its +commit suffix).</summary>
    public static string Version { get; } = ReadVersion();

    public static int Run(string[] args, CliContext context) => Run(args, context, Commands);

    /// <summary>Runs one verb. Every failure ends here as one line on stderr and an exit code from 1 to 125.</summary>
    public static int Run(string[] args, CliContext context, IReadOnlyList<ICommand> commands)
    {
        if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
        {
            context.Out.WriteLine("usage: vgtdata COMMAND [ARGS]   (vgtdata COMMAND --help for its options)\n\ncommands:");
            foreach (var c in commands) context.Out.WriteLine($"  {c.Name,-10} {c.Summary}");
            context.Out.WriteLine("\n  --version  print the version\n  --help     show this help");
            return args.Length == 0 ? 2 : 0;
        }
        if (args[0] is "--version" or "version")
        {
            context.Out.WriteLine($"vgtdata {Version}");
            return 0;
        }
        var command = commands.FirstOrDefault(c => c.Name == args[0]);
        if (command is null)
        {
            context.Error.WriteLine($"vgtdata: unknown command '{OneLine(args[0])}' (try: vgtdata help)");
            return 2;
        }
        try
        {
            if (args.Skip(1).TakeWhile(a => a != "--").Any(a => a is "-h" or "--help"))
            {
                context.Out.WriteLine(CommandOptions.Help(command));
                return 0;
            }
            return command.Run(new CommandArgs(args.Skip(1), CommandOptions.For(command)), context);
        }
        catch (Exception e)
        {
            var (code, message) = Describe(Unwrap(e));
            try
            {
                context.Out.Flush();
            }
            catch (IOException) { }   // stdout may be a closed pipe: the error line still goes to stderr
            context.Error.WriteLine($"vgtdata {command.Name}: {OneLine(message)}" +
                (code == 2 ? $" (see: vgtdata {command.Name} --help)" : ""));
            return code;
        }
    }

    /// <summary>Exit code and message for an exception that reached the command boundary.</summary>
    private static (int Code, string Message) Describe(Exception e) => e switch
    {
        UsageException => (2, e.Message),
        VgtData.Preparation.RootLockedException => (RootLockedExit, e.Message),
        VgtDataException => (1, e.Message),
        // An object or listing that could not be read: its address, then why.
        VgtData.Storage.S3ReadException s3 => (1, $"{s3.Address}: {e.Message}"),
        // Files the user named that cannot be read or written: the system's reason is the clearest one there is.
        UnauthorizedAccessException or IOException => (1, e.Message),
        OutOfMemoryException or InsufficientExecutionStackException => (1, $"{e.GetType().Name}: {e.Message}"),
        _ => (InternalErrorExit, $"internal error: {e.GetType().Name}: {e.Message}" +
            (e.InnerException is { } inner ? $" ({inner.GetType().Name}: {inner.Message})" : "")),
    };

    private static Exception Unwrap(Exception e)
    {
        while (true)
        {
            if (e is AggregateException { InnerExceptions.Count: 1 } a) e = a.InnerExceptions[0];
            else if (e is TargetInvocationException { InnerException: { } inner }) e = inner;
            else return e;
        }
    }

    /// <summary>Multi-line messages (a config's list of issues, .NET's "Actual value was") joined into one line; control
    /// characters from outside text (a server's error body, a file name) escaped.</summary>
    private static string OneLine(string message) =>
        VgtData.MessageText.Escape(string.Join("; ", message.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)));

    private static string ReadVersion()
    {
        var info = typeof(Program).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
            ?? typeof(Program).Assembly.GetName().Version?.ToString() ?? "unknown";
        int plus = info.IndexOf('+');
        return plus >= 0 ? info[..plus] : info;
    }
}
