using VgtData.Cli;

namespace VgtData.Tests.Fixtures;

/// <summary>Runs the vgtdata CLI in-process with captured stdout and stderr and no stdin, as the tests of every verb do.</summary>
internal static class CliRun
{
    public static (int Code, string Out, string Error) Run(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int code = Program.Run(args, new CliContext { Out = output, Error = error, In = new StringReader(""), IsTerminal = false });
        return (code, output.ToString(), error.ToString());
    }
}
