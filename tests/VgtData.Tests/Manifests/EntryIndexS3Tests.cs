using System.Text.Json;
using VgtData.Datasets;
using VgtData.Manifests;
using VgtData.Preparation;
using VgtData.Storage;
using VgtData.Tests.Storage;

namespace VgtData.Tests.Manifests;

/// <summary>An s3:// data_path's index lives in the local cache, named by endpoint and address and stamped with the
/// objects' ETags: the batches equal the JSON's, a second run maps it without downloading, a changed object rebuilds it,
/// and annotation captions read from the bucket are held in it.</summary>
public sealed class EntryIndexS3Tests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("vgtdata-index-s3-").FullName;
    private readonly List<string> _indexes = new();
    private S3TestServer? _server;

    public void Dispose()
    {
        _server?.Dispose();
        foreach (var index in _indexes) File.Delete(index);
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { }
    }

    private S3TestServer Server => _server ??= S3TestServer.StartOrSkip();

    private string Config(string name, string dataset)
    {
        var path = Path.Combine(_root, name);
        File.WriteAllText(path, $$"""
            {
              "image_size": 32, "seed": 11, "tokenizer": "embedded:o200k",
              "dataset": {{dataset}},
              "train_dataloader": { "batch_size": 4, "num_workers": 2, "prefetch_factor": 2,
                                    "sampler": { "type": "InfiniteSampler", "shuffle": true } }
            }
            """);
        return path;
    }

    /// <summary>What a run's entries came through, noted before the pipeline (and its mapping) is closed.</summary>
    private sealed record Entries(bool Indexed, bool Built, string Source, string? FirstCaption, int AnnotationCaptions, string? ThirdAnnotation,
        string? Fetched = null, string? Published = null);

    /// <summary>Runs 6 batches; returns their checksum, the bad samples met and what the entries came through.</summary>
    private (string Checksum, long Failures, Entries Entries) RunCounting(string config)
    {
        var (checksum, failures, pipeline) = S3DatasetTests.Run(config, 6);
        using (pipeline)
        {
            var entries = ((CaptionDataset)pipeline.Dataset).Entries;
            var index = entries as EntryIndex;
            if (index != null) _indexes.Add(index.Source);
            return (checksum, failures, new Entries(index != null, index?.Built ?? false, entries.Source, entries[0].Caption,
                index?.AnnotationCaptions() ?? 0, entries[3].Annotation, index?.Fetched, index?.Published));
        }
    }

    private (string Checksum, Entries Entries) Run(string config)
    {
        var (checksum, failures, entries) = RunCounting(config);
        Assert.Equal(0, failures);
        return (checksum, entries);
    }

    [SkippableFact]
    public void TheBucketsManifestIsIndexedInTheCacheAndRebuiltWhenItChanges()
    {
        var local = Path.Combine(_root, "local");
        SyntheticDataset.Write(local, 12, [(128, 96), (96, 128)], seed: 5, workers: 1);
        Server.Upload(local, "vgt", "ds");
        var ini = JsonSerializer.Serialize(Server.WritePetrelConfig(_root));
        var indexed = Config("s3.json", $$"""{ "data_path": "s3://vgt/ds/data.json", "ceph_folder": "s3://vgt/ds", "ceph_config": {{ini}} }""");
        var plain = Config("plain.json", $$"""{ "data_path": "s3://vgt/ds/data.json", "ceph_folder": "s3://vgt/ds", "ceph_config": {{ini}}, "index": false }""");

        var (expected, viaJson) = Run(plain);
        Assert.False(viaJson.Indexed);
        var (first, built) = Run(indexed);
        Assert.True(built.Indexed && built.Built);
        Assert.EndsWith(EntryIndex.Extension, built.Source);
        Assert.False(built.Source.StartsWith(local), built.Source);
        Assert.Equal(expected, first);

        var (second, found) = Run(indexed);
        Assert.True(found.Indexed);
        Assert.False(found.Built);
        Assert.Equal(built.Source, found.Source);
        Assert.Equal(expected, second);

        // A new data.json in the bucket (another ETag): the next run rebuilds and serves its captions.
        var manifest = Path.Combine(local, "data.json");
        File.WriteAllText(manifest, File.ReadAllText(manifest).Replace("\"caption\": \"", "\"caption\": \"changed "));
        File.Delete(manifest + EntryIndex.Extension);
        Server.Upload(local, "vgt", "ds");
        var (third, rebuilt) = Run(indexed);
        Assert.True(rebuilt.Built);
        Assert.Equal(built.Source, rebuilt.Source);
        Assert.StartsWith("changed ", rebuilt.FirstCaption);
        Assert.NotEqual(expected, third);
        Assert.Equal(Run(plain).Checksum, third);
    }

    [SkippableFact]
    public void TheIndexIsWrittenToTheBucketAndANodeWithoutOneFetchesIt()
    {
        var local = Path.Combine(_root, "local");
        SyntheticDataset.Write(local, 12, [(128, 96), (96, 128)], seed: 9, workers: 1);
        Server.Upload(local, "vgt", "shared");
        var ini = JsonSerializer.Serialize(Server.WritePetrelConfig(_root));
        var indexed = Config("s3.json", $$"""{ "data_path": "s3://vgt/shared/data.json", "ceph_folder": "s3://vgt/shared", "ceph_config": {{ini}} }""");
        var plain = Config("plain.json", $$"""{ "data_path": "s3://vgt/shared/data.json", "ceph_folder": "s3://vgt/shared", "ceph_config": {{ini}}, "index": false }""");
        using var store = new S3Store(Server.Settings());
        var inBucket = S3Location.Parse("s3://vgt/shared/data.json" + EntryIndex.Extension);
        byte[] Bucket() { using var b = store.TryGet(inBucket)!; return b.Span.ToArray(); }

        var (expected, _) = Run(plain);
        var (first, built) = Run(indexed);
        Assert.True(built.Built);
        Assert.Equal(inBucket.ToString(), built.Published);
        Assert.Equal(File.ReadAllBytes(built.Source), Bucket());
        Assert.Equal(expected, first);

        // Another node: nothing in its cache. It downloads the bucket's index (checked like any other) and builds nothing.
        File.Delete(built.Source);
        var (second, fetched) = Run(indexed);
        Assert.False(fetched.Built);
        Assert.Equal(inBucket.ToString(), fetched.Fetched);
        Assert.Null(fetched.Published);
        Assert.Equal(expected, second);

        // A damaged object in the bucket is never read: the node builds its own and writes it back.
        var damaged = Bucket();
        damaged[^5] ^= 0x20;
        store.Put(inBucket, damaged);
        File.Delete(built.Source);
        var (third, rebuilt) = Run(indexed);
        Assert.True(rebuilt.Built);
        Assert.Null(rebuilt.Fetched);
        Assert.Equal(inBucket.ToString(), rebuilt.Published);
        Assert.Equal(File.ReadAllBytes(rebuilt.Source), Bucket());
        Assert.Equal(expected, third);

        // A new data.json (another ETag): the bucket's index was built from the old one, so it is not used.
        var manifest = Path.Combine(local, "data.json");
        File.WriteAllText(manifest, File.ReadAllText(manifest).Replace("\"caption\": \"", "\"caption\": \"edited "));
        File.Delete(manifest + EntryIndex.Extension);
        Server.Upload(local, "vgt", "shared");
        File.Delete(built.Source);
        var (fourth, fresh) = Run(indexed);
        Assert.True(fresh.Built);
        Assert.Null(fresh.Fetched);
        Assert.StartsWith("edited ", fresh.FirstCaption);
        Assert.Equal(Run(plain).Checksum, fourth);
    }

    [SkippableFact]
    public void AnnotationCaptionsInTheBucketAreHeldByTheIndex()
    {
        var local = Path.Combine(_root, "local");
        SyntheticDataset.Write(local, 8, [(112, 96)], seed: 7, workers: 1);
        var entries = JsonSerializer.Deserialize<List<Dictionary<string, JsonElement>>>(File.ReadAllText(Path.Combine(local, "data.json")))!;
        var annotated = new List<object>();
        for (int i = 0; i < entries.Count; i++)
        {
            var image = entries[i]["image"].GetString()!;
            var name = Path.ChangeExtension(image, ".json");
            var file = Path.Combine(local, "ann", name);
            Directory.CreateDirectory(Path.GetDirectoryName(file)!);
            if (i != 3) File.WriteAllText(file, JsonSerializer.Serialize(new { caption = $"annotated {i}: {entries[i]["caption"].GetString()}" }));
            annotated.Add(new { image, annotation = name });
        }
        File.WriteAllText(Path.Combine(local, "annotated.json"), JsonSerializer.Serialize(annotated));
        Server.Upload(local, "vgt", "ann");
        var ini = JsonSerializer.Serialize(Server.WritePetrelConfig(_root));
        string Dataset(bool index) => $$"""
            { "data_path": "s3://vgt/ann/annotated.json", "ceph_folder": "s3://vgt/ann", "cap_folder": "s3://vgt/ann/ann",
              "ceph_config": {{ini}}, "index": {{(index ? "true" : "false")}} }
            """;

        var (expected, expectedFailures, viaFiles) = RunCounting(Config("ann-plain.json", Dataset(false)));
        Assert.False(viaFiles.Indexed);
        var (actual, failures, index) = RunCounting(Config("ann.json", Dataset(true)));
        Assert.True(index.Indexed);
        // Entry 3's annotation is missing: it keeps the file name, and its sample fails and is replaced as before.
        Assert.Equal(7, index.AnnotationCaptions);
        Assert.StartsWith("annotated 0: ", index.FirstCaption);
        Assert.Equal("images/000003.json", index.ThirdAnnotation);
        Assert.Equal(expected, actual);
        Assert.True(expectedFailures > 0);
        Assert.Equal(expectedFailures, failures);
    }
}
