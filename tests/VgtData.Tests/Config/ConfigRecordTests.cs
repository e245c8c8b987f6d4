using System.Text.Json;
using VgtData.Config;
using VgtData.Datasets;
using VgtData.Loading;
using VgtData.Preparation;

namespace VgtData.Tests.Config;

/// <summary>The typed config: records bound from the checked JSON, the schema read off them, defaults in one place,
/// and the image size known from the records before a dataset is opened.</summary>
public sealed class ConfigRecordTests : IDisposable
{
    private readonly ConfigDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private string Config(string json) => _dir.Write("config.json", json);

    [Fact]
    public void BindingRefusesAKeyNoRecordHolds()
    {
        var e = Assert.Throws<JsonException>(() => JsonSerializer.Deserialize<RootConfig>("""{ "train_dataloader": { "batchsize": 3 } }""", ConfigSchema.Json));
        Assert.Contains("batchsize", e.Message);
        Assert.Equal(3, JsonSerializer.Deserialize<RootConfig>("""{ "train_dataloader": { "batch_size": 3 } }""", ConfigSchema.Json)!.TrainDataloader.BatchSize);
    }

    [Fact]
    public void AbsentAndNullKeysTakeTheLibrarysDefaults()
    {
        var config = ResolvedConfig.Load(Config("""
            { "tokenizer": "embedded:o200k", "image_size": null,
              "dataset": { "data_path": "data.json", "unconditional": null }, "train_dataloader": { "batch_size": null } }
            """));
        var options = new CaptionDatasetOptions { DataPath = "", Text = null! };
        Assert.Equal(new DataLoaderOptions().BatchSize, config.Settings.TrainDataloader.BatchSize);
        Assert.Equal(32, config.Settings.TrainDataloader.BatchSize);
        Assert.Equal(options.ImageSize, config.Settings.ImageSize);
        Assert.Equal(448, config.Settings.ImageSize);
        Assert.Equal(options.Unconditional, config.Settings.Dataset!.Unconditional);
        Assert.Null(config.Settings.Dataset.ImageSize);  // inherited from the top level
        Assert.Equal("qwen25vl", config.Settings.PromptTemplate.GetValue<string>());
        // The reference prints the same defaults it reads off the records.
        Assert.Equal("32", ConfigSchema.Root["train_dataloader"].Children!["batch_size"].Default);
        Assert.Equal("448", ConfigSchema.Root["image_size"].Default);
        Assert.Equal("the enclosing value, else 448", ConfigSchema.Dataset["image_size"].Default);
    }

    [Fact]
    public void WholeNumbersWrittenAsFloatsBindAsIntegers()
    {
        var config = ResolvedConfig.Load(Config("""
            { "tokenizer": "embedded:o200k", "image_size": 2.56e2, "seed": -3.0,
              "dataset": { "data_path": "data.json", "unconditional": 1 },
              "train_dataloader": { "batch_size": 8.0, "collate_fn": { "resolutions": [[256.0, 128]] } } }
            """));
        Assert.Equal(256, config.Settings.ImageSize);
        Assert.Equal(-3, config.Settings.Seed);
        Assert.Equal(1.0, config.Settings.Dataset!.Unconditional);
        Assert.Equal(8, config.Settings.TrainDataloader.BatchSize);
        Assert.Equal([(256, 128)], config.Settings.TrainDataloader.CollateFn.Resolutions);
    }

    [Fact]
    public void EveryRecordPropertyIsASchemaKeyAndBack()
    {
        void Check(Type record, IReadOnlyDictionary<string, ConfigField> fields)
        {
            var info = ConfigSchema.Json.GetTypeInfo(record);
            Assert.Equal(info.Properties.Select(p => p.Name), fields.Keys);
        }
        Check(typeof(RootConfig), ConfigSchema.Root);
        Check(typeof(DatasetConfig), ConfigSchema.Dataset);
        Check(typeof(LoaderConfig), ConfigSchema.Root["train_dataloader"].Children!);
        Check(typeof(SamplerConfig), ConfigSchema.Root["train_dataloader"].Children!["sampler"].Children!);
        Check(typeof(CollateConfig), ConfigSchema.Root["train_dataloader"].Children!["collate_fn"].Children!);
        Check(typeof(ImageSourceConfig), ConfigSchema.Dataset["image_source"].Children!);
        Check(typeof(PromptTemplateConfig), ConfigSchema.PromptTemplate);
        Check(typeof(TokenizerConfig), ConfigSchema.TokenizerObject);
        var batch = ConfigSchema.Root["train_dataloader"].Children!["batch_size"];
        Assert.Equal((ValueKind.Int, 1.0, 65_536.0), (batch.Kind, batch.Min, batch.Max));
        Assert.Equal(ValueKind.Path, ConfigSchema.Dataset["data_path"].Kind);
        Assert.Equal("crop_mode", ConfigSchema.Root["train_dataloader"].Children!["collate_fn"].Children!["resize_mode"].AliasOf);
        Assert.NotNull(ConfigSchema.Dataset["decoder"].Removed);
    }

    [Fact]
    public void ResizeOnDeviceIsCheckedFromTheRecordsBeforeAnyDatasetIsOpened()
    {
        // Neither data file exists: opening a dataset would fail first, so the message proves no dataset was opened.
        var path = Config("""
            { "tokenizer": "embedded:o200k", "train_dataloader": { "resize_on": "device" },
              "dataset": { "type": "ConcatDataset", "datasets": [
                { "data_path": "a.json", "image_size": 256 }, { "data_path": "b.json" },
                { "data_path": "c.json", "image_latents_folder": "latents", "image_size": 64 } ] } }
            """);
        var e = Assert.Throws<ConfigException>(() => Pipeline.Build(ResolvedConfig.Load(path)));
        Assert.Equal($"error: {path}: train_dataloader.resize_on: \"device\" needs every batch at image_size: the datasets' image_size " +
            "differ (256, 448) and samples would need a second resize to the batch's size; use resize_on: cpu", Assert.Single(e.Issues).ToString());
    }

    [Fact]
    public void TheLoaderLaysOutBatchesAtTheDatasetsSampleSize()
    {
        SyntheticDataset.Write(_dir.Root, 4, [(96, 96)], seed: 1, workers: 1);
        var config = ResolvedConfig.Load(Config("""
            { "tokenizer": "embedded:o200k", "image_size": 64,
              "dataset": { "type": "ConcatDataset", "datasets": [ { "data_path": "data.json", "image_folder": "." }, { "data_path": "data.json", "image_folder": "." } ] },
              "train_dataloader": { "batch_size": 2, "num_workers": 0, "sampler": { "type": "DefaultSampler", "shuffle": false } } }
            """));
        using var pipeline = Pipeline.Build(config);
        Assert.Equal((64, 64), pipeline.Dataset.SampleSize);
        using var loader = pipeline.CreateLoader(pipeline.LoaderOptions with { MaxBatches = 1 });
        using var batch = Assert.Single(loader);
        Assert.Equal([2L, 3, 64, 64], batch.PixelValues!.shape);
    }
}
