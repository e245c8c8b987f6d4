using VgtData.Cli;

namespace VgtData.Tests.Config;

/// <summary>A temp folder for config files, deleted on dispose, and the <c>vgtdata config</c> command run in-process.</summary>
internal sealed class ConfigDir : IDisposable
{
    public ConfigDir() => Root = Directory.CreateTempSubdirectory("vgtdata-config-test-").FullName;

    public string Root { get; }

    /// <summary>Writes <paramref name="json"/> to <paramref name="relative"/> (folders created) and returns the full path.</summary>
    public string Write(string relative, string json)
    {
        var path = Path.Combine(Root, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, json);
        return path;
    }

    public void Dispose()
    {
        try { Directory.Delete(Root, recursive: true); } catch (IOException) { }
    }

    public static (int Code, string Out, string Error) Cli(params string[] args) => Fixtures.CliRun.Run(args);
}
