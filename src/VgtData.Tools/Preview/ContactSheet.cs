using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;
using VgtData.Datasets;
using VgtData.Images;
using VgtData.Sampling;

namespace VgtData.Preview;

/// <summary>One sample as the model receives it: the cropped, resized pixels (as PNG) and the caption or CFG flag.</summary>
internal sealed record PreviewCell
{
    public required int Index { get; init; }
    public required int SourceIndex { get; init; }
    public required int Dataset { get; init; }
    public required string ImageFile { get; init; }
    public required string Caption { get; init; }
    public required bool Cfg { get; init; }
    public required int Tokens { get; init; }

    /// <summary>The sample's pixels, exactly, as PNG (null when the dataset serves latents or image tokens).</summary>
    public byte[]? Png { get; init; }
    public int Width { get; init; }
    public int Height { get; init; }
}

/// <summary>
/// A contact sheet of what the model receives: <see cref="ISampleDataset.GetSample"/> for the first indices of the
/// sampler's order (after crop, resize, CFG and any bad-sample replacement). Written as one self-contained HTML page or as
/// a PNG grid with a coloured border per cell (red: CFG, green: caption) and a JSON sidecar.
/// </summary>
internal static class ContactSheet
{
    /// <summary>Each thumbnail fits in a square of this many pixels in the PNG grid.</summary>
    public const int Thumb = 192;
    /// <summary>Border width around each thumbnail in the PNG grid.</summary>
    public const int Border = 6;
    /// <summary>Space between cells and around the grid.</summary>
    public const int Gap = 8;

    public static Rgb24 CfgColour { get; } = new(220, 30, 30);
    public static Rgb24 CaptionColour { get; } = new(30, 170, 60);
    public static Rgb24 Background { get; } = new(32, 32, 32);

    /// <summary>The first <paramref name="count"/> indices of a sampler (<see cref="ISampler"/> or <see cref="IBatchSampler"/>),
    /// or 0..count-1 for anything else.</summary>
    public static IReadOnlyList<int> SamplerIndices(object sampler, int count, int datasetCount)
    {
        IEnumerable<long> order = sampler switch
        {
            ISampler s => s.Indices(),
            IBatchSampler b => b.Batches().SelectMany(x => x),
            _ => Enumerable.Range(0, datasetCount).Select(i => (long)i),
        };
        return order.Take(count).Select(i => checked((int)i)).ToList();
    }

    public static List<PreviewCell> Collect(ISampleDataset dataset, IEnumerable<int> indices, int epoch = 0)
    {
        var cells = new List<PreviewCell>();
        foreach (var index in indices)
        {
            using var sample = dataset.GetSample(index, epoch);
            byte[]? png = null;
            using var resized = sample.Pixels is null && sample.Crop is { } crop ? DeviceResize.ResizeToImage(crop, sample.CropResizeTo) : null;
            var shown = sample.Pixels ?? resized;
            if (shown is { } pixels)
            {
                using var image = ToImage(pixels);
                using var ms = new MemoryStream();
                image.SaveAsPng(ms);
                png = ms.ToArray();
            }
            cells.Add(new PreviewCell
            {
                Index = index,
                SourceIndex = sample.SourceIndex,
                Dataset = sample.Source,
                ImageFile = sample.ImageFile,
                Caption = sample.Caption,
                Cfg = sample.Cfg,
                Tokens = sample.InputIds.Length,
                Png = png,
                Width = shown?.Width ?? 0,
                Height = shown?.Height ?? 0,
            });
        }
        return cells;
    }

    public static Image<Rgb24> ToImage(RgbImage pixels) =>
        Image.LoadPixelData<Rgb24>(ImageSharpRoute.SingleThreaded, pixels.Pixels, pixels.Width, pixels.Height);

    /// <summary>Columns and rows of the PNG grid for <paramref name="count"/> cells: ceil(sqrt(n)) columns.</summary>
    public static (int Columns, int Rows) GridShape(int count)
    {
        int columns = Math.Max(1, (int)Math.Ceiling(Math.Sqrt(count)));
        return (columns, Math.Max(1, (count + columns - 1) / columns));
    }

    /// <summary>The PNG grid's size: each cell is <see cref="Thumb"/> plus its border, with <see cref="Gap"/> around all.</summary>
    public static (int Width, int Height) GridSize(int count)
    {
        var (columns, rows) = GridShape(count);
        int cell = Thumb + 2 * Border;
        return (columns * cell + (columns + 1) * Gap, rows * cell + (rows + 1) * Gap);
    }

    /// <summary>Writes the PNG grid to <paramref name="path"/> and <c>path.json</c> listing each cell.</summary>
    public static void WritePng(IReadOnlyList<PreviewCell> cells, string path)
    {
        var (width, height) = GridSize(cells.Count);
        var (columns, _) = GridShape(cells.Count);
        using var sheet = new Image<Rgb24>(ImageSharpRoute.SingleThreaded, width, height, Background);
        int cell = Thumb + 2 * Border;
        for (int i = 0; i < cells.Count; i++)
        {
            int x0 = Gap + (i % columns) * (cell + Gap), y0 = Gap + (i / columns) * (cell + Gap);
            Fill(sheet, x0, y0, cell, cell, cells[i].Cfg ? CfgColour : CaptionColour);
            Fill(sheet, x0 + Border, y0 + Border, Thumb, Thumb, new Rgb24(96, 96, 96));
            if (cells[i].Png is not { } png) continue;
            using var thumb = Image.Load<Rgb24>(ImageSharpRoute.SingleThreaded, png);
            double scale = Math.Min((double)Thumb / thumb.Width, (double)Thumb / thumb.Height);
            int tw = Math.Max(1, (int)Math.Round(thumb.Width * scale)), th = Math.Max(1, (int)Math.Round(thumb.Height * scale));
            thumb.Mutate(c => c.Resize(tw, th, KnownResamplers.Triangle));
            int tx = x0 + Border + (Thumb - tw) / 2, ty = y0 + Border + (Thumb - th) / 2;
            thumb.ProcessPixelRows(sheet, (src, dst) =>
            {
                for (int y = 0; y < th; y++) src.GetRowSpan(y).CopyTo(dst.GetRowSpan(ty + y).Slice(tx, tw));
            });
        }
        EnsureFolder(path);
        sheet.SaveAsPng(path);

        using var stream = File.Create(path + ".json");
        using var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
        w.WriteStartObject();
        w.WriteNumber("columns", columns);
        w.WriteNumber("rows", GridShape(cells.Count).Rows);
        w.WriteNumber("thumb", Thumb);
        w.WriteNumber("border", Border);
        w.WriteNumber("gap", Gap);
        w.WriteString("legend", "red border: CFG (the model gets the unconditional prompt), green border: the caption");
        w.WriteStartArray("cells");
        for (int i = 0; i < cells.Count; i++)
        {
            var c = cells[i];
            w.WriteStartObject();
            w.WriteNumber("row", i / columns);
            w.WriteNumber("column", i % columns);
            w.WriteNumber("index", c.Index);
            w.WriteNumber("source_index", c.SourceIndex);
            w.WriteNumber("dataset", c.Dataset);
            w.WriteString("image_file", c.ImageFile);
            w.WriteString("caption", c.Caption);
            w.WriteBoolean("cfg", c.Cfg);
            w.WriteNumber("tokens", c.Tokens);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
    }

    private static void Fill(Image<Rgb24> image, int x, int y, int w, int h, Rgb24 colour) =>
        image.ProcessPixelRows(rows =>
        {
            for (int r = y; r < y + h; r++) rows.GetRowSpan(r).Slice(x, w).Fill(colour);
        });

    /// <summary>One self-contained HTML page: each sample's exact pixels as a base64 PNG data URI, captions escaped,
    /// CFG samples with a red border and a badge. <paramref name="cfgPrompt"/> renders the prompt a CFG sample gets.</summary>
    public static string Html(IReadOnlyList<PreviewCell> cells, string title, Func<string, string>? cfgPrompt = null)
    {
        static string E(string s) => WebUtility.HtmlEncode(s);
        var ci = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.Append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>").Append(E(title)).Append("</title>\n<style>\n")
          .Append("body{font-family:system-ui,sans-serif;background:#202124;color:#e8eaed;margin:16px}\n")
          .Append("h1{font-size:18px;font-weight:600} .legend span{display:inline-block;padding:2px 8px;border-radius:4px;margin-right:8px}\n")
          .Append(".grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(240px,1fr));gap:12px}\n")
          .Append(".cell{margin:0;background:#2d2e31;border:5px solid #1eaa3c;border-radius:6px;padding:8px;position:relative}\n")
          .Append(".cell.cfg{border-color:#dc1e1e}\n")
          .Append(".cell img{width:100%;height:auto;image-rendering:auto;display:block;background:#555}\n")
          .Append(".badge{position:absolute;top:14px;left:14px;background:#dc1e1e;color:#fff;font-weight:700;font-size:12px;padding:2px 6px;border-radius:3px}\n")
          .Append(".meta{font-size:12px;color:#9aa0a6;margin:6px 0 2px;word-break:break-all}\n")
          .Append(".caption{font-size:13px;white-space:pre-wrap;word-wrap:break-word;max-height:12em;overflow:auto}\n")
          .Append(".cfg .caption{text-decoration:line-through;color:#9aa0a6} .prompt{font-size:12px;color:#f28b82;white-space:pre-wrap}\n")
          .Append(".nopix{height:160px;display:flex;align-items:center;justify-content:center;color:#9aa0a6;background:#3c4043}\n")
          .Append("</style></head><body>\n<h1>").Append(E(title)).Append("</h1>\n")
          .Append("<p class=\"legend\"><span style=\"background:#1eaa3c\">caption</span><span style=\"background:#dc1e1e\">CFG: the model gets the unconditional prompt</span>")
          .Append(string.Create(ci, $"{cells.Count} samples, {cells.Count(c => c.Cfg)} CFG</p>\n<div class=\"grid\">\n"));
        foreach (var c in cells)
        {
            sb.Append(string.Create(ci, $"<figure class=\"cell{(c.Cfg ? " cfg" : "")}\" data-index=\"{c.Index}\" data-cfg=\"{(c.Cfg ? "true" : "false")}\">\n"));
            if (c.Cfg) sb.Append("<span class=\"badge\">CFG</span>\n");
            if (c.Png is { } png)
                sb.Append(string.Create(ci, $"<img class=\"thumb\" width=\"{c.Width}\" height=\"{c.Height}\" alt=\"sample {c.Index}\" src=\"data:image/png;base64,"))
                  .Append(Convert.ToBase64String(png)).Append("\">\n");
            else sb.Append("<div class=\"nopix\">no pixels (latents / image tokens)</div>\n");
            sb.Append("<figcaption><div class=\"meta\">")
              .Append(string.Create(ci, $"#{c.Index}"));
            if (c.SourceIndex != c.Index) sb.Append(string.Create(ci, $" (replaced by entry {c.SourceIndex})"));
            sb.Append(string.Create(ci, $" · dataset {c.Dataset} · {c.Width}×{c.Height} · {c.Tokens} tokens<br>")).Append(E(c.ImageFile)).Append("</div>\n")
              .Append("<div class=\"caption\">").Append(E(c.Caption)).Append("</div>\n");
            if (c.Cfg && cfgPrompt != null) sb.Append("<div class=\"prompt\">prompt: ").Append(E(cfgPrompt(c.Caption))).Append("</div>\n");
            sb.Append("</figcaption></figure>\n");
        }
        sb.Append("</div>\n</body></html>\n");
        return sb.ToString();
    }

    public static void WriteHtml(IReadOnlyList<PreviewCell> cells, string path, string title, Func<string, string>? cfgPrompt = null)
    {
        EnsureFolder(path);
        File.WriteAllText(path, Html(cells, title, cfgPrompt), new UTF8Encoding(false));
    }

    private static void EnsureFolder(string path)
    {
        var dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(dir)) Directory.CreateDirectory(dir);
    }
}
