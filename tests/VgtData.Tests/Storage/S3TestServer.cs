using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using VgtData.Storage;

namespace VgtData.Tests.Storage;

/// <summary>
/// An s3rver (the project's pinned npm package, tests/s3server) on 127.0.0.1 with a free port, its data in a temp folder.
/// Tests that need it are skipped with a clear message when node/npm or the package are missing. Kill and Restart keep
/// the port and the data, for the fault tests. Dispose stops the process and deletes the data.
/// </summary>
internal sealed class S3TestServer : IDisposable
{
    /// <summary>s3rver's fixed credentials. It checks the access key but not V4 signatures, so tests of refused
    /// credentials use a wrong access key.</summary>
    public const string AccessKey = "S3RVER", SecretKey = "S3RVER";

    private static readonly object InstallGate = new();
    private static string? _installError;
    private static bool _installTried;
    private readonly string _script;
    private Process? _process;

    private S3TestServer(string script)
    {
        _script = script;
        DataDir = Directory.CreateTempSubdirectory("vgtdata-s3rver-").FullName;
        Port = FreePort();
        Start();
    }

    public int Port { get; }

    public string DataDir { get; }

    public Uri Endpoint => new($"http://127.0.0.1:{Port}");

    /// <summary>Starts a server, or skips the calling test with the reason it cannot.</summary>
    public static S3TestServer StartOrSkip()
    {
        var node = FindOnPath("node");
        Skip.If(node is null, "node is not installed: object-storage tests need Node.js (build/setup.sh installs it)");
        var dir = Path.Combine(SharedData.RepoRoot, "tests", "s3server");
        var script = Path.Combine(dir, "node_modules", "s3rver", "bin", "s3rver.js");
        if (!File.Exists(script))
        {
            lock (InstallGate)
            {
                if (!_installTried)
                {
                    _installTried = true;
                    _installError = InstallPackage(dir);
                }
            }
            Skip.If(!File.Exists(script), $"s3rver is not installed in tests/s3server ({_installError ?? "npm ci did not create it"}); run build/setup.sh");
        }
        return new S3TestServer(script);
    }

    public S3Settings Settings(string? access = null, string? secret = null) => new()
    {
        AccessKey = access ?? AccessKey,
        SecretKey = secret ?? SecretKey,
        Endpoint = Endpoint,
        Origin = "the test server",
        MaxAttempts = 4,
        BaseBackoff = TimeSpan.FromMilliseconds(20),
        MaxBackoff = TimeSpan.FromMilliseconds(200),
        Timeout = TimeSpan.FromSeconds(10),
    };

    /// <summary>A petrel-style ceph_config naming this server, written into <paramref name="folder"/>.</summary>
    public string WritePetrelConfig(string folder, string cluster = "local", string? access = null, string extra = "")
    {
        var path = Path.Combine(folder, $"petreloss-{cluster}.conf");
        File.WriteAllText(path, $"""
            [DEFAULT]
            default_cluster = {cluster}

            [{cluster}]
            access_key = {access ?? AccessKey}
            secret_key = {SecretKey}
            host_base = {Endpoint}
            {extra}
            """);
        return path;
    }

    /// <summary>Uploads every file below <paramref name="folder"/> to s3://<paramref name="bucket"/>/<paramref name="prefix"/>.</summary>
    public void Upload(string folder, string bucket, string prefix)
    {
        using var store = new S3Store(Settings());
        store.EnsureBucket(bucket);
        foreach (var file in Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(folder, file).Replace('\\', '/');
            store.Put(new S3Location(null, bucket, prefix.TrimEnd('/') + "/" + relative), File.ReadAllBytes(file));
        }
    }

    /// <summary>Stops the server abruptly (connections reset, new ones refused).</summary>
    public void Kill()
    {
        if (_process is null) return;
        try { _process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
        _process.WaitForExit(10_000);
        _process.Dispose();
        _process = null;
    }

    /// <summary>Starts it again on the same port with the same data.</summary>
    public void Restart()
    {
        Kill();
        Start();
    }

    private void Start()
    {
        var psi = new ProcessStartInfo(FindOnPath("node")!)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        // s3rver's list continuation tokens use DES, which OpenSSL 3 keeps in its legacy provider.
        foreach (var a in new[] { "--openssl-legacy-provider", _script, "-d", DataDir, "-a", "127.0.0.1", "-p", Port.ToString(), "--no-vhost-buckets", "-s" })
            psi.ArgumentList.Add(a);
        var process = Process.Start(psi) ?? throw new InvalidOperationException("could not start node");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(30))
        {
            if (process.HasExited) throw new InvalidOperationException($"s3rver exited at start with code {process.ExitCode}");
            try
            {
                using var client = new TcpClient();
                client.Connect(IPAddress.Loopback, Port);
                return;
            }
            catch (SocketException)
            {
                Thread.Sleep(50);
            }
        }
        Kill();
        throw new TimeoutException($"s3rver did not listen on 127.0.0.1:{Port} within 30 s");
    }

    private static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    private static string? InstallPackage(string dir)
    {
        var npm = FindOnPath("npm");
        if (npm is null) return "npm is not installed";
        var psi = new ProcessStartInfo(npm, "ci --no-audit --no-fund --loglevel=error")
        {
            WorkingDirectory = dir, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        using var p = Process.Start(psi)!;
        var error = p.StandardError.ReadToEndAsync();
        _ = p.StandardOutput.ReadToEndAsync();
        if (!p.WaitForExit(300_000))
        {
            p.Kill(entireProcessTree: true);
            return "npm ci took more than 5 minutes";
        }
        return p.ExitCode == 0 ? null : $"npm ci failed: {error.Result.Trim().Split('\n').FirstOrDefault()}";
    }

    private static string? FindOnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(d => Path.Combine(d, name)).FirstOrDefault(File.Exists);

    public void Dispose()
    {
        Kill();
        try { Directory.Delete(DataDir, recursive: true); } catch (IOException) { }
    }
}
