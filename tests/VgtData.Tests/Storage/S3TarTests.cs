using System.Formats.Tar;
using System.Text.Json;
using VgtData.Preparation;
using VgtData.Sources;
using VgtData.Storage;

namespace VgtData.Tests.Storage;

/// <summary>Tar parts in a bucket: index from ranged header reads (cached by ETag), one ranged GET per member.</summary>
public sealed class S3TarTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("vgtdata-s3-tar-").FullName;
    private S3TestServer? _server;

    public void Dispose()
    {
        _server?.Dispose();
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { }
    }

    private S3TestServer Server => _server ??= S3TestServer.StartOrSkip();

    /// <summary>12 images split over part_1.tar and part_2.tar (PAX long names on some), in root/tars.</summary>
    private string MakeParts()
    {
        var local = Path.Combine(_root, "src");
        SyntheticDataset.Write(local, 12, [(128, 96), (96, 128)], seed: 4, workers: 1);
        var tars = Path.Combine(_root, "tars");
        Directory.CreateDirectory(tars);
        for (int part = 1; part <= 2; part++)
        {
            using var stream = File.Create(Path.Combine(tars, $"part_{part}.tar"));
            using var writer = new TarWriter(stream, TarEntryFormat.Pax);
            for (int i = part - 1; i < 12; i += 2)
                writer.WriteEntry(Path.Combine(local, "images", $"{i:D6}.png"), $"images/{i:D6}.png");
        }
        File.Copy(Path.Combine(local, "data.json"), Path.Combine(tars, "data.json"));
        return tars;
    }

    [SkippableFact]
    public void TarPartsInTheBucketGiveTheBatchesOfTheLocalParts()
    {
        var tars = MakeParts();
        Server.Upload(tars, "vgt", "tars");
        var ini = Server.WritePetrelConfig(_root);
        string Config(string name, string dataset) => WriteConfig(name, dataset);
        var local = Config("local.json", $$"""
            { "data_path": {{JsonSerializer.Serialize(Path.Combine(tars, "data.json"))}}, "image_source": { "type": "tar", "parts": {{JsonSerializer.Serialize(Path.Combine(tars, "part_*.tar"))}} } }
            """);
        var remote = Config("s3.json", $$"""
            { "data_path": "s3://vgt/tars/data.json", "ceph_config": {{JsonSerializer.Serialize(ini)}}, "image_source": { "type": "tar", "parts": "s3://vgt/tars/part_*.tar" } }
            """);
        var (expected, f1, p1) = S3DatasetTests.Run(local, 6);
        p1.Dispose();
        var (actual, f2, p2) = S3DatasetTests.Run(remote, 6);
        using (p2)
        {
            var source = Assert.IsType<S3TarImageSource>(((VgtData.Datasets.CaptionDataset)p2.Dataset).Options.ImageSource);
            Assert.Equal(12, source.Index.Count);
            Assert.Equal("s3://vgt/tars/part_2.tar:images/000003.png", source.Describe("images/000003.png"));
            source.Dispose();
        }
        Assert.Equal(0, f1);
        Assert.Equal(0, f2);
        Assert.Equal(expected, actual);
    }

    [SkippableFact]
    public void TheIndexIsCachedUntilAPartChanges()
    {
        var tars = MakeParts();
        Server.Upload(tars, "vgt", "tars");
        var cache = Path.Combine(_root, "cache");
        using var store = new S3Store(Server.Settings());
        using (var first = new S3TarImageSource(store, "s3://vgt/tars/part_*.tar", cacheDir: cache))
            Assert.False(first.Index.FromCache);
        using (var second = new S3TarImageSource(store, "s3://vgt/tars/part_*.tar", cacheDir: cache))
        {
            Assert.True(second.Index.FromCache);
            using var bytes = second.Read("images/000004.png");
            Assert.Equal(File.ReadAllBytes(Path.Combine(_root, "src", "images", "000004.png")), bytes.Span.ToArray());
            var missing = Assert.Throws<SampleException>(() => second.Read("images/nope.png"));
            Assert.Equal(SampleFailureReason.MissingFile, missing.Reason);
        }
        // part_2 rewritten with one member less: a new ETag, so the index is rebuilt and the member is gone.
        using (var stream = File.Create(Path.Combine(tars, "part_2.tar")))
        using (var writer = new TarWriter(stream, TarEntryFormat.Pax))
            writer.WriteEntry(Path.Combine(_root, "src", "images", "000001.png"), "images/000001.png");
        store.Put(new S3Location(null, "vgt", "tars/part_2.tar"), File.ReadAllBytes(Path.Combine(tars, "part_2.tar")));
        using var third = new S3TarImageSource(store, "s3://vgt/tars/part_*.tar", cacheDir: cache);
        Assert.False(third.Index.FromCache);
        Assert.True(third.Exists("images/000001.png"));
        Assert.False(third.Exists("images/000003.png"));
    }

    private string WriteConfig(string name, string dataset)
    {
        var path = Path.Combine(_root, name);
        File.WriteAllText(path, $$"""
            { "image_size": 32, "seed": 2, "tokenizer": "embedded:o200k", "dataset": {{dataset}},
              "train_dataloader": { "batch_size": 4, "num_workers": 2, "sampler": { "type": "InfiniteSampler", "shuffle": true } } }
            """);
        return path;
    }
}
