using VgtData.Collate;
using VgtData.Datasets;
using VgtData.Text;
using static TorchSharp.torch;

namespace VgtData.Tests.Latents;

/// <summary>image_latents_folder / image_tokens_folder through the dataset and the collate, on the torch.save fixtures.</summary>
public sealed class LatentDatasetTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "vgtdata-latents-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }

    private CaptionDataset Dataset(string images, string? latents = null, string? tokens = null)
    {
        Directory.CreateDirectory(_dir);
        var manifest = Path.Combine(_dir, "data.json");
        File.WriteAllText(manifest, images);
        var template = PromptTemplate.Get("qwen25vl");
        return new CaptionDataset(new CaptionDatasetOptions
        {
            DataPath = manifest,
            ImageFolder = _dir,
            Unconditional = 0,
            ImageLatentsFolder = latents,
            ImageTokensFolder = tokens,
            FailureWindow = 10,
            MaxReplacements = 3,
            Text = new CaptionTokenizer(DefaultTokenizer.O200k(template), template, null),
        });
    }

    [SkippableFact]
    public void LatentsLoadAndStackWithTheirDtypeShapeAndSum()
    {
        var folder = SharedData.Require("golden/latents");
        using var ds = Dataset("""[{"image": "images/10000.png", "caption": "a"}, {"image": "10000.png", "caption": "bb cc"}]""", latents: folder);
        using var a = ds.GetSample(0);
        using var b = ds.GetSample(1);
        Assert.Null(a.Pixels);
        Assert.Equal(ScalarType.Float32, a.ImageLatents!.dtype);
        Assert.Equal(new long[] { 32, 14, 14 }, a.ImageLatents.shape);
        Assert.Equal(-86.22477722167969, a.ImageLatents.sum().item<float>(), 2);

        var tensors = ds.GetTensor(0);
        Assert.False(tensors.ContainsKey("pixel_values"));
        Assert.Equal(new long[] { 32, 14, 14 }, tensors["image_latents"].shape);

        using var batch = new Collator(new CollateOptions { PadIndex = 7 }).Collate([a, b]);
        Assert.Null(batch.PixelValues);
        Assert.Equal(new long[] { 2, 32, 14, 14 }, batch.ImageLatents!.shape);
        Assert.Equal(2 * -86.22477722167969, batch.ImageLatents.sum().item<float>(), 1);
        Assert.Equal(2, batch.InputIds.shape[0]);
        Assert.True(batch.AttentionMask[0].sum().item<long>() < batch.AttentionMask[1].sum().item<long>());
    }

    [SkippableFact]
    public void ImageTokensAreInt64()
    {
        var folder = SharedData.Require("golden/latents");
        using var ds = Dataset("""[{"image": "tokens_10000.png", "caption": "a"}]""", tokens: folder);
        using var s = ds.GetSample(0);
        Assert.Equal(ScalarType.Int64, s.ImageTokens!.dtype);
        Assert.Equal(new long[] { 256 }, s.ImageTokens.shape);
        Assert.Equal(1915590L, s.ImageTokens.sum().item<long>());
        using var batch = new Collator(new CollateOptions()).Collate([s]);
        Assert.Equal(new long[] { 1, 256 }, batch.ImageTokens!.shape);
    }

    [Fact]
    public void MissingLatentsFileIsRecordedWithItsReason()
    {
        var folder = Path.Combine(_dir, "latents");
        Directory.CreateDirectory(folder);
        using var ds = Dataset("""[{"image": "nope.png", "caption": "a"}]""", latents: folder);
        var e = Assert.Throws<VgtDataException>(() => ds.GetSample(0));
        Assert.Contains("nope.png.pt", e.Message);
        var f = ds.Failures.Recorded[0];
        Assert.Equal(SampleFailureReason.MissingLatents, f.Reason);
        Assert.Equal(Path.Combine(folder, "nope.png.pt"), f.Path);
    }

    [Fact]
    public void UnreadableLatentsFileIsRecordedWithItsReason()
    {
        var folder = Path.Combine(_dir, "latents");
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "x.png.pt"), "not a zip");
        using var ds = Dataset("""[{"image": "x.png", "caption": "a"}]""", latents: folder);
        Assert.Throws<VgtDataException>(() => ds.GetSample(0));
        Assert.Equal(SampleFailureReason.UnreadableLatents, ds.Failures.Recorded[0].Reason);
    }
}
