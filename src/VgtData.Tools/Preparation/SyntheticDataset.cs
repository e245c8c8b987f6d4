using System.Text;
using System.Text.Json;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.PixelFormats;
using VgtData.Datasets;

namespace VgtData.Preparation;

/// <summary>
/// Writes a small dataset in the seed's layout (<c>images/NNNNNN.png</c> + <c>data.json</c>): soft, photo-like PNGs
/// (gradients, blurred blobs, grain) in square, portrait and landscape shapes, with varied captions. Deterministic per seed.
/// Used by the demo, the examples and tests, so nothing needs downloading.
/// </summary>
public static class SyntheticDataset
{
    private static readonly string[] Subjects = ["a red fox", "an old lighthouse", "a bowl of ramen", "a mountain lake", "a city street at night",
        "a sleeping cat", "a sailboat", "a field of sunflowers", "a glass teapot", "a snowy forest", "a vintage car", "a hummingbird"];
    private static readonly string[] Styles = ["in watercolor", "as a studio photograph", "in soft morning light", "as an oil painting",
        "with dramatic shadows", "in a minimalist style", "seen from above", "under a starry sky"];
    private static readonly string[] Details = ["with mist in the background", "surrounded by autumn leaves", "reflected in still water",
        "next to a wooden fence", "with warm golden tones", "in high detail", "on a rainy afternoon"];

    public static string Caption(int i, ulong seed)
    {
        var r = new SampleRandom((long)seed, 0, i, stream: 11);
        var sb = new StringBuilder();
        sb.Append(Subjects[r.NextInt(Subjects.Length)]).Append(' ').Append(Styles[r.NextInt(Styles.Length)]);
        if (r.NextDouble() < 0.7) sb.Append(", ").Append(Details[r.NextInt(Details.Length)]);
        return sb.ToString();
    }

    /// <summary>Writes <paramref name="count"/> images of the given sizes (cycled) into <paramref name="root"/>.</summary>
    public static string Write(string root, int count, IReadOnlyList<(int Width, int Height)> sizes, ulong seed = 0, int? workers = null)
    {
        var images = Path.Combine(root, "images");
        Directory.CreateDirectory(images);
        var encoder = new PngEncoder { CompressionLevel = PngCompressionLevel.Level2 };
        Parallel.For(0, count, new ParallelOptions { MaxDegreeOfParallelism = workers ?? Environment.ProcessorCount }, i =>
        {
            var (w, h) = sizes[i % sizes.Count];
            var path = Path.Combine(images, $"{i:D6}.png");
            if (File.Exists(path)) return;
            using var image = Render(w, h, seed * 1_000_003UL + (ulong)i);
            var tmp = path + ".tmp";
            image.Save(tmp, encoder);
            File.Move(tmp, path, overwrite: true);
        });
        var dataJson = Path.Combine(root, "data.json");
        using (var stream = File.Create(dataJson + ".tmp"))
        using (var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartArray();
            for (int i = 0; i < count; i++)
            {
                var (w, h) = sizes[i % sizes.Count];
                json.WriteStartObject();
                json.WriteString("image", $"images/{i:D6}.png");
                json.WriteString("caption", Caption(i, seed));
                json.WriteNumber("width", w);
                json.WriteNumber("height", h);
                json.WriteEndObject();
            }
            json.WriteEndArray();
        }
        File.Move(dataJson + ".tmp", dataJson, overwrite: true);
        return dataJson;
    }

    /// <summary>A soft, photo-like image: two-colour gradient, a few Gaussian blobs, low-frequency waves and grain.</summary>
    public static Image<Rgb24> Render(int width, int height, ulong seed)
    {
        var r = new SampleRandom((long)seed, 0, 0, stream: 12);
        float[] c0 = [(float)r.NextDouble(), (float)r.NextDouble(), (float)r.NextDouble()];
        float[] c1 = [(float)r.NextDouble(), (float)r.NextDouble(), (float)r.NextDouble()];
        double angle = r.NextDouble() * Math.PI * 2;
        float ax = (float)Math.Cos(angle), ay = (float)Math.Sin(angle);
        int blobs = 3 + r.NextInt(4);
        var blob = new (float X, float Y, float S, float R, float G, float B)[blobs];
        for (int k = 0; k < blobs; k++)
            blob[k] = ((float)r.NextDouble(), (float)r.NextDouble(), 0.05f + 0.2f * (float)r.NextDouble(),
                (float)r.NextDouble(), (float)r.NextDouble(), (float)r.NextDouble());
        float fx = 2 + 6 * (float)r.NextDouble(), fy = 2 + 6 * (float)r.NextDouble();
        var image = new Image<Rgb24>(width, height);
        image.ProcessPixelRows(rows =>
        {
            var grain = new SampleRandom((long)seed, 1, 0, stream: 13);
            for (int y = 0; y < height; y++)
            {
                var row = rows.GetRowSpan(y);
                float v = (float)y / height;
                for (int x = 0; x < width; x++)
                {
                    float u = (float)x / width;
                    float t = Math.Clamp(0.5f + (u - 0.5f) * ax + (v - 0.5f) * ay, 0, 1);
                    float red = c0[0] + (c1[0] - c0[0]) * t, green = c0[1] + (c1[1] - c0[1]) * t, blue = c0[2] + (c1[2] - c0[2]) * t;
                    foreach (var b in blob)
                    {
                        float dx = u - b.X, dy = v - b.Y;
                        float wgt = MathF.Exp(-(dx * dx + dy * dy) / (2 * b.S * b.S));
                        red += (b.R - red) * wgt; green += (b.G - green) * wgt; blue += (b.B - blue) * wgt;
                    }
                    float wave = 0.06f * MathF.Sin(u * fx * 6.283f) * MathF.Cos(v * fy * 6.283f);
                    float n = ((grain.NextUInt64() & 0xFF) / 255f - 0.5f) * 0.06f;
                    row[x] = new Rgb24(ToByte(red + wave + n), ToByte(green + wave + n), ToByte(blue + wave + n));
                }
            }
        });
        return image;
    }

    private static byte ToByte(float f) => (byte)Math.Clamp((int)(f * 255f + 0.5f), 0, 255);
}
