using System.Formats.Tar;
using System.Text.Json;
using VgtData.Datasets;
using VgtData.Manifests;
using VgtData.Preparation;
using VgtData.Tests.Storage;

namespace VgtData.Tests.Manifests;

/// <summary>Images in tar parts and in a folder: the batches through the entry index equal those from data.json.</summary>
public sealed class EntryIndexTarTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("vgtdata-index-tar-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private string Config(string name, string dataset, bool index)
    {
        var path = Path.Combine(_root, name);
        File.WriteAllText(path, $$"""
            {
              "image_size": 32, "seed": 5, "tokenizer": "embedded:o200k",
              "dataset": {{dataset.TrimEnd().TrimEnd('}')}}, "index": {{(index ? "true" : "false")}} },
              "train_dataloader": { "batch_size": 4, "num_workers": 2, "prefetch_factor": 2,
                                    "sampler": { "type": "InfiniteSampler", "shuffle": true } }
            }
            """);
        return path;
    }

    private static (string Checksum, bool Indexed) Run(string config)
    {
        var (checksum, failures, pipeline) = S3DatasetTests.Run(config, 6);
        using (pipeline)
        {
            Assert.Equal(0, failures);
            return (checksum, ((CaptionDataset)pipeline.Dataset).Entries is EntryIndex);
        }
    }

    [Theory]
    [InlineData("folder")]
    [InlineData("tar parts")]
    public void TheIndexGivesTheBatchesOfTheDataJson(string images)
    {
        var local = Path.Combine(_root, "src");
        SyntheticDataset.Write(local, 10, [(128, 96), (96, 128)], seed: 4, workers: 1);
        string dataset;
        if (images == "folder")
            dataset = $$"""{ "data_path": {{JsonSerializer.Serialize(Path.Combine(local, "data.json"))}}, "image_folder": {{JsonSerializer.Serialize(local)}} }""";
        else
        {
            for (int part = 1; part <= 2; part++)
            {
                using var stream = File.Create(Path.Combine(_root, $"part_{part}.tar"));
                using var writer = new TarWriter(stream, TarEntryFormat.Pax);
                for (int i = part - 1; i < 10; i += 2)
                    writer.WriteEntry(Path.Combine(local, "images", $"{i:D6}.png"), $"images/{i:D6}.png");
            }
            dataset = $$"""{ "data_path": {{JsonSerializer.Serialize(Path.Combine(local, "data.json"))}}, "image_source": { "type": "tar", "parts": {{JsonSerializer.Serialize(Path.Combine(_root, "part_*.tar"))}} } }""";
        }
        var (expected, plain) = Run(Config("plain.json", dataset, index: false));
        var (built, first) = Run(Config("indexed.json", dataset, index: true));
        var (mapped, second) = Run(Config("indexed.json", dataset, index: true));
        Assert.False(plain);
        Assert.True(first && second);
        Assert.Equal(expected, built);
        Assert.Equal(expected, mapped);
    }
}
