using VgtData.Config;
using VgtData.Datasets;
using VgtData.Images;
using VgtData.Preparation;

namespace VgtData.Tests.Images;

/// <summary><c>dataset.decoder</c> picks the image decoder.</summary>
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

    [Theory]
    [InlineData("skia")]
    [InlineData("imagesharp")]
    [InlineData(null)]
    public void ConfiguredDecoderBuildsAndLoadsASample(string? decoder)
    {
        using var pipeline = PipelineFactory.Build(Config(decoder));
        var dataset = Assert.IsType<CaptionDataset>(pipeline.Dataset);
        Assert.Equal(decoder ?? ImageDecoders.DefaultName, dataset.Options.Decoder!.Name);
        for (int i = 0; i < 2; i++)
        {
            using var sample = pipeline.Dataset.GetSample(i);
            Assert.Equal(i, sample.SourceIndex);
            Assert.NotNull(sample.Pixels);
            Assert.Equal((128, 128), (sample.Pixels!.Width, sample.Pixels.Height));
        }
        Assert.Equal(0L, pipeline.Dataset.Failures.Failures);
    }

    [Fact]
    public void SkiaAndImageSharpSamplesAgree()
    {
        using var a = PipelineFactory.Build(Config("skia"));
        using var b = PipelineFactory.Build(Config("imagesharp"));
        using var sa = a.Dataset.GetSample(1);
        using var sb = b.Dataset.GetSample(1);
        Assert.Equal(sb.Pixels!.Pixels.ToArray(), sa.Pixels!.Pixels.ToArray());
    }

    [Fact]
    public void UnknownDecoderIsAConfigError()
    {
        var e = Assert.Throws<ConfigException>(() => PipelineFactory.Build(Config("pillow")));
        Assert.Contains("dataset.decoder", e.Message);
    }
}
