// Writes a replica of one VGT recipe's download, as its docs/datasets/*.md leaves it, for benchmarks/recipes-bench.sh:
//   dotnet run -c Release --project benchmarks/RecipesBench -- NAME ROOT [--samples 2000] [--per-part 500] [--seed 1]
// ROOT is the dataset folder the recipe names (data/sharegpt-4o-image, data/BLIP3o-60k, ...). Every sample is a
// distinct, photo-like image (512x512, 576x448 or 448x576; JPEG, or PNG where the dataset holds PNGs) with a caption;
// nothing is left out or broken, so prepare keeps every row and the loader reads every sample. Prints one line: what
// the download holds.
using System.Formats.Tar;
using System.IO.Compression;
using System.Text.Json;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.PixelFormats;
using VgtData.Preparation;
using VgtData.Tests.Preparation;

if (args.Length < 2 || args[0].StartsWith('-'))
{
    Console.Error.WriteLine("usage: RecipesBench NAME ROOT [--samples N] [--per-part K] [--seed S]");
    return 2;
}
var options = new Dictionary<string, int> { ["--samples"] = 2000, ["--per-part"] = 500, ["--seed"] = 1 };
for (int a = 2; a < args.Length; a += 2)
{
    if (!options.ContainsKey(args[a]) || a + 1 >= args.Length || !int.TryParse(args[a + 1], out var value) || value < 1)
    {
        Console.Error.WriteLine($"RecipesBench: bad option '{args[a]}' (--samples, --per-part, --seed take a whole number >= 1)");
        return 2;
    }
    options[args[a]] = value;
}
var replica = new Replica(args[1], options["--samples"], options["--per-part"], (ulong)options["--seed"]);
string? holds = args[0] switch
{
    "sharegpt-4o-image" => replica.ShareGpt(),
    "echo-4o-image" => replica.Echo(),
    "blip3o-60k" => replica.Blip3o(),
    "text-to-image-2m" => replica.TextToImage(),
    "laion-6m" or "redcaps-5m" => replica.Img2Dataset(),
    "megalith-10m" => replica.CaptionTars(folder: p => $"{p:D5}", imagePart: p => $"{p:D5}", "caption_internlm2_short"),
    "cc12m" => replica.CaptionTars(folder: p => $"{p:D4}", imagePart: p => $"cc12m-train-{p:D4}", "caption"),
    "midjourney-23m" => replica.Midjourney(),
    "imagenet1k-t2i" => replica.Imagenet(),
    _ => null,
};
if (holds is null)
{
    Console.Error.WriteLine($"RecipesBench: unknown recipe '{args[0]}'");
    return 2;
}
Console.WriteLine(holds);
return 0;

internal sealed class Replica(string root, int samples, int perPart, ulong seed)
{
    private static readonly (int W, int H)[] Sizes = [(512, 512), (576, 448), (448, 576)];
    private const int Bases = 8;
    private readonly Lazy<Image<Rgb24>>[] _bases = Enumerable.Range(0, Sizes.Length * Bases)
        .Select(k => new Lazy<Image<Rgb24>>(() => SyntheticDataset.Render(Sizes[k / Bases].W, Sizes[k / Bases].H, seed * 1000 + (ulong)k))).ToArray();

    private int Parts => (samples + perPart - 1) / perPart;

    private IEnumerable<int> InPart(int part) => Enumerable.Range(part * perPart, Math.Min(perPart, samples - part * perPart));

    private string Caption(int i) => SyntheticDataset.Caption(i, seed);

    private static (int W, int H) SizeOf(int i) => Sizes[i % Sizes.Length];

    /// <summary>Sample <paramref name="i"/>'s image: one of a few rendered pictures of its size, shifted by an amount of
    /// its own, with its index stamped as 4x4 blocks in the corner, so no two samples share their pixels.</summary>
    private byte[] Image(int i, bool png = false)
    {
        var (w, h) = SizeOf(i);
        var source = _bases[i % Sizes.Length * Bases + i / Sizes.Length % Bases].Value;
        int dx = i * 37 % w, dy = i * 53 % h;
        using var image = new Image<Rgb24>(w, h);
        var rows = new Rgb24[h][];
        source.ProcessPixelRows(s =>
        {
            for (int y = 0; y < h; y++) rows[y] = s.GetRowSpan(y).ToArray();
        });
        image.ProcessPixelRows(d =>
        {
            for (int y = 0; y < h; y++)
            {
                var from = rows[(y + dy) % h];
                var to = d.GetRowSpan(y);
                from.AsSpan(dx).CopyTo(to);
                from.AsSpan(0, dx).CopyTo(to[(w - dx)..]);
                if (y < 4)
                    for (int bit = 0; bit < 16; bit++)
                        to.Slice(bit * 4, 4).Fill((i >> bit & 1) == 1 ? new Rgb24(255, 255, 255) : new Rgb24(0, 0, 0));
            }
        });
        using var ms = new MemoryStream();
        if (png) image.Save(ms, new PngEncoder { CompressionLevel = PngCompressionLevel.Level1, FilterMethod = PngFilterMethod.Sub });
        else image.Save(ms, new JpegEncoder { Quality = 90 });
        return ms.ToArray();
    }

    /// <summary>The images of <paramref name="indices"/>, encoded on every core.</summary>
    private Dictionary<int, byte[]> Images(IEnumerable<int> indices, Func<int, bool>? png = null)
    {
        var list = indices.ToArray();
        var bytes = new byte[list.Length][];
        Parallel.For(0, list.Length, k => bytes[k] = Image(list[k], png?.Invoke(list[k]) ?? false));
        return list.Select((i, k) => (i, k)).ToDictionary(x => x.i, x => bytes[x.k]);
    }

    private static byte[] Json(object value) => JsonSerializer.SerializeToUtf8Bytes(value);

    private static byte[] Text(string text) => System.Text.Encoding.UTF8.GetBytes(text);

    private string Path(string relative)
    {
        var path = System.IO.Path.Combine(root, relative);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
        return path;
    }

    /// <summary>A tar (gzip-compressed when <paramref name="gzip"/>) of <paramref name="members"/> in order.</summary>
    private void Tar(string relative, IEnumerable<(string Name, byte[] Bytes)> members, bool gzip = false)
    {
        using var file = File.Create(Path(relative));
        using Stream stream = gzip ? new GZipStream(file, CompressionLevel.Fastest) : file;
        using var tar = new TarWriter(stream, TarEntryFormat.Ustar);
        foreach (var (name, bytes) in members)
            tar.WriteEntry(new UstarTarEntry(TarEntryType.RegularFile, name)
            {
                DataStream = new MemoryStream(bytes),
                Mode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead,
                ModificationTime = new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero),
            });
    }

    private void Write(string relative, byte[] bytes) => File.WriteAllBytes(Path(relative), bytes);

    public string ShareGpt()
    {
        for (int p = 0; p < Parts; p++)
        {
            var images = Images(InPart(p), png: _ => true);
            Tar($"raw/text_to_image_part_{p}.tar", InPart(p).Select(i => ($"{i}.png", images[i])));
        }
        Write("raw/text_to_image.json", Json(Enumerable.Range(0, samples).Select(i => new Dictionary<string, object>
        {
            ["input_prompt"] = Caption(i), ["output_image"] = $"image/{i}.png", ["output_image_resolution"] = new[] { SizeOf(i).W, SizeOf(i).H },
        })));
        return $"`raw/text_to_image.json`, {Parts} `raw/text_to_image_part_*.tar` ({samples} PNG, flat names)";
    }

    public string Echo()
    {
        // Half the t2i rows in each of the two sets, as their jsonl files name them.
        string[] sets = ["Instruction-Following-Image", "Surrel-Fantasy-Image"];
        var lines = new[] { new List<string>(), new List<string>() };
        int tars = 0;
        for (int p = 0; p < Parts; p++)
        {
            int set = p % 2;
            var images = Images(InPart(p));
            Tar($"raw/{sets[set]}/images/{p / 2}.tar.gz", InPart(p).Select(i => ($"{i}.jpg", images[i])), gzip: true);
            tars++;
            foreach (var i in InPart(p))
                lines[set].Add(JsonSerializer.Serialize(new Dictionary<string, object>
                {
                    ["task_type"] = "t2i", ["output_image"] = $"/Echo-4o-Image/{sets[set]}/images/{i}.jpg", ["instruction"] = Caption(i),
                    ["type"] = set == 0 ? "instruction" : "surreal",
                }));
        }
        Write($"raw/{sets[0]}/{sets[0]}.jsonl", Text(string.Join("\n", lines[0]) + "\n"));
        Write($"raw/{sets[1]}/conflict.jsonl", Text(string.Join("\n", lines[1]) + "\n"));
        return $"two jsonl files, {tars} `raw/*/images/*.tar.gz` ({samples} JPEG)";
    }

    public string Blip3o()
    {
        for (int p = 0; p < Parts; p++)
        {
            var images = Images(InPart(p));
            Tar($"raw/{p:D5}.tar", InPart(p).SelectMany(i => new[] { ($"sa_{i}.jpg", images[i]), ($"sa_{i}.txt", Text(Caption(i))) }));
        }
        return $"{Parts} `raw/*.tar` ({samples} `KEY.jpg` + `KEY.txt`), no `data.json`";
    }

    public string TextToImage()
    {
        // One part in ten (at least one) is data_1024_10K's single part; the rest are data_512_2M's.
        int big = Math.Max(1, samples / 10);
        var sets = new[] { ("data_512_2M", Enumerable.Range(big, samples - big).ToArray()), ("data_1024_10K", Enumerable.Range(0, big).ToArray()) };
        int tars = 0;
        foreach (var (folder, indices) in sets)
            for (int p = 0; p * perPart < indices.Length; p++, tars++)
            {
                var part = indices.Skip(p * perPart).Take(perPart).ToArray();
                var images = Images(part);
                Tar($"raw/{folder}/data_{p:D6}.tar", part.SelectMany(i => new[]
                {
                    ($"{i:D8}.jpg", images[i]), ($"{i:D8}.json", Json(new { prompt = Caption(i), url = $"https://example.com/{i}.jpg" })),
                }));
            }
        return $"{tars} `raw/data_512_2M/*.tar` + `raw/data_1024_10K/*.tar` ({samples - big} + {big} `KEY.jpg` + `KEY.json`), no `data/*.json`";
    }

    public string Img2Dataset()
    {
        for (int p = 0; p < Parts; p++)
        {
            var images = Images(InPart(p));
            foreach (var i in InPart(p))
            {
                Write($"raw/{p:D8}/{i:D9}.jpg", images[i]);
                Write($"raw/{p:D8}/{i:D9}.txt", Text($"alt text {i}"));
                Write($"raw/{p:D8}/{i:D9}.json", Json(new { url = $"https://example.com/{i}.jpg", key = $"{i:D9}", status = "success", re_caption = Caption(i) }));
            }
            Write($"raw/{p:D8}_stats.json", Text("{}"));
        }
        return $"{Parts} img2dataset folders `raw/NNNNNNNN/` ({samples} `KEY.jpg` + `KEY.json` + `KEY.txt`)";
    }

    /// <summary>megalith-10m and cc12m: image parts <c>raw/PART.tar</c> and caption tars <c>captions/FOLDER.tar</c> holding
    /// <c>FOLDER/KEY.json</c>.</summary>
    public string CaptionTars(Func<int, string> folder, Func<int, string> imagePart, string captionKey)
    {
        for (int p = 0; p < Parts; p++)
        {
            var images = Images(InPart(p));
            Tar($"raw/{imagePart(p)}.tar", InPart(p).SelectMany(i => new[]
            {
                ($"{i:D9}.jpg", images[i]), ($"{i:D9}.txt", Text($"alt text {i}")), ($"{i:D9}.json", Json(new { key = $"{i:D9}", url = $"https://example.com/{i}.jpg" })),
            }));
            Tar($"captions/{folder(p)}.tar", InPart(p).Select(i => ($"{folder(p)}/{i:D9}.json", Json(new Dictionary<string, string> { [captionKey] = Caption(i) }))));
        }
        return $"{Parts} `raw/{imagePart(0)[..^folder(0).Length]}*.tar` ({samples} `KEY.jpg` + `.txt` + `.json`), " +
            $"{Parts} `captions/*.tar` (`{new string('N', folder(0).Length)}/KEY.json`), no json";
    }

    public string Midjourney()
    {
        var rows = new List<ParquetFixtures.MidjourneyRow>();
        for (int p = 0; p < Parts; p++)
        {
            var images = Images(InPart(p), png: i => i % 4 == 3);
            string Name(int i) => $"{i:D7}.{(i % 4 == 3 ? "png" : "jpg")}";
            Tar($"raw/images/{p / 2:D2}/{p:D4}.tar", InPart(p).Select(i => (Name(i), images[i])));
            rows.AddRange(InPart(p).Select(i => new ParquetFixtures.MidjourneyRow(Name(i), Caption(i), SizeOf(i).W, SizeOf(i).H)));
        }
        int half = (rows.Count + 1) / 2;
        ParquetFixtures.WriteMidjourney(Path("raw/table-1.parquet"), rows[..half], rowGroup: 1000);
        ParquetFixtures.WriteMidjourney(Path("raw/table-2.parquet"), rows[half..], rowGroup: 1000);
        return $"{Parts} `raw/images/NN/*.tar` ({samples} JPEG and PNG), 2 `raw/table-*.parquet`";
    }

    public string Imagenet()
    {
        for (int p = 0; p < Parts; p++)
        {
            var images = Images(InPart(p));
            ParquetFixtures.WriteImagenet(Path($"raw/{p:D5}.parquet"),
                InPart(p).Select(i => ParquetFixtures.Row(images[i], Caption(i), "a picture")).ToList(), rowGroup: 100);
        }
        return $"{Parts} `raw/*.parquet` ({samples} rows, JPEG cells, row groups of 100)";
    }
}
