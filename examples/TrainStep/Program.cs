// TrainStep: how batches feed a training step. A deliberately tiny text-to-image model (hashed token embedding,
// masked mean-pool over attention_mask, a two-layer linear decoder) learns to predict pixel_values from input_ids with MSE
// and Adam.
// Each step runs in its own dispose scope, so no tensor outlives it. Exits 1 when the loss did not fall.
//
//   dotnet run --project examples/TrainStep -c Release [-- --steps N]
using System.Diagnostics;
using TorchSharp;
using TorchSharp.Modules;
using VgtData.Config;
using VgtData.Preparation;
using static TorchSharp.torch;

int steps = 300;
for (int i = 0; i < args.Length; i++)
{
    if (args[i] == "--steps" && i + 1 < args.Length) steps = int.Parse(args[++i]);
    else
    {
        Console.Error.WriteLine($"usage: TrainStep [--steps N] (unexpected '{args[i]}')");
        return 2;
    }
}
const int ImageSize = 32;
const int BatchSize = 16;

var dir = Directory.CreateTempSubdirectory("vgtdata-train-step-").FullName;
try
{
    SyntheticDataset.Write(dir, 64, [(128, 128), (96, 128), (128, 96)]); // the anchor drops images under 80 px
    var configPath = Path.Combine(dir, "config.json");
    File.WriteAllText(configPath, $$"""
        {
          "prompt_template": "qwen25vl",
          "tokenizer": "embedded:o200k",
          "image_size": {{ImageSize}},
          "pad_index": 0,
          "seed": 0,
          "dataset": { "type": "CaptionDataset", "data_path": "data.json", "image_folder": ".", "unconditional": 0.1, "max_length": 64 },
          "train_dataloader": {
            "batch_size": {{BatchSize}},
            "num_workers": 1,
            "prefetch_factor": 4,
            "sampler": { "type": "InfiniteSampler", "shuffle": true },
            "collate_fn": { "type": "collate_func_gen", "resolutions": [{{ImageSize}}, {{ImageSize}}] }
          }
        }
        """);

    torch.manual_seed(0);
    using var pipeline = Pipeline.Build(ResolvedConfig.Load(configPath));
    // libtorch's intra-op threads spin while they wait; sharing cores with the loader's decode threads makes every
    // step several times slower on a small machine. Leave the loader its cores.
    torch.set_num_threads(Math.Max(1, Environment.ProcessorCount - pipeline.LoaderOptions.NumWorkers));
    using var model = new TinyTextToImage(buckets: 4096, dim: 64, ImageSize);
    using var optimizer = torch.optim.Adam(model.parameters(), lr: 2e-3);
    Console.WriteLine($"model: {model.parameters().Sum(p => p.numel())} parameters; data: {pipeline.Dataset.Count} images, " +
        $"batch {BatchSize}, {ImageSize}x{ImageSize}, {steps} steps");

    var losses = new List<double>();
    var timer = Stopwatch.StartNew();
    var compute = new Stopwatch();
    using var loader = pipeline.CreateLoader(pipeline.LoaderOptions with { MaxBatches = steps });
    foreach (var batch in loader)
    {
        compute.Start();
        using (batch)
        using (torch.NewDisposeScope())
        {
            // The batch: input_ids [B,T] int64 padded with pad_index, attention_mask [B,T] bool, pixel_values [B,3,H,W] in [-1, 1].
            optimizer.zero_grad();
            var predicted = model.forward(batch.InputIds, batch.AttentionMask);
            var loss = torch.nn.functional.mse_loss(predicted, batch.PixelValues!);
            loss.backward();
            optimizer.step();
            losses.Add(loss.item<float>());
        }
        compute.Stop();
        int step = losses.Count;
        if (step == 1 || step % 25 == 0)
            Console.WriteLine($"step {step,4}: loss {losses[^1]:0.0000}  ({step * BatchSize / timer.Elapsed.TotalSeconds:0} samples/s)");
    }

    if (losses.Count != steps)
    {
        Console.Error.WriteLine($"FAIL: {losses.Count} steps ran, {steps} wanted");
        return 1;
    }
    int window = Math.Min(10, Math.Max(1, steps / 4));
    double first = losses.Take(window).Average(), last = losses.TakeLast(window).Average();
    Console.WriteLine($"loss first {losses[0]:0.0000} last {losses[^1]:0.0000}; mean of first {window} {first:0.0000}, of last {window} {last:0.0000} " +
        $"({timer.Elapsed.TotalSeconds:0.0} s, {steps * BatchSize / timer.Elapsed.TotalSeconds:0} samples/s; " +
        $"{compute.Elapsed.TotalSeconds:0.0} s in training steps, {(timer.Elapsed - compute.Elapsed).TotalSeconds:0.0} s waiting for batches)");
    if (!(losses[^1] < losses[0]) || !(last < first))
    {
        Console.Error.WriteLine("FAIL: the loss did not fall");
        return 1;
    }
    Console.WriteLine("ok: the loss fell");
    return 0;
}
catch (VgtData.VgtDataException e)
{
    Console.Error.WriteLine($"FAIL: {e.Message}");
    return 1;
}
finally
{
    Directory.Delete(dir, recursive: true);
}

/// <summary>input_ids → hashed embedding → mean over real tokens → Linear → ReLU → Linear → tanh → [B,3,S,S].</summary>
/// <remarks>The decoder is linear on purpose. A transposed-convolution decoder was tried first; on an AMD EPYC machine
/// libtorch's CPU convolution backward returned NaN at random steps (autograd anomaly mode named ConvolutionBackward0),
/// on a fixed batch with the loader stopped, so it said nothing about the data. This example is about the data.</remarks>
sealed class TinyTextToImage : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly long _buckets;
    private readonly int _imageSize;
    private readonly Embedding _embed;
    private readonly Linear _hidden;
    private readonly Linear _toPixels;

    public TinyTextToImage(long buckets, int dim, int imageSize) : base(nameof(TinyTextToImage))
    {
        // The vocabulary (o200k here, ~152k for Qwen) is hashed into a few thousand rows to keep the example small.
        _buckets = buckets;
        _imageSize = imageSize;
        _embed = nn.Embedding(buckets, dim);
        _hidden = nn.Linear(dim, 256);
        _toPixels = nn.Linear(256, 3L * imageSize * imageSize);
        RegisterComponents();
    }

    public override Tensor forward(Tensor inputIds, Tensor attentionMask)
    {
        var embedded = _embed.forward(inputIds.remainder(_buckets));                 // [B,T,D]
        var mask = attentionMask.unsqueeze(-1).to_type(embedded.dtype);            // [B,T,1]
        var pooled = (embedded * mask).sum(1) / mask.sum(1).clamp_min(1);           // [B,D]
        var hidden = _hidden.forward(pooled).relu();                                // [B,256]
        return _toPixels.forward(hidden).tanh().view(-1, 3, _imageSize, _imageSize); // [B,3,S,S]
    }
}
