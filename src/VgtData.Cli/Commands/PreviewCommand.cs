using VgtData.Config;
using VgtData.Preview;

namespace VgtData.Cli.Commands;

/// <summary><c>vgtdata preview CONFIG --out FILE</c>: a contact sheet of the first samples the model would receive.</summary>
[Option("out", "FILE.html|FILE.png", null, "FILE.html: one self-contained page, CFG samples badged in red; FILE.png: a thumbnail grid (red border = CFG) and FILE.png.json listing each cell")]
[Option("count", "N", "16", "samples to show")]
[Option("seed", "S", "the config's seed", "replaces the config's seed (sampler order, crops, CFG draws)")]
[Option("set", "KEY.PATH=VALUE", "none", "override one config value", Repeatable = true)]
public sealed class PreviewCommand : ICommand
{
    public string Name => "preview";
    public string Summary => "contact sheet (HTML or PNG) of the first samples in sampler order, after crop, resize and CFG";
    public string Usage => "preview CONFIG --out FILE.html|FILE.png [--count N] [--seed S] [--set KEY.PATH=VALUE ...]";

    public int Run(CommandArgs args, CliContext context)
    {
        var configPath = args.Positional(0, "CONFIG");
        var output = args.Required("out");
        int count = args.Int("count", 16);
        var seedText = args.Option("seed");
        long? seed = seedText is null ? null : args.Long("seed", 0);
        var overrides = args.Options("set");
        args.RejectUnknown();
        if (args.Positionals.Count > 1) throw new UsageException($"unexpected argument '{args.Positionals[1]}'");
        if (count < 1) throw new UsageException($"--count must be at least 1, got {count}");
        bool html = output.EndsWith(".html", StringComparison.OrdinalIgnoreCase) || output.EndsWith(".htm", StringComparison.OrdinalIgnoreCase);
        bool png = output.EndsWith(".png", StringComparison.OrdinalIgnoreCase);
        if (!html && !png) throw new UsageException($"--out must end in .html or .png, got '{output}'");
        OutputPaths.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(output))!, "--out", output);

        var config = ConfigLoader.Load(configPath, overrides);
        using var pipeline = PipelineFactory.Build(config, seed);
        var indices = ContactSheet.SamplerIndices(pipeline.Sampler, Math.Min(count, pipeline.Dataset.Count), pipeline.Dataset.Count);
        var cells = ContactSheet.Collect(pipeline.Dataset, indices);
        if (html)
            ContactSheet.WriteHtml(cells, output, $"vgtdata preview: {Path.GetFileName(configPath)} (seed {pipeline.Seed})",
                caption => pipeline.Template.Build(caption, cfg: true));
        else
            ContactSheet.WritePng(cells, output);
        context.Out.WriteLine($"wrote {cells.Count} samples ({cells.Count(c => c.Cfg)} CFG) to {output}{(png ? $" and {output}.json" : "")}");
        return 0;
    }
}
