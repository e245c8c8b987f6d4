using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using VgtData.Preparation;
using VgtData.Sources;
using VgtData.Storage;

namespace VgtData.Tests.Storage;

/// <summary>The server killed and restarted mid-run, killed for good, or silent: retries, named bad samples, no hang.</summary>
public sealed class S3FaultTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("vgtdata-s3-fault-").FullName;
    private S3TestServer? _server;

    public void Dispose()
    {
        _server?.Dispose();
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { }
    }

    private S3TestServer Server => _server ??= S3TestServer.StartOrSkip();

    private string Write(string name, string text)
    {
        var path = Path.Combine(_root, name);
        File.WriteAllText(path, text);
        return path;
    }

    private string Config(string name, string dataset) => Write(name, $$"""
        { "image_size": 32, "seed": 3, "tokenizer": "embedded:o200k",
          "dataset": {{dataset}},
          "train_dataloader": { "batch_size": 4, "num_workers": 2, "sampler": { "type": "InfiniteSampler", "shuffle": true } } }
        """);

    [SkippableFact]
    public void ServerKilledAndRestartedMidRunTheBatchesEqualTheLocalRun()
    {
        var local = Path.Combine(_root, "local");
        SyntheticDataset.Write(local, 24, [(128, 96), (96, 128)], seed: 9, workers: 1);
        Server.Upload(local, "vgt", "ds");
        var ini = Server.WritePetrelConfig(_root, extra: "max_attempts = 14");
        var localConfig = Config("local.json", $$"""{ "data_path": {{JsonSerializer.Serialize(Path.Combine(local, "data.json"))}}, "image_folder": {{JsonSerializer.Serialize(local)}} }""");
        var s3Config = Config("s3.json", $$"""{ "data_path": "s3://vgt/ds/data.json", "ceph_folder": "s3://vgt/ds", "ceph_config": {{JsonSerializer.Serialize(ini)}} }""");

        var (expected, _, p1) = S3DatasetTests.Run(localConfig, 18);
        p1.Dispose();
        Task? restart = null;
        var (actual, failures, p2) = S3DatasetTests.Run(s3Config, 18, afterBatch: n =>
        {
            if (n != 4) return;
            Server.Kill();
            // Back after a pause, while the loader's reads are failing and being retried.
            restart = Task.Run(() => { Thread.Sleep(700); Server.Restart(); });
        });
        using (p2)
        {
            restart!.Wait(TimeSpan.FromSeconds(60));
            var source = (S3ImageSource)((VgtData.Datasets.CaptionDataset)p2.Dataset).Options.ImageSource!;
            Assert.Equal(0, failures);
            Assert.True(source.Store.Retries > 0, "no request was retried: the kill did not hit the run");
        }
        Assert.Equal(expected, actual);
    }

    [SkippableFact]
    public void ServerGoneForGoodGivesNamedUnreachableSamples()
    {
        var local = Path.Combine(_root, "local");
        SyntheticDataset.Write(local, 2, [(128, 96)], seed: 9, workers: 1);
        Server.Upload(local, "vgt", "ds");
        using var store = new S3Store(Server.Settings());
        using var source = new S3ImageSource(store, S3Location.Parse("s3://vgt/ds"), readAhead: 4);
        using (var ok = source.Read("images/000000.png")) Assert.True(ok.Length > 0);
        Server.Kill();
        source.ReadAhead("images/000001.png");
        var e = Assert.Throws<SampleException>(() => source.Read("images/000001.png"));
        Assert.Equal(SampleFailureReason.Unreachable, e.Reason);
        Assert.Equal("s3://vgt/ds/images/000001.png", e.Path);
        Assert.Contains("gave up after 4 tries", e.Message);
        Assert.True(store.Retries >= 3);
        // Without read-ahead too.
        var direct = Assert.Throws<SampleException>(() => source.Read("images/000000.png"));
        Assert.Equal(SampleFailureReason.Unreachable, direct.Reason);
    }

    [Fact]
    public void SilentServerTimesOutInsteadOfHanging()
    {
        // Accepts connections and never answers.
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var held = new List<TcpClient>();
        var accept = Task.Run(async () =>
        {
            try { while (true) held.Add(await listener.AcceptTcpClientAsync()); }
            catch (Exception e) when (e is SocketException or ObjectDisposedException) { }
        });
        try
        {
            var port = ((IPEndPoint)listener.LocalEndpoint).Port;
            using var store = new S3Store(new S3Settings
            {
                AccessKey = "k", SecretKey = "s", Endpoint = new Uri($"http://127.0.0.1:{port}"),
                MaxAttempts = 2, Timeout = TimeSpan.FromMilliseconds(500), BaseBackoff = TimeSpan.FromMilliseconds(10),
            });
            using var source = new S3ImageSource(store, S3Location.Parse("s3://b/p"));
            var e = Assert.Throws<SampleException>(() => source.Read("x.png"));
            Assert.Equal(SampleFailureReason.Unreachable, e.Reason);
            Assert.Contains("gave up after 2 tries", e.Message);
            Assert.True(e.Message.Contains("timed out"), e.Message);
        }
        finally
        {
            listener.Stop();
            accept.Wait(TimeSpan.FromSeconds(5));
            foreach (var c in held) c.Dispose();
        }
    }
}
