using System.Diagnostics;
using VgtData.Tests.Sources;
using TestPng = VgtData.Tests.Validation.Images;
using VgtData.Storage;

namespace VgtData.Tests.Validation;

/// <summary>
/// <c>validate --write-clean TARGET</c> writes a temporary file beside the target and renames it only over a regular
/// file or a missing name. Before, a character device (as root: /dev/null) or a FIFO at the target became a regular file.
/// </summary>
public sealed class WriteCleanTargetTests : IDisposable
{
    private readonly TempDataset _tree = new();
    private readonly string _config;

    public WriteCleanTargetTests()
    {
        _tree.WriteFile("img/a.png", TestPng.Png(100, 100));
        _tree.WriteText("data.json", """[{"image": "img/a.png", "caption": "a square"}]""");
        _config = _tree.Config();
    }

    public void Dispose() => _tree.Dispose();

    private static void AssertRefused((int Code, string Out, string Err) result, string target, string what)
    {
        Assert.Equal(1, result.Code);
        Assert.Equal([$"vgtdata validate: {target}: cannot write the clean manifest: {what}; only a regular file or a new name is replaced"],
            result.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => l.StartsWith("vgtdata", StringComparison.Ordinal)));
    }

    /// <summary>Nothing but the dataset's own files (its entry index too) and <paramref name="target"/> is left in the
    /// folder (no temporary).</summary>
    private void AssertNoTemporary(params string[] expected) =>
        Assert.Equal(expected.Append("config.json").Append("data.json").Order(StringComparer.Ordinal),
            Directory.EnumerateFileSystemEntries(_tree.Root).Select(Path.GetFileName)
                .Where(n => n != "img" && !n!.EndsWith(VgtData.Manifests.EntryIndex.Extension, StringComparison.Ordinal)).Order(StringComparer.Ordinal));

    [SkippableFact]
    public void ACharacterDeviceStaysADevice()
    {
        Skip.IfNot(OperatingSystem.IsLinux() && Environment.UserName == "root", "making a device node needs root");
        var device = _tree.PathOf("device");
        using (var p = Process.Start(new ProcessStartInfo("mknod", [device, "c", "1", "3"]) { UseShellExecute = false })!) p.WaitForExit();
        Skip.IfNot(File.Exists(device), "mknod is not available");
        AssertRefused(InputFileTests.RunBounded("validate", _config, "--write-clean", device), device, "is a character device");
        Assert.Equal(VgtData.Storage.PathType.Other, VgtData.Storage.RegularFile.Examine(device, out var what));
        Assert.Equal("is a character device", what);
        AssertNoTemporary("device");
    }

    [SkippableFact]
    public void AFifoStaysAFifo()
    {
        var fifo = InputFileTests.MakeFifo(_tree.PathOf("pipe"));
        AssertRefused(InputFileTests.RunBounded("validate", _config, "--write-clean", fifo), fifo, "is a FIFO (named pipe)");
        Assert.Equal(VgtData.Storage.PathType.Other, VgtData.Storage.RegularFile.Examine(fifo, out _));
        AssertNoTemporary("pipe");
    }

    [Fact]
    public void ASymbolicLinkIsNotReplaced()
    {
        var elsewhere = _tree.PathOf("img/elsewhere.json");
        File.WriteAllText(elsewhere, "keep");
        var link = _tree.PathOf("clean.json");
        File.CreateSymbolicLink(link, elsewhere);
        AssertRefused(InputFileTests.RunBounded("validate", _config, "--write-clean", link), link, "is a symbolic link");
        Assert.Equal("keep", File.ReadAllText(elsewhere));
        AssertNoTemporary("clean.json");
    }

    [Fact]
    public void AFolderIsRefused()
    {
        var folder = _tree.PathOf("clean.json");
        Directory.CreateDirectory(folder);
        AssertRefused(InputFileTests.RunBounded("validate", _config, "--write-clean", folder), folder, "is a directory");
    }

    [Fact]
    public void ARegularFileOrANewNameIsWritten()
    {
        var existing = _tree.PathOf("clean.json");
        File.WriteAllText(existing, "old");
        var result = InputFileTests.RunBounded("validate", _config, "--write-clean", existing);
        Assert.True(result.Code == 0, result.Err);
        Assert.Equal("[\n  {\"image\":\"img/a.png\",\"caption\":\"a square\"}\n]\n", File.ReadAllText(existing));
        var fresh = _tree.PathOf("fresh.json");
        Assert.Equal(0, InputFileTests.RunBounded("validate", _config, "--write-clean", fresh).Code);
        Assert.Equal(File.ReadAllText(existing), File.ReadAllText(fresh));
        AssertNoTemporary("clean.json", "fresh.json");
    }
}
