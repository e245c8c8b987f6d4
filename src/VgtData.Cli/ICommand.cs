namespace VgtData.Cli;

/// <summary>One verb of the vgtdata command. Each lives in its own file under Commands/ and is found by reflection.</summary>
public interface ICommand
{
    string Name { get; }
    string Summary { get; }
    string Usage { get; }
    int Run(CommandArgs args, CliContext context);
}

/// <summary>Streams a command writes to; tests swap them for StringWriters.</summary>
public sealed class CliContext
{
    public TextReader In { get; init; } = Console.In;
    public TextWriter Out { get; init; } = Console.Out;
    public TextWriter Error { get; init; } = Console.Error;
    public bool IsTerminal { get; init; } = !Console.IsErrorRedirected && Environment.GetEnvironmentVariable("CI") is null;
}

/// <summary>A usage error: printed with the command's usage, exit code 2.</summary>
public sealed class UsageException(string message) : Exception(message);
