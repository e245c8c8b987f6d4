using VgtData.Config;
using VgtData.Datasets;
using VgtData.Images;
using VgtData.Preparation;

namespace VgtData.Tests.Images;

/// <summary><c>dataset.decoder</c> is gone: each format has one decoder, and a config that still names one is refused.</summary>
public sealed class DecoderConfigTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "vgtdata-decoder-" + Guid.NewGuid().ToString("N")[..12]);

    public DecoderConfigTests()
    {
        SyntheticDataset.Write(_dir, 3, [(256, 256), (256, 320)], seed: 5, workers: 1);
    }

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    private ResolvedConfig Config(string? decoder)
    {
        var decoderKey = decoder is null ? "" : $", \"decoder\": \"{decoder}\"";
        var path = Path.Combine(_dir, "config.json");
        File.WriteAllText(path, $$"""
            {
              "image_size": 128,
              "tokenizer": "embedded:o200k",
              "dataset": { "type": "CaptionDataset", "data_path": "data.json", "image_folder": ".", "max_length": 64{{decoderKey}} },
              "train_dataloader": { "batch_size": 2, "num_workers": 1 }
            }
            """);
        return ConfigLoader.Load(path);
    }

    [Fact]
    public void WithoutTheKeyTheDefaultDecoderLoadsSamples()
    {
        using var pipeline = PipelineFactory.Build(Config(null));
        var dataset = Assert.IsType<CaptionDataset>(pipeline.Dataset);
        Assert.Same(ImageDecoder.Shared, dataset.Options.Decoder ?? ImageDecoder.Shared);
        for (int i = 0; i < 2; i++)
        {
            using var sample = pipeline.Dataset.GetSample(i);
            Assert.Equal(i, sample.SourceIndex);
            Assert.Equal((128, 128), (sample.Pixels!.Width, sample.Pixels.Height));
        }
        Assert.Equal(0L, pipeline.Dataset.Failures.Failures);
    }

    [Theory]
    [InlineData("fast")]
    [InlineData("skia")]
    [InlineData("imagesharp")]
    public void TheOldDecoderNamesAreOneConfigError(string decoder)
    {
        var e = Assert.Throws<ConfigException>(() => PipelineFactory.Build(Config(decoder)));
        Assert.EndsWith($"dataset.decoder: \"{decoder}\": the key is gone, each image format has one decoder (docs/images.md); remove it", e.Message);
    }
}
