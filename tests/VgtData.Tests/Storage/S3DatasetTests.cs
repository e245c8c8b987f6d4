using System.Text.Json;
using VgtData.Config;
using VgtData.Loading;
using VgtData.Preparation;
using VgtData.Sources;
using VgtData.Storage;
using VgtData.Tests.Latents;

namespace VgtData.Tests.Storage;

/// <summary>A generated dataset read from a local folder and from the same files in an s3rver bucket: same batches.</summary>
public sealed class S3DatasetTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("vgtdata-s3-test-").FullName;
    private S3TestServer? _server;

    public void Dispose()
    {
        _server?.Dispose();
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { }
    }

    private S3TestServer Server => _server ??= S3TestServer.StartOrSkip();

    /// <summary>24 small synthetic PNGs and data.json in <c>root/local</c>, uploaded to s3://vgt/ds/.</summary>
    private string MakeDataset(int count = 24)
    {
        var local = Path.Combine(_root, "local");
        SyntheticDataset.Write(local, count, [(128, 96), (96, 128), (112, 112)], seed: 5, workers: 1);
        Server.Upload(local, "vgt", "ds");
        return local;
    }

    private string WriteConfig(string name, string datasetJson, int batch = 4, int workers = 2) =>
        WriteFile(name, $$"""
            {
              "image_size": 32, "seed": 11, "tokenizer": "embedded:o200k",
              "dataset": {{datasetJson}},
              "train_dataloader": { "batch_size": {{batch}}, "num_workers": {{workers}}, "prefetch_factor": 2,
                                    "sampler": { "type": "InfiniteSampler", "shuffle": true } }
            }
            """);

    private string WriteFile(string name, string text)
    {
        var path = Path.Combine(_root, name);
        File.WriteAllText(path, text);
        return path;
    }

    private static string Json(string s) => JsonSerializer.Serialize(s);

    internal static (string Checksum, long Failures, Pipeline Pipeline) Run(string config, int batches, Action<int>? afterBatch = null)
    {
        var pipeline = PipelineFactory.Build(ConfigLoader.Load(config));
        using var loader = pipeline.CreateLoader(pipeline.LoaderOptions with { MaxBatches = batches });
        var sum = new BatchChecksum();
        int n = 0;
        foreach (var batch in loader)
        {
            using (batch) sum.Add(batch);
            afterBatch?.Invoke(n);
            n++;
        }
        Assert.Equal(batches, n);
        var failures = pipeline.Dataset is VgtData.Datasets.CaptionDataset c ? c.Failures.Failures : 0;
        return (sum.Hex, failures, pipeline);
    }

    [SkippableFact]
    public void BucketGivesTheSameBatchesAsTheLocalFolder()
    {
        var local = MakeDataset();
        var ini = Server.WritePetrelConfig(_root);
        var localConfig = WriteConfig("local.json", $$"""{ "data_path": {{Json(Path.Combine(local, "data.json"))}}, "image_folder": {{Json(local)}} }""");
        var s3Config = WriteConfig("s3.json", $$"""
            { "data_path": "s3://vgt/ds/data.json", "ceph_folder": "s3://vgt/ds", "ceph_config": {{Json(ini)}} }
            """);

        var (expected, localFailures, p1) = Run(localConfig, 12);
        p1.Dispose();
        var (actual, s3Failures, p2) = Run(s3Config, 12);
        using (p2)
        {
            var dataset = (VgtData.Datasets.CaptionDataset)p2.Dataset;
            var source = Assert.IsType<S3ImageSource>(dataset.Options.ImageSource);
            Assert.Equal("s3://vgt/ds/images/000003.png", source.Describe("images/000003.png"));
            // 48 samples of 24 images: most reads were issued ahead and found their bytes waiting.
            Assert.True(source.ReadAheadHits > 24, $"only {source.ReadAheadHits} reads came from the read-ahead window");
        }
        Assert.Equal(0, localFailures);
        Assert.Equal(0, s3Failures);
        Assert.Equal(expected, actual);
    }

    [SkippableFact]
    public void PetrelClusterPrefixPicksItsSectionOfTheConfig()
    {
        var local = MakeDataset(8);
        // default_cluster has a wrong key; the address names the good cluster. [DEFAULT] keys apply to both.
        var ini = WriteFile("two.conf", $"""
            [DEFAULT]
            default_cluster = broken
            secret_key = {S3TestServer.SecretKey}
            host_base = {Server.Endpoint}

            [broken]
            access_key = nope

            [good]
            access_key = {S3TestServer.AccessKey}
            path_style = true
            """);
        var localConfig = WriteConfig("local.json", $$"""{ "data_path": {{Json(Path.Combine(local, "data.json"))}}, "image_folder": {{Json(local)}} }""");
        var s3Config = WriteConfig("s3.json", $$"""
            { "data_path": {{Json(Path.Combine(local, "data.json"))}}, "ceph_folder": "good:s3://vgt/ds", "ceph_config": {{Json(ini)}} }
            """);
        var (expected, _, p1) = Run(localConfig, 3);
        p1.Dispose();
        var (actual, _, p2) = Run(s3Config, 3);
        p2.Dispose();
        Assert.Equal(expected, actual);
    }

    [SkippableFact]
    public void AnnotationsAndManifestFolderComeThroughTheSameClient()
    {
        var local = Path.Combine(_root, "ann");
        SyntheticDataset.Write(local, 6, [(100, 100)], seed: 2, workers: 1);
        // Rewrite the manifest into a folder of *.json with captions in annotation files (JSON and TXT).
        var entries = JsonSerializer.Deserialize<List<Dictionary<string, JsonElement>>>(File.ReadAllText(Path.Combine(local, "data.json")))!;
        Directory.CreateDirectory(Path.Combine(local, "caps"));
        Directory.CreateDirectory(Path.Combine(local, "manifests"));
        var rows = new List<object>();
        for (int i = 0; i < entries.Count; i++)
        {
            var caption = entries[i]["caption"].GetString()!;
            var ann = i % 2 == 0 ? $"a{i}.json" : $"a{i}.txt";
            File.WriteAllText(Path.Combine(local, "caps", ann), i % 2 == 0 ? JsonSerializer.Serialize(new { caption }) : "  " + caption + "\n");
            rows.Add(new { image = entries[i]["image"].GetString(), annotation = ann });
        }
        File.WriteAllText(Path.Combine(local, "manifests", "part1.json"), JsonSerializer.Serialize(rows.Take(3)));
        File.WriteAllText(Path.Combine(local, "manifests", "part2.json"), JsonSerializer.Serialize(rows.Skip(3)));
        File.Delete(Path.Combine(local, "data.json"));
        Server.Upload(local, "vgt", "ann");
        var ini = Server.WritePetrelConfig(_root);

        var localConfig = WriteConfig("local.json", $$"""
            { "data_path": {{Json(Path.Combine(local, "manifests"))}}, "image_folder": {{Json(local)}}, "cap_folder": {{Json(Path.Combine(local, "caps"))}} }
            """, batch: 3);
        var s3Config = WriteConfig("s3.json", $$"""
            { "data_path": "s3://vgt/ann/manifests", "ceph_folder": "s3://vgt/ann", "cap_folder": "s3://vgt/ann/caps", "ceph_config": {{Json(ini)}} }
            """, batch: 3);
        var (expected, f1, p1) = Run(localConfig, 4);
        p1.Dispose();
        var (actual, f2, p2) = Run(s3Config, 4);
        p2.Dispose();
        Assert.Equal(0, f1);
        Assert.Equal(0, f2);
        Assert.Equal(expected, actual);
    }

    [SkippableFact]
    public void LatentsComeFromLatentsCephFolder()
    {
        var local = Path.Combine(_root, "lat");
        Directory.CreateDirectory(Path.Combine(local, "latents"));
        var rows = new List<object>();
        for (int i = 0; i < 6; i++)
        {
            var values = Enumerable.Range(0, 2 * 3 * 3).Select(v => (float)(v * 0.5 - i)).ToArray();
            var storage = System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()).ToArray();
            File.WriteAllBytes(Path.Combine(local, "latents", $"img{i}.png.pt"),
                TorchSaveBuilder.Tensor("FloatStorage", storage, values.Length, 0, [2, 3, 3], [9, 3, 1]));
            rows.Add(new { image = $"img{i}.png", caption = $"latent number {i}" });
        }
        File.WriteAllText(Path.Combine(local, "data.json"), JsonSerializer.Serialize(rows));
        Server.Upload(local, "vgt", "lat");
        var ini = Server.WritePetrelConfig(_root);
        var localConfig = WriteConfig("local.json", $$"""
            { "data_path": {{Json(Path.Combine(local, "data.json"))}}, "image_latents_folder": {{Json(Path.Combine(local, "latents"))}} }
            """, batch: 3);
        var s3Config = WriteConfig("s3.json", $$"""
            { "data_path": "s3://vgt/lat/data.json", "latents_ceph_folder": "s3://vgt/lat/latents", "ceph_config": {{Json(ini)}} }
            """, batch: 3);
        var (expected, _, p1) = Run(localConfig, 4);
        p1.Dispose();
        var (actual, _, p2) = Run(s3Config, 4);
        using (p2)
        {
            using var sample = p2.Dataset.GetSample(2);
            Assert.Equal(new long[] { 2, 3, 3 }, sample.ImageLatents!.shape);
            Assert.Equal(Enumerable.Range(0, 18).Sum(v => v * 0.5 - 2), sample.ImageLatents.sum().item<float>(), 3);
        }
        Assert.Equal(expected, actual);
    }

    [SkippableFact]
    public void MissingObjectIsANamedBadSample()
    {
        MakeDataset(8);
        using var store = new S3Store(Server.Settings());
        var rows = Enumerable.Range(0, 8).Select(i => new { image = i == 3 ? "images/gone.png" : $"images/{i:D6}.png", caption = $"c {i}" });
        store.Put(new S3Location(null, "vgt", "ds/broken.json"), JsonSerializer.SerializeToUtf8Bytes(rows));
        var ini = Server.WritePetrelConfig(_root);
        var config = WriteConfig("s3.json", $$"""
            { "data_path": "s3://vgt/ds/broken.json", "ceph_folder": "s3://vgt/ds", "ceph_config": {{Json(ini)}}, "unconditional": 0 }
            """);
        using var pipeline = PipelineFactory.Build(ConfigLoader.Load(config));
        var dataset = (VgtData.Datasets.CaptionDataset)pipeline.Dataset;
        var failure = dataset.Check(3, out _);
        Assert.NotNull(failure);
        Assert.Equal(SampleFailureReason.MissingFile, failure!.Reason);
        Assert.Equal("s3://vgt/ds/images/gone.png", failure.Path);

        // Through the loader: the sample is replaced, the failure is counted and named.
        using var sample = dataset.GetSample(3);
        Assert.NotEqual(3, sample.SourceIndex);
        Assert.Equal(1, dataset.Failures.Failures);
        var log = string.Join("\n", dataset.Failures.Recorded.Select(f => f.ToString()));
        Assert.Contains("s3://vgt/ds/images/gone.png", log);
        Assert.Contains("missing file", log);
    }

    [SkippableFact]
    public void WrongCredentialsStopTheRunAtStartWithOneLine()
    {
        MakeDataset(4);
        var ini = Server.WritePetrelConfig(_root, access: "WRONGKEY");
        var config = WriteConfig("s3.json", $$"""
            { "data_path": "s3://vgt/ds/data.json", "ceph_folder": "s3://vgt/ds", "ceph_config": {{Json(ini)}} }
            """);
        var e = Assert.Throws<ConfigException>(() => PipelineFactory.Build(ConfigLoader.Load(config)));
        var line = Assert.Single(e.Message.Split('\n'));
        Assert.Contains("dataset.ceph_config", line);
        Assert.Contains("refused the credentials", line);
        Assert.Contains(ini, line);
        Assert.Contains("InvalidAccessKeyId", line);

        // The CLI prints that line and exits non-zero, no stack trace.
        var (code, _, error) = Config.ConfigDir.Cli("sample", config, "--index", "0", "--out", Path.Combine(_root, "out"));
        Assert.NotEqual(0, code);
        Assert.Contains("refused the credentials", error);
        Assert.DoesNotContain("   at ", error);
    }

    [SkippableFact]
    public void CephFolderWithoutAnyCredentialsNamesTheKey()
    {
        var e = Assert.Throws<StorageConfigException>(() => DatasetStorage.Resolve("s3://vgt/ds", null, null,
            new Dictionary<string, string?>(), hasLocalImages: false, readAhead: 4, getEnv: _ => null));
        Assert.Equal("ceph_folder", e.Key);
        Assert.Contains("needs object-storage credentials", e.Message);
        // VGT's rule: with a local image_folder and no usable client config, images come from the folder.
        var none = DatasetStorage.Resolve("s3://vgt/ds", null, null, new Dictionary<string, string?>(), hasLocalImages: true, readAhead: 4, getEnv: _ => null);
        Assert.Null(none.ImageSource);
    }

    [SkippableFact]
    public void AwsEnvironmentWorksWithoutCephConfig()
    {
        MakeDataset(4);
        var env = new Dictionary<string, string>
        {
            ["AWS_ACCESS_KEY_ID"] = S3TestServer.AccessKey, ["AWS_SECRET_ACCESS_KEY"] = S3TestServer.SecretKey,
            ["AWS_ENDPOINT_URL"] = Server.Endpoint.ToString(), ["AWS_REGION"] = "eu-west-1",
        };
        var storage = DatasetStorage.Resolve("s3://vgt/ds", null, null, new Dictionary<string, string?>(), hasLocalImages: false,
            readAhead: 4, getEnv: k => env.GetValueOrDefault(k));
        using var source = Assert.IsType<S3ImageSource>(storage.ImageSource);
        Assert.True(storage.Store!.Settings.UsePathStyle);
        using var bytes = source.Read("images/000001.png");
        Assert.Equal(File.ReadAllBytes(Path.Combine(_root, "local", "images", "000001.png")), bytes.Span.ToArray());
        storage.Store.Dispose();
    }

    [SkippableFact]
    public void ValidateAndPreviewWorkOnABucket()
    {
        MakeDataset(6);
        using (var store = new S3Store(Server.Settings()))
        {
            var rows = Enumerable.Range(0, 6).Select(i => new { image = i == 4 ? "images/gone.png" : $"images/{i:D6}.png", caption = $"c {i}" });
            store.Put(new S3Location(null, "vgt", "ds/broken.json"), JsonSerializer.SerializeToUtf8Bytes(rows));
        }
        var ini = Server.WritePetrelConfig(_root);
        var config = WriteConfig("s3.json", $$"""
            { "data_path": "s3://vgt/ds/broken.json", "ceph_folder": "s3://vgt/ds", "ceph_config": {{Json(ini)}} }
            """);
        var (code, stdout, stderr) = Config.ConfigDir.Cli("validate", config, "--json", "--workers", "2");
        Assert.True(code == 1, stderr + stdout);
        var json = System.Text.Json.Nodes.JsonNode.Parse(stdout.TrimEnd().Split('\n')[^1])!.AsObject();
        Assert.Equal(6, json["checked"]!.GetValue<int>());
        var bad = Assert.Single(json["bad"]!.AsArray());
        Assert.Equal(("images/gone.png", "missing file"), (bad!["image"]!.GetValue<string>(), bad["reason"]!.GetValue<string>()));

        var clean = Path.Combine(_root, "clean.json");
        (code, stdout, stderr) = Config.ConfigDir.Cli("validate", config, "--write-clean", clean);
        Assert.True(code == 1, stderr + stdout);
        Assert.Equal(5, JsonSerializer.Deserialize<JsonElement>(File.ReadAllText(clean)).GetArrayLength());

        var html = Path.Combine(_root, "preview.html");
        (code, stdout, stderr) = Config.ConfigDir.Cli("preview", config, "--out", html, "--count", "4");
        Assert.True(code == 0, stderr + stdout);
        Assert.Equal(4, System.Text.RegularExpressions.Regex.Matches(File.ReadAllText(html), "<img class=\"thumb\"").Count);

        (code, stdout, stderr) = Config.ConfigDir.Cli("config", config, "--strict");
        Assert.True(code == 0, stderr + stdout);
    }
}
