using System.Text.Json;
using VgtData.Config;
using VgtData.Images;

namespace VgtData.Cli.Commands;

/// <summary>One sample exactly as the loader makes it, written for side-by-side checks with the Python anchor.</summary>
[Option("index", "I", null, "dataset index of the sample")]
[Option("seed", "S", "the config's seed", "replaces the config's seed")]
[Option("epoch", "E", "0", "epoch the sample's random draws belong to")]
[Option("out", "DIR", null, "folder for pixel_values.npy and sample.json")]
[Option("set", "KEY.PATH=VALUE", "none", "override one config value", Repeatable = true)]
public sealed class SampleCommand : ICommand
{
    public string Name => "sample";
    public string Summary => "write one sample: DIR/pixel_values.npy (float32 [3,H,W]) and DIR/sample.json";
    public string Usage => "sample CONFIG --index I [--seed S] [--epoch E] --out DIR [--set KEY=VALUE ...]";

    public int Run(CommandArgs args, CliContext context)
    {
        var config = ConfigArgs.Load(args);
        int index = args.Int("index", -1);
        if (index < 0) throw new UsageException("--index is required (a non-negative integer)");
        var seedText = args.Option("seed");
        long? seed = seedText is null ? null : args.Long("seed", 0);
        int epoch = args.Int("epoch", 0);
        var outDir = args.Required("out");
        args.RejectUnknown();
        OutputPaths.CreateDirectory(outDir, "--out");

        using var pipeline = PipelineFactory.Build(config, seed);
        if (index >= pipeline.Dataset.Count) throw new VgtDataException($"--index {index} is outside the dataset's {pipeline.Dataset.Count} samples");
        using var sample = pipeline.Dataset.GetSample(index, epoch);
        using var resized = sample.Pixels is null && sample.Crop is { } crop ? DeviceResize.ResizeToImage(crop, sample.CropResizeTo) : null;
        if ((sample.Pixels ?? resized) is { } pixels)
        {
            var chw = new float[3 * pixels.Width * pixels.Height];
            PixelValues.ToChw(pixels.Pixels, chw, pixels.Height, pixels.Width);
            NpyWriter.WriteFloat32(Path.Combine(outDir, "pixel_values.npy"), chw, [3, pixels.Height, pixels.Width]);
        }
        using (var stream = File.Create(Path.Combine(outDir, "sample.json")))
        using (var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteStartArray("input_ids");
            foreach (var id in sample.InputIds) json.WriteNumberValue(id);
            json.WriteEndArray();
            json.WriteString("image_file", sample.ImageFile);
            json.WriteString("caption", sample.Caption);
            json.WriteBoolean("cfg", sample.Cfg);
            json.WriteNumber("index", sample.Index);
            json.WriteNumber("source_index", sample.SourceIndex);
            json.WriteString("type", sample.Type);
            json.WriteEndObject();
        }
        context.Out.WriteLine($"sample {index}{(sample.SourceIndex != index ? $" (replaced by entry {sample.SourceIndex})" : "")}: " +
            $"{sample.ImageFile}, {sample.InputIds.Length} ids, cfg={sample.Cfg.ToString().ToLowerInvariant()} -> {outDir}");
        foreach (var f in pipeline.Dataset.Failures.Recorded) context.Error.WriteLine($"bad sample: {f}");
        return 0;
    }
}
