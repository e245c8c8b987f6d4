using System.Text.Json;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;
using VgtData.Text;
using static TorchSharp.torch;

namespace VgtData.Cli;

/// <summary>
/// The C# baseline of the benchmark: the dataset a TorchSharp user writes by hand today — ImageSharp defaults,
/// crop, bicubic resize, a float tensor per sample — with none of VgtData's pipeline. Not for training use.
/// </summary>
public sealed class PlainImageSharpDataset : utils.data.Dataset
{
    private readonly List<(string Image, string Caption)> _entries;
    private readonly string _folder;
    private readonly int _size;
    private readonly CaptionTokenizer _text;

    public PlainImageSharpDataset(string dataJson, string imageFolder, int imageSize, CaptionTokenizer text)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(dataJson));
        _entries = doc.RootElement.EnumerateArray()
            .Select(e => (e.GetProperty("image").GetString()!, e.GetProperty("caption").GetString()!)).ToList();
        _folder = imageFolder;
        _size = imageSize;
        _text = text;
    }

    public override long Count => _entries.Count;

    public override Dictionary<string, Tensor> GetTensor(long index)
    {
        var (file, caption) = _entries[(int)index];
        using var image = Image.Load<Rgb24>(Path.Combine(_folder, file));
        int side = Math.Min(image.Width, image.Height);
        int offset = Random.Shared.Next(Math.Max(image.Width, image.Height) - side + 1);
        var crop = image.Width > image.Height ? new Rectangle(offset, 0, side, side) : new Rectangle(0, offset, side, side);
        image.Mutate(x => x.Crop(crop).Resize(_size, _size, KnownResamplers.Bicubic));
        var pixels = new float[3 * _size * _size];
        int plane = _size * _size;
        image.ProcessPixelRows(rows =>
        {
            for (int y = 0; y < _size; y++)
            {
                var row = rows.GetRowSpan(y);
                for (int x = 0; x < _size; x++)
                {
                    pixels[y * _size + x] = row[x].R / 255f * 2f - 1f;
                    pixels[plane + y * _size + x] = row[x].G / 255f * 2f - 1f;
                    pixels[2 * plane + y * _size + x] = row[x].B / 255f * 2f - 1f;
                }
            }
        });
        bool cfg = Random.Shared.NextDouble() < 0.1;
        return new Dictionary<string, Tensor>
        {
            ["pixel_values"] = tensor(pixels, new long[] { 3, _size, _size }),
            ["input_ids"] = tensor(_text.Tokenize(caption, cfg)),
        };
    }
}
