using System.Diagnostics;
using VgtData.Sources;
using VgtData.Tests.Fixtures;

namespace VgtData.Tests.Sources;

/// <summary>Only regular files are read; every other kind of path is refused by its type, with its own reason, at once.</summary>
public sealed class FolderImageSourceTests : IDisposable
{
    private readonly TestImages _dir = new();

    public void Dispose() => _dir.Dispose();

    private static SampleException Refused(Func<object> read)
    {
        // Run apart with a deadline: a FIFO opened the ordinary way would block here forever.
        var task = Task.Run(read);
        Assert.True(Task.WhenAny(task, Task.Delay(TimeSpan.FromSeconds(2))).Result == task, "reading did not return within 2 s (hang)");
        return Assert.Throws<SampleException>(() => task.GetAwaiter().GetResult());
    }

    [Fact]
    public void ReadsARegularFileWhole()
    {
        var bytes = Enumerable.Range(0, 100_000).Select(i => (byte)(i * 7)).ToArray();
        _dir.WriteBytes("a.bin", bytes);
        using var source = new FolderImageSource(_dir.Root);
        using var read = source.Read("a.bin");
        Assert.Equal(bytes, read.Span.ToArray());
    }

    [Fact]
    public void MissingFileIsMissing()
    {
        using var source = new FolderImageSource(_dir.Root);
        var e = Refused(() => source.Read("nope.png"));
        Assert.Equal(SampleFailureReason.MissingFile, e.Reason);
        Assert.Equal("no such file", e.Detail);
    }

    [Fact]
    public void DirectoryIsNotAFile()
    {
        Directory.CreateDirectory(_dir.PathOf("folder.png"));
        using var source = new FolderImageSource(_dir.Root);
        var e = Refused(() => source.Read("folder.png"));
        Assert.Equal(SampleFailureReason.NotAFile, e.Reason);
        Assert.Equal("is a directory", e.Detail);
        Assert.Contains("not a regular file: is a directory", e.Message);
    }

    [SkippableFact]
    public void FifoIsRefusedWithoutWaitingForAWriter()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "FIFOs are made with mkfifo here");
        var fifo = _dir.PathOf("pipe.png");
        using (var p = Process.Start(new ProcessStartInfo("mkfifo", [fifo]) { UseShellExecute = false })!) p.WaitForExit();
        Skip.IfNot(File.Exists(fifo), "mkfifo is not available");
        using var source = new FolderImageSource(_dir.Root);
        var e = Refused(() => source.Read("pipe.png"));
        Assert.Equal(SampleFailureReason.NotAFile, e.Reason);
        Assert.Equal("is a FIFO (named pipe)", e.Detail);
    }

    [SkippableFact]
    public void DeviceIsRefused()
    {
        Skip.IfNot(File.Exists("/dev/null"), "no /dev/null");
        using var source = new FolderImageSource("/dev");
        var e = Refused(() => source.Read("null"));
        Assert.Equal(SampleFailureReason.NotAFile, e.Reason);
        Assert.Equal("is a character device", e.Detail);
    }

    [Fact]
    public void FileOverTheLimitIsRefusedBeforeItIsRead()
    {
        _dir.WriteBytes("big.png", new byte[5000]);
        using var source = new FolderImageSource(_dir.Root, maxFileBytes: 4096);
        var e = Refused(() => source.Read("big.png"));
        Assert.Equal(SampleFailureReason.FileTooLarge, e.Reason);
        Assert.Contains("5000 bytes, over the limit of 4096", e.Detail);
        using var roomy = new FolderImageSource(_dir.Root, maxFileBytes: 5000);
        using var read = roomy.Read("big.png");
        Assert.Equal(5000, read.Length);
    }
}
