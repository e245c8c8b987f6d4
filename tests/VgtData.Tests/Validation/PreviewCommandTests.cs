using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using VgtData.Config;
using VgtData.Preview;

namespace VgtData.Tests.Validation;

public sealed class PreviewCommandTests : IDisposable
{
    private readonly TempDataset _tree = new();

    public void Dispose() => _tree.Dispose();

    private string Build(int entries = 12, double unconditional = 0.5)
    {
        var items = new List<string>();
        for (int i = 0; i < entries; i++)
        {
            _tree.WriteFile($"img/{i}.png", Images.Png(100 + 10 * i, 100 + 5 * (i % 3), r: (byte)(20 * i), g: (byte)(255 - 20 * i)));
            items.Add($$"""{"image": "img/{{i}}.png", "caption": "sample <{{i}}> & \"quoted\""}""");
        }
        _tree.WriteText("data.json", "[" + string.Join(",\n", items) + "]");
        return _tree.Config(unconditional: unconditional);
    }

    [Fact]
    public void Html_holds_one_thumbnail_per_sample_with_cfg_marks_matching_the_dataset()
    {
        var config = Build();
        var outPath = _tree.PathOf("out/preview.html");
        var (code, stdout, stderr) = Cli.Run("preview", config, "--out", outPath, "--count", "9", "--seed", "7");
        Assert.True(code == 0, stderr + stdout);
        var html = File.ReadAllText(outPath);

        Assert.Equal(9, Regex.Matches(html, "<img class=\"thumb\"[^>]*src=\"data:image/png;base64,").Count);
        var cells = Regex.Matches(html, "<figure class=\"cell( cfg)?\" data-index=\"(\\d+)\" data-cfg=\"(true|false)\">")
            .Select(m => (Index: int.Parse(m.Groups[2].Value), Cfg: m.Groups[3].Value == "true", CfgClass: m.Groups[1].Success)).ToList();
        Assert.Equal(9, cells.Count);
        Assert.Equal(9, cells.Select(c => c.Index).Distinct().Count());

        using var pipeline = PipelineFactory.Build(ConfigLoader.Load(config), seedOverride: 7);
        var expectedOrder = ContactSheet.SamplerIndices(pipeline.Sampler, 9, pipeline.Dataset.Count);
        Assert.Equal(expectedOrder, cells.Select(c => c.Index).ToList());
        foreach (var c in cells)
        {
            using var sample = pipeline.Dataset.GetSample(c.Index);
            Assert.Equal(sample.Cfg, c.Cfg);
            Assert.Equal(sample.Cfg, c.CfgClass);
        }
        Assert.Equal(cells.Count(c => c.Cfg), Regex.Matches(html, "<span class=\"badge\">CFG</span>").Count);
        Assert.Contains(cells, c => c.Cfg);
        Assert.Contains(cells, c => !c.Cfg);
        // Captions are escaped, image files shown.
        Assert.Contains("sample &lt;", html);
        Assert.Contains("&amp; &quot;quoted&quot;", html);
        Assert.DoesNotContain("<0>", html);
        Assert.Contains("img/", html);
    }

    [Fact]
    public void Html_thumbnails_are_the_samples_exact_pixels()
    {
        var config = Build(entries: 3, unconditional: 0);
        var outPath = _tree.PathOf("p.html");
        Assert.Equal(0, Cli.Run("preview", config, "--out", outPath, "--count", "3").Code);
        var html = File.ReadAllText(outPath);
        var first = Regex.Match(html, "data-index=\"(\\d+)\"[\\s\\S]*?base64,([A-Za-z0-9+/=]+)\"");
        using var image = Image.Load<Rgb24>(Convert.FromBase64String(first.Groups[2].Value));
        using var pipeline = PipelineFactory.Build(ConfigLoader.Load(config));
        using var sample = pipeline.Dataset.GetSample(int.Parse(first.Groups[1].Value));
        Assert.Equal((64, 64), (image.Width, image.Height));
        var bytes = new byte[64 * 64 * 3];
        image.CopyPixelDataTo(bytes);
        Assert.Equal(sample.Pixels!.Pixels.ToArray(), bytes);
    }

    [Fact]
    public void Png_grid_has_the_right_size_borders_and_sidecar()
    {
        var config = Build();
        var outPath = _tree.PathOf("sheet.png");
        var (code, stdout, stderr) = Cli.Run("preview", config, "--out", outPath, "--count", "7", "--seed", "3");
        Assert.True(code == 0, stderr + stdout);
        using var sheet = Image.Load<Rgb24>(outPath);
        var (columns, rows) = ContactSheet.GridShape(7);
        Assert.Equal((3, 3), (columns, rows));
        int cell = ContactSheet.Thumb + 2 * ContactSheet.Border;
        Assert.Equal(columns * cell + (columns + 1) * ContactSheet.Gap, sheet.Width);
        Assert.Equal(rows * cell + (rows + 1) * ContactSheet.Gap, sheet.Height);
        Assert.Equal(ContactSheet.GridSize(7), (sheet.Width, sheet.Height));

        var sidecar = JsonNode.Parse(File.ReadAllText(outPath + ".json"))!.AsObject();
        var cells = sidecar["cells"]!.AsArray();
        Assert.Equal(7, cells.Count);
        using var pipeline = PipelineFactory.Build(ConfigLoader.Load(config), seedOverride: 3);
        for (int i = 0; i < cells.Count; i++)
        {
            var c = cells[i]!;
            using var sample = pipeline.Dataset.GetSample(c["index"]!.GetValue<int>());
            Assert.Equal(sample.Cfg, c["cfg"]!.GetValue<bool>());
            Assert.Equal(sample.Caption, c["caption"]!.GetValue<string>());
            // The top-left border pixel of the cell has the CFG / caption colour.
            int x = ContactSheet.Gap + (i % columns) * (cell + ContactSheet.Gap) + 1;
            int y = ContactSheet.Gap + (i / columns) * (cell + ContactSheet.Gap) + 1;
            Assert.Equal(sample.Cfg ? ContactSheet.CfgColour : ContactSheet.CaptionColour, sheet[x, y]);
        }
    }

    [Fact]
    public void Other_extensions_are_usage_errors()
    {
        var config = Build(entries: 1);
        Assert.Equal(2, Cli.Run("preview", config, "--out", _tree.PathOf("x.jpg")).Code);
        Assert.Equal(2, Cli.Run("preview", config).Code);
    }
}
