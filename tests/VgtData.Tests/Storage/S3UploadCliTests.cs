using System.Net;
using System.Net.Sockets;
using VgtData.Cli;
using VgtData.Preparation;
using VgtData.Storage;
using VgtData.Tests.Fixtures;

namespace VgtData.Tests.Storage;

/// <summary><c>vgtdata prepare --root DIR --upload s3://…</c>: summary lines, exit codes and one-line failures.</summary>
public sealed class S3UploadCliTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("vgtdata-s3-upload-cli-").FullName;
    private S3TestServer? _server;

    public void Dispose()
    {
        _server?.Dispose();
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { }
    }

    private S3TestServer Server => _server ??= S3TestServer.StartOrSkip();


    private string Dataset()
    {
        var local = Path.Combine(_root, "ds");
        SyntheticDataset.Write(local, 5, [(64, 64)], seed: 1, workers: 1);
        return local;
    }

    private static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    [SkippableFact]
    public void UploadThenRerunPrintsOneSummaryLineEach()
    {
        var local = Dataset();
        using (var store = new S3Store(Server.Settings())) store.EnsureBucket("vgt");
        var ini = Server.WritePetrelConfig(_root, cluster: "c1");

        var first = CliRun.Run("prepare", "--root", local, "--upload", "c1:s3://vgt/cli/ds", "--ceph-config", ini, "--uploads", "2");
        Assert.True(first.Code == 0, first.Error);
        Assert.Equal(["upload c1:s3://vgt/cli/ds: 6 of 6 files uploaded"], Lines(first.Out).Select(l => l[..l.IndexOf(" (", StringComparison.Ordinal)]));
        Assert.Contains(", 0 already there (0.0 B), ", first.Out);

        var second = CliRun.Run("prepare", "--root", local, "--upload", "c1:s3://vgt/cli/ds", "--ceph-config", ini);
        Assert.Equal(0, second.Code);
        Assert.StartsWith("upload c1:s3://vgt/cli/ds: 0 of 6 files uploaded (0.0 B), 6 already there (", second.Out);
        using var check = new S3Store(Server.Settings());
        Assert.Equal(6, check.List(S3Location.Parse("s3://vgt/cli/ds/")).Count);
    }

    [SkippableFact]
    public void WrongCredentialsAreOneLineAndExitOne()
    {
        var local = Dataset();
        using (var store = new S3Store(Server.Settings())) store.EnsureBucket("vgt");
        var ini = Server.WritePetrelConfig(_root, access: "WRONG");
        var (code, output, error) = CliRun.Run("prepare", "--root", local, "--upload", "s3://vgt/ds", "--ceph-config", ini);
        Assert.Equal(1, code);
        Assert.Equal("", output);
        var line = Assert.Single(Lines(error));
        Assert.StartsWith("vgtdata prepare: s3://vgt/ds: ", line);
        Assert.Contains("refused the credentials from ceph_config", line);
        Assert.Contains("(403 InvalidAccessKeyId); check access_key/secret_key", line);
    }

    [SkippableFact]
    public void MissingBucketIsOneLine()
    {
        var local = Dataset();
        var ini = Server.WritePetrelConfig(_root);
        var (code, _, error) = CliRun.Run("prepare", "--root", local, "--upload", "s3://nobucket/ds", "--ceph-config", ini);
        Assert.Equal(1, code);
        var line = Assert.Single(Lines(error));
        Assert.StartsWith("vgtdata prepare: s3://nobucket/ds: bucket 'nobucket' does not exist at http://127.0.0.1:", line);
    }

    [Fact]
    public void UnreachableEndpointIsOneLineAndExitOne()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();   // nothing listens there now: connections are refused
        var local = Path.Combine(_root, "tiny");
        Directory.CreateDirectory(local);
        File.WriteAllText(Path.Combine(local, "data.json"), "[]");
        var ini = Path.Combine(_root, "down.conf");
        File.WriteAllText(ini, $"[down]\naccess_key = k\nsecret_key = s\nhost_base = http://127.0.0.1:{port}\nmax_attempts = 2\ntimeout_s = 5\n");
        var (code, output, error) = CliRun.Run("prepare", "--root", local, "--upload", "s3://b/p", "--ceph-config", ini);
        Assert.Equal(1, code);
        Assert.Equal("", output);
        var line = Assert.Single(Lines(error));
        Assert.StartsWith($"vgtdata prepare: s3://b/p: cannot reach http://127.0.0.1:{port}/: gave up after 2 tries", line);
        Assert.DoesNotContain(" at VgtData.", error);
    }

    [Theory]
    [InlineData("--upload", "/not/s3", "--upload '/not/s3' is not an s3:// address")]
    [InlineData("--ceph-config", "x.conf", "--ceph-config is only used with --upload")]
    [InlineData("--uploads", "0", "missing dataset name")]
    public void CommandLineMistakesExitTwo(string option, string value, string expected)
    {
        var (code, _, error) = CliRun.Run("prepare", "--root", _root, option, value);
        Assert.Equal(2, code);
        var line = Assert.Single(Lines(error));
        Assert.Contains(expected, line);
    }

    [Fact]
    public void UploadsZeroIsRefused()
    {
        var (code, _, error) = CliRun.Run("prepare", "--root", _root, "--upload", "s3://b/p", "--uploads", "0");
        Assert.Equal(2, code);
        Assert.Contains("--uploads must be at least 1", error);
    }

    [Fact]
    public void MissingCeph_ConfigFileIsOneLine()
    {
        var (code, _, error) = CliRun.Run("prepare", "--root", _root, "--upload", "s3://b/p", "--ceph-config", Path.Combine(_root, "none.conf"));
        Assert.Equal(1, code);
        Assert.Equal($"vgtdata prepare: ceph_config {Path.Combine(_root, "none.conf")}: no such file", Assert.Single(Lines(error)));
    }
}
