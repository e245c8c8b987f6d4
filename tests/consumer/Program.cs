// The README's snippet as a user's own console app builds it against the VgtData package (see run.sh).
// Usage: consumer CONFIG.json DATA_DIR   (writes a tiny generated dataset into DATA_DIR, then loads 3 batches)
using TorchSharp;
using VgtData;
using VgtData.Config;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

try
{
    const int batchSize = 4;
    WriteDataset(args[1], 12, [(512, 512), (512, 768), (768, 512)]);
    var config = ResolvedConfig.Load(args[0], [$"train_dataloader.batch_size={batchSize}"]);
    using var pipeline = Pipeline.Build(config);
    using var loader = pipeline.CreateLoader();
    int seen = 0;
    foreach (var batch in loader)            // endless with InfiniteSampler: the caller decides when to stop
    {
        using (batch)
        {
            var pixels = batch.PixelValues ?? throw new InvalidOperationException("batch has no pixel_values");
            long tokens = batch.InputIds.shape[1];
            Expect(pixels.shape, [batchSize, 3, 448, 448], pixels.dtype, torch.ScalarType.Float32, "pixel_values");
            Expect(batch.InputIds.shape, [batchSize, tokens], batch.InputIds.dtype, torch.ScalarType.Int64, "input_ids");
            Expect(batch.AttentionMask.shape, [batchSize, tokens], batch.AttentionMask.dtype, torch.ScalarType.Bool, "attention_mask");
            if (tokens < 2) throw new InvalidOperationException($"input_ids has only {tokens} tokens");
            Console.WriteLine($"consumer: batch {batch.Number} pixel_values [{string.Join(", ", pixels.shape)}] {pixels.dtype}, " +
                              $"input_ids [{string.Join(", ", batch.InputIds.shape)}], state {loader.State.Batches} batches");
        }
        if (++seen == 3) break;
    }
    if (loader.State.Batches != 3) throw new InvalidOperationException($"loader.State counts {loader.State.Batches} batches, expected 3");
    Console.WriteLine("consumer: ok");
    return 0;
}
catch (VgtDataException e)
{
    Console.Error.WriteLine($"consumer: {e.Message}");
    return 3;
}

static void Expect(long[] shape, long[] expected, torch.ScalarType dtype, torch.ScalarType expectedType, string name)
{
    if (!shape.SequenceEqual(expected) || dtype != expectedType)
        throw new InvalidOperationException($"{name}: got [{string.Join(", ", shape)}] {dtype}, expected [{string.Join(", ", expected)}] {expectedType}");
}

// A tiny dataset in the anchor's layout (images/NNNNNN.png + data.json), written with ImageSharp, which VgtData brings.
static void WriteDataset(string root, int count, (int Width, int Height)[] sizes)
{
    Directory.CreateDirectory(Path.Combine(root, "images"));
    var entries = new List<object>();
    for (int i = 0; i < count; i++)
    {
        var (w, h) = sizes[i % sizes.Length];
        using var image = new Image<Rgb24>(w, h);
        image.ProcessPixelRows(rows =>
        {
            for (int y = 0; y < h; y++)
            {
                var row = rows.GetRowSpan(y);
                for (int x = 0; x < w; x++) row[x] = new Rgb24((byte)(x * 255 / w), (byte)(y * 255 / h), (byte)(i * 20));
            }
        });
        var name = $"images/{i:D6}.png";
        image.SaveAsPng(Path.Combine(root, name));
        entries.Add(new { image = name, caption = $"a gradient number {i}", width = w, height = h });
    }
    File.WriteAllText(Path.Combine(root, "data.json"), System.Text.Json.JsonSerializer.Serialize(entries));
}
