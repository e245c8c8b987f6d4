using System.Text;
using System.Text.Json;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Webp;
using SixLabors.ImageSharp.PixelFormats;
using VgtData.Config;
using VgtData.Datasets;
using VgtData.Sources;
using VgtData.Tests.Config;
using VgtData.Tests.Preparation;

namespace VgtData.Tests.Datasets;

/// <summary>
/// Webdataset shards (no data.json) as a CaptionDataset: members grouped by key, the caption from .txt, .json's
/// cap_source or .cls, the parts indexed once in the tar index's cache; the samples equal those of the same images and
/// captions extracted to a folder with a data.json. Each bad input is one line, or one counted bad sample.
/// </summary>
public sealed class WebDatasetShardsTests : IDisposable
{
    private readonly ConfigDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static byte[] Encode(int w, int h, int seed, Action<Image<Rgb24>, MemoryStream> save)
    {
        using var image = new Image<Rgb24>(w, h);
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                image[x, y] = new Rgb24((byte)(x * 7 + seed * 40), (byte)(y * 5 + seed), (byte)((x ^ y) * 3 + seed * 11));
        using var ms = new MemoryStream();
        save(image, ms);
        return ms.ToArray();
    }

    private static byte[] Jpeg(int w, int h, int seed) => Encode(w, h, seed, (i, s) => i.SaveAsJpeg(s));
    private static byte[] Png(int w, int h, int seed) => Encode(w, h, seed, (i, s) => i.SaveAsPng(s));
    private static byte[] Webp(int w, int h, int seed) => Encode(w, h, seed, (i, s) => i.SaveAsWebp(s, new WebpEncoder { FileFormat = WebpFileFormatType.Lossless }));
    private static byte[] Utf8(string s) => Encoding.UTF8.GetBytes(s);

    private string Shard(string name, TarBuilder tar)
    {
        var path = Path.Combine(_dir.Root, "shards", name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, tar.Build());
        return path;
    }

    private string Config(string dataset, string root = "") =>
        _dir.Write($"exp-{Guid.NewGuid():N}.json", $$"""
            { "seed": 11, "tokenizer": "embedded:o200k", {{root}}
              "dataset": { "type": "CaptionDataset", "image_size": 24, "min_image_size": 8, "unconditional": 0.4, {{dataset}} } }
            """);

    private static Pipeline Build(string config) => PipelineFactory.Build(ConfigLoader.Load(config));

    private const string Loader = """ "train_dataloader": { "batch_size": 4, "num_workers": 2, "sampler": { "type": "InfiniteSampler", "shuffle": true } }, """;

    /// <summary>The checksum of the first 5 batches of <paramref name="config"/>'s loader; <paramref name="describe"/>
    /// names entry 2's image.</summary>
    private static string Checksum(string config, out string describe)
    {
        using var pipeline = Build(config);
        describe = ((CaptionDataset)pipeline.Dataset).Describe(2);
        using var batches = pipeline.CreateLoader();
        var sum = new VgtData.Loading.BatchChecksum();
        foreach (var batch in batches.Take(5))
            using (batch) sum.Add(batch);
        return sum.Hex;
    }

    /// <summary>Three shards, one per caption kind; key order within a part is not adjacent in the third. Returns the
    /// images and captions each key should give, in entry order.</summary>
    private List<(string Name, byte[] Image, string Caption)> ThreeShards()
    {
        var expected = new List<(string, byte[], string)>();
        byte[] j0 = Jpeg(40, 30, 1), j1 = Jpeg(30, 44, 2);
        Shard("wds-0000.tar", new TarBuilder()
            .File("n01/k0000.jpg", j0).File("n01/k0000.cls", Utf8("417\n"))
            .File("n01/k0001.cls", Utf8(" 0007 ")).File("n01/k0001.jpg", j1));
        expected.Add(("k0000.jpg", j0, "417"));
        expected.Add(("k0001.jpg", j1, "7"));
        byte[] p2 = Png(33, 27, 3), p3 = Png(26, 26, 4);
        Shard("wds-0001.tar", new TarBuilder()
            .File("k0002.png", p2).File("k0002.txt", Utf8("  a red square \n"))
            .File("k0003.PNG", p3).File("k0003.txt", Utf8("two\tlines\nof text")).File("README", Utf8("no key")));
        expected.Add(("k0002.png", p2, "a red square"));
        expected.Add(("k0003.png", p3, "two\tlines\nof text"));
        byte[] w4 = Webp(28, 36, 5), w5 = Webp(50, 25, 6);
        Shard("wds-0002.tar", new TarBuilder()
            .File("k0004.webp", w4).File("k0005.json", Utf8("""{"caption": "a wide webp", "original_width": 50}"""))
            .File("k0004.json", Utf8("""{"caption": "  kept as written ", "x": 1}""")).File("k0005.webp", w5)
            .File("k0099.json", Utf8("""{"caption": "metadata without an image"}""")));
        expected.Add(("k0004.webp", w4, "  kept as written "));
        expected.Add(("k0005.webp", w5, "a wide webp"));
        return expected;
    }

    private string Extracted(List<(string Name, byte[] Image, string Caption)> keys)
    {
        var folder = Path.Combine(_dir.Root, "extracted");
        Directory.CreateDirectory(folder);
        foreach (var (name, image, _) in keys) File.WriteAllBytes(Path.Combine(folder, name), image);
        File.WriteAllText(Path.Combine(folder, "data.json"),
            JsonSerializer.Serialize(keys.Select(k => new Dictionary<string, string> { ["image"] = k.Name, ["caption"] = k.Caption })));
        return Path.Combine(folder, "data.json");
    }

    [Fact]
    public void BraceRangedShardsGiveTheSamplesOfTheExtractedFolder()
    {
        var keys = ThreeShards();
        using var shards = Build(Config(""" "shards": "shards/wds-{0000..0002}.tar" """));
        using var folder = Build(Config($$""" "data_path": "{{Extracted(keys)}}" """));
        var fromShards = (CaptionDataset)shards.Dataset;
        var fromFolder = (CaptionDataset)folder.Dataset;
        Assert.Equal(keys.Count, fromShards.Entries.Count);
        Assert.Equal(1, ((WebDatasetShards)fromShards.Entries).KeysWithoutImage);
        int cfg = 0;
        for (int epoch = 0; epoch < 3; epoch++)
            for (int i = 0; i < keys.Count; i++)
            {
                using var a = fromShards.GetSample(i, epoch);
                using var b = fromFolder.GetSample(i, epoch);
                Assert.Equal(keys[i].Caption, a.Caption);
                Assert.Equal(b.Caption, a.Caption);
                Assert.Equal(b.Cfg, a.Cfg);
                Assert.Equal(b.InputIds, a.InputIds);
                Assert.Equal(b.Pixels!.Pixels.ToArray(), a.Pixels!.Pixels.ToArray());
                cfg += a.Cfg ? 1 : 0;
            }
        // Both prompt kinds were compared.
        Assert.InRange(cfg, 1, 3 * keys.Count - 1);
        Assert.Equal($"{Path.Combine(_dir.Root, "shards", "wds-0000.tar")}:n01/k0000.jpg", fromShards.Describe(0));
        Assert.Equal("wds-0001.tar/k0003.PNG", fromShards.Entries.ImageOf(3));
        Assert.Null(fromShards.Check(5, out var caption));
        Assert.Equal("a wide webp", caption);
    }

    [Fact]
    public void TheLoaderGivesTheExtractedFoldersBatches()
    {
        var keys = ThreeShards();
        Assert.Equal(Checksum(Config($$""" "data_path": "{{Extracted(keys)}}" """, Loader), out _),
            Checksum(Config(""" "shards": "shards/wds-{0000..0002}.tar" """, Loader), out _));
    }

    [SkippableFact]
    public void ShardsInABucketGiveTheLocalShardsBatches()
    {
        using var server = VgtData.Tests.Storage.S3TestServer.StartOrSkip();
        ThreeShards();
        server.Upload(Path.Combine(_dir.Root, "shards"), "vgt", "wds");
        var ini = server.WritePetrelConfig(_dir.Root);
        var local = Checksum(Config(""" "shards": "shards/wds-{0000..0002}.tar" """, Loader), out _);
        var remote = Checksum(Config($$""" "shards": "s3://vgt/wds/wds-{0000..0002}.tar", "ceph_config": {{JsonSerializer.Serialize(ini)}} """, Loader), out var where);
        Assert.Equal(local, remote);
        Assert.Equal("s3://vgt/wds/wds-0001.tar:k0002.png", where);
        var e = Assert.ThrowsAny<VgtDataException>(() => Build(Config($$""" "shards": "s3://vgt/wds/wds-{0000..0003}.tar", "ceph_config": {{JsonSerializer.Serialize(ini)}} """)));
        Assert.EndsWith("dataset.shards: shards 's3://vgt/wds/wds-{0000..0003}.tar': shard s3://vgt/wds/wds-0003.tar does not exist (1 of 4 names missing)", e.Message);
    }

    [Fact]
    public void TheConfigCommandChecksShards()
    {
        ThreeShards();
        var (code, output, error) = ConfigDir.Cli("config", Config(""" "shards": "shards/wds-{0000..0002}.tar" """));
        Assert.True(code == 0, output + error);
        Assert.DoesNotContain("data_path", error);
        var missing = Config(""" "shards": "shards/wds-{0000..0003}.tar" """);
        (code, _, error) = ConfigDir.Cli("config", missing, "--strict");
        Assert.Equal(1, code);
        var shards = Path.Combine(_dir.Root, "shards");
        Assert.Contains($"error: {missing}: dataset.shards: shards '{shards}/wds-{{0000..0003}}.tar': shard {shards}/wds-0003.tar does not exist (1 of 4 names missing)", error);
    }

    [Fact]
    public void ThePartsAreIndexedOnceInTheTarIndexCache()
    {
        ThreeShards();
        var config = Config(""" "shards": "shards/wds-*.tar", "train_number_samples": 4 """);
        using (var first = Build(config))
        {
            Assert.False(((WebDatasetShards)((CaptionDataset)first.Dataset).Entries).Index.FromCache);
            Assert.Equal(4, first.Dataset.Count);
        }
        using var again = Build(config);
        Assert.True(((WebDatasetShards)((CaptionDataset)again.Dataset).Entries).Index.FromCache);
        // One cache file, the tar index's, beside the first part.
        Assert.Equal([".vgtdata-tarindex-" + TarIndex.CachePath(Directory.GetFiles(Path.Combine(_dir.Root, "shards"), "*.tar").Order(StringComparer.Ordinal).ToList()).Split("-tarindex-")[1]],
            Directory.GetFiles(Path.Combine(_dir.Root, "shards"), ".*").Select(Path.GetFileName));
    }

    [Fact]
    public void AClassIdCaptionIsItsDecimalText()
    {
        Assert.Equal("417", WebDatasetShards.ClassCaption("417\n", "p"));
        Assert.Equal("-3", WebDatasetShards.ClassCaption(" -003\r\n", "p"));
        Assert.Equal("1000", WebDatasetShards.ClassCaption("1_000", "p"));
        var e = Assert.Throws<SampleException>(() => WebDatasetShards.ClassCaption("tench\n", "p.tar:k.cls"));
        Assert.Equal("sample (p.tar:k.cls): unreadable annotation: not an integer class id: \"tench\\n\"", e.Message);
    }

    [Fact]
    public void OneKeysProblemIsOneCountedBadSample()
    {
        var part = Shard("bad-0000.tar", new TarBuilder()
            .File("two.jpg", Jpeg(20, 20, 1)).File("two.png", Png(20, 20, 2)).File("two.txt", Utf8("a caption"))
            .File("broken.png", Png(20, 20, 3)).File("broken.json", Utf8("{\"caption\": "))
            .File("nocap.png", Png(20, 20, 4)).File("nocap.json", Utf8("{\"width\": 20}"))
            .File("bare.png", Png(20, 20, 5))
            .File("badcls.png", Png(20, 20, 6)).File("badcls.cls", Utf8("tench"))
            .File("good.png", Png(20, 20, 7)).File("good.txt", Utf8("fine")));
        using var pipeline = Build(Config(""" "shards": "shards/bad-{0000..0000}.tar" """));
        var dataset = (CaptionDataset)pipeline.Dataset;
        Assert.Equal(6, dataset.Entries.Count);
        var failures = Enumerable.Range(0, 6).Select(i => dataset.Check(i, out _)).ToList();
        string[] expected =
        [
            $"sample ({part}:two): ambiguous tar member: key two has 2 images (two.jpg, two.png); which one is the sample cannot be told",
            $"sample ({part}:broken.json): unreadable annotation: invalid JSON: Expected depth to be zero at the end of the JSON payload. There is an open JSON object or array that should be closed. LineNumber: 0 | BytePositionInLine: 12.",
            $"sample ({part}:nocap.json): missing caption key: annotation has no \"caption\" key and key nocap has no .txt or .cls member",
            $"sample ({part}:bare): missing caption key: key bare has no .txt, .json or .cls member",
            $"sample ({part}:badcls.cls): unreadable annotation: not an integer class id: \"tench\"",
        ];
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], new SampleException(failures[i]!.Reason, failures[i]!.Path, failures[i]!.Detail).Message);
        Assert.Null(failures[5]);
        // The loader replaces the bad ones and counts them.
        using var sample = dataset.GetSample(0);
        Assert.Equal("fine", sample.Caption);
        Assert.True(dataset.Failures.Failures >= 1);
    }

    [Fact]
    public void ValidateReadsShards()
    {
        ThreeShards();
        var (code, output, error) = ConfigDir.Cli("validate", Config(""" "shards": "shards/wds-{0000..0002}.tar" """));
        Assert.True(code == 0, output + error);
        Assert.StartsWith("checked 6 entries (1 dataset)", output);
        var part = Shard("two-0000.tar", new TarBuilder().File("k.jpg", Jpeg(20, 20, 1)).File("k.png", Png(20, 20, 2)).File("k.txt", Utf8("c")));
        (code, output, error) = ConfigDir.Cli("validate", Config(""" "shards": "shards/two-0000.tar" """));
        Assert.Equal(1, code);
        Assert.Contains($"0:0 two-0000.tar/k: ambiguous tar member: key k has 2 images (k.jpg, k.png); which one is the sample cannot be told [{part}:k]", output);
    }

    private string Refusal(string dataset)
    {
        var e = Assert.ThrowsAny<VgtDataException>(() => Build(Config(dataset)));
        return e.Message;
    }

    [Fact]
    public void BadShardSetsAreRefusedInOneLine()
    {
        ThreeShards();
        var shards = Path.Combine(_dir.Root, "shards");
        string Line(string message) => message.Split(": dataset.shards: ", 2)[1];
        Assert.Equal($"shards '{shards}/wds-{{0003..0005}}.tar': none of its 3 names is a file (first: {shards}/wds-0003.tar)",
            Line(Refusal(""" "shards": "shards/wds-{0003..0005}.tar" """)));
        Assert.Equal($"shards '{shards}/wds-{{0000..0003}}.tar': shard {shards}/wds-0003.tar does not exist (1 of 4 names missing)",
            Line(Refusal(""" "shards": "shards/wds-{0000..0003}.tar" """)));
        Assert.Equal(ConfigValidator.ShardsWithDataPath,
            Line(Refusal($$""" "shards": "shards/wds-0000.tar", "data_path": "{{Extracted([])}}" """)));

        var png = Png(20, 20, 1);
        var whole = new TarBuilder().File("a.png", png).File("a.txt", Utf8("x")).Build();
        // Cut after the first member: its header and data blocks.
        int cut = 512 + (png.Length + 511) / 512 * 512;
        File.WriteAllBytes(Path.Combine(shards, "cut-0000.tar"), whole[..cut]);
        Assert.Equal($"shards '{shards}/cut-{{0000..0000}}.tar': damaged shard {shards}/cut-0000.tar: part ends at offset {cut} without the end-of-archive marker (cut short?)",
            Line(Refusal(""" "shards": "shards/cut-{0000..0000}.tar" """)));

        using (var file = File.Create(Path.Combine(shards, "gz-0000.tar.gz")))
        using (var gz = new System.IO.Compression.GZipStream(file, System.IO.Compression.CompressionLevel.Fastest))
            gz.Write(whole);
        Assert.Equal($"tar part {shards}/gz-0000.tar.gz is gzip-compressed and cannot be read in place; unpack it first: " +
            $"vgtdata extract --input {shards}/gz-0000.tar.gz --out {shards}/gz-0000",
            Line(Refusal(""" "shards": "shards/gz-{0000..0000}.tar.gz" """)));

        Shard("meta-0000.tar", new TarBuilder().File("k.json", Utf8("{}")).File("k.txt", Utf8("t")));
        Assert.Equal($"shards '{shards}/meta-0000.tar': no key in 1 shard(s) has an image (.jpg, .jpeg, .png, .webp)",
            Line(Refusal(""" "shards": "shards/meta-0000.tar" """)));
    }
}
