using VgtData.Cli;
using VgtData.Storage;
using VgtData.Upload;
using VgtData.Tests.Sources;

namespace VgtData.Tests.Storage;

/// <summary>
/// What an upload walks: regular files under the root, nothing else. Before, a FIFO under the root hung the upload at
/// 10 of 11 files, a symlink to /etc/hostname was uploaded, and a folder symlink loop uploaded 53 junk objects. Now links
/// are never followed, links and FIFOs are skipped and listed (in the report and one line), and the walk cannot loop.
/// </summary>
public sealed class S3UploadWalkTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("vgtdata-s3-walk-").FullName;
    private S3TestServer? _server;

    public void Dispose()
    {
        _server?.Dispose();
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { }
    }

    private S3TestServer Server => _server ??= S3TestServer.StartOrSkip();

    /// <summary>10 regular files (and a part stamp of prepare's), a FIFO, a link to a file outside the root, a folder link back up (a loop).</summary>
    private string HostileFolder()
    {
        var local = Path.Combine(_root, "ds");
        Directory.CreateDirectory(Path.Combine(local, "sub"));
        for (int i = 0; i < 9; i++) File.WriteAllText(Path.Combine(local, $"f{i}.txt"), $"file {i}");
        File.WriteAllText(Path.Combine(local, "sub", "inner.txt"), "inner");
        // prepare --extract's part stamps are the tool's own state, like the upload journal: never uploaded.
        Directory.CreateDirectory(Path.Combine(local, ".vgtdata-prepare", "raw"));
        File.WriteAllText(Path.Combine(local, ".vgtdata-prepare", "raw", "00000.tar.json"), "{}");
        InputFileTests.MakeFifo(Path.Combine(local, "zz.fifo"));
        var outside = Path.Combine(_root, "outside-secret.txt");
        File.WriteAllText(outside, "not for upload");
        File.CreateSymbolicLink(Path.Combine(local, "secret.txt"), outside);
        Directory.CreateSymbolicLink(Path.Combine(local, "sub", "loop"), "..");
        return local;
    }

    private static readonly SkippedEntry[] ExpectedSkips =
    [
        new("secret.txt", "is a symbolic link"), new("sub/loop", "is a symbolic link"), new("zz.fifo", "is a FIFO (named pipe)"),
    ];

    private static readonly string[] ExpectedKeys =
        ["f0.txt", "f1.txt", "f2.txt", "f3.txt", "f4.txt", "f5.txt", "f6.txt", "f7.txt", "f8.txt", "sub/inner.txt"];

    [SkippableFact]
    public void OnlyRegularFilesGoUpAndTheRestIsReported()
    {
        var local = HostileFolder();
        using var store = new S3Store(Server.Settings());
        store.EnsureBucket("vgt");
        var run = Task.Run(() => S3Uploader.UploadAsync(store, local, S3Location.Parse("s3://vgt/walk"), new UploadOptions { Concurrency = 2 }));
        Assert.True(run.Wait(TimeSpan.FromSeconds(120)), "the upload did not end (hang)");
        var report = run.Result;
        Assert.Equal(ExpectedSkips, report.NotUploaded);
        Assert.Equal(10, report.Files);
        Assert.Equal(10, report.Uploaded);
        Assert.Equal(ExpectedKeys, store.List(S3Location.Parse("s3://vgt/walk/")).Select(o => o.Key["walk/".Length..]).Order(StringComparer.Ordinal));
        Assert.False(File.Exists(Path.Combine(local, VgtData.Preparation.RootLock.FileName)), "the lock file was left behind");
    }

    [SkippableFact]
    public void TheCliPrintsOneLineForWhatWasSkipped()
    {
        var local = HostileFolder();
        using (var store = new S3Store(Server.Settings())) store.EnsureBucket("vgt");
        var ini = Server.WritePetrelConfig(_root);
        var result = InputFileTests.RunBounded("prepare", "--root", local, "--upload", "s3://vgt/cli", "--ceph-config", ini);
        Assert.True(result.Code == 0, result.Err);
        var lines = result.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Equal(2, lines.Length);
        Assert.Equal("upload s3://vgt/cli: skipped 3 entries that are not regular files (links are never followed): " +
            "secret.txt is a symbolic link, sub/loop is a symbolic link, zz.fifo is a FIFO (named pipe)", lines[0]);
        Assert.StartsWith("upload s3://vgt/cli: 10 of 10 files uploaded (", lines[1]);
    }

    [SkippableFact]
    public void AFifoAsTheUploadJournalIsRefusedNotWaitedOn()
    {
        var local = Path.Combine(_root, "j");
        var target = S3Location.Parse("s3://vgt/j");
        string path;
        using (var probe = UploadJournal.Open(local, "http://127.0.0.1:1/", target)) path = probe.FilePath;
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        InputFileTests.MakeFifo(path);
        var open = Task.Run(() => UploadJournal.Open(local, "http://127.0.0.1:1/", target));
        Assert.True(Task.WhenAny(open, Task.Delay(TimeSpan.FromSeconds(30))).Result == open, "opening the journal did not end (hang)");
        var e = Assert.ThrowsAny<VgtDataException>(() => open.GetAwaiter().GetResult());
        Assert.Equal($"{path}: not a regular file: is a FIFO (named pipe)", e.Message);
    }

    [SkippableFact]
    public void AFailureAfterEveryRetryNamesTheEndpoint()
    {
        var local = Path.Combine(_root, "small");
        Directory.CreateDirectory(local);
        File.WriteAllText(Path.Combine(local, "a.txt"), "a");
        using var proxy = new RefusingS3Proxy(Server.Endpoint, r => r.HttpMethod == "PUT" && r.Url!.AbsolutePath.EndsWith("/a.txt", StringComparison.Ordinal) ? (503, "SlowDown") : null);
        using var store = new S3Store(Server.Settings() with { Endpoint = proxy.Endpoint });
        store.EnsureBucket("vgt");
        var e = Assert.Throws<VgtDataException>(() =>
            S3Uploader.UploadAsync(store, local, S3Location.Parse("s3://vgt/down"), new UploadOptions { Concurrency = 1 }).GetAwaiter().GetResult());
        Assert.StartsWith($"s3://vgt/down/a.txt: uploading {Path.Combine(local, "a.txt")} to {proxy.Endpoint} failed: gave up after 4 tries in ", e.Message);
        Assert.Equal(4, proxy.Refused);
    }
}
