using System.IO.Compression;
using System.Text;
using System.Text.Json;
using VgtData.Datasets;
using VgtData.Sources;
using VgtData.Tests.Config;
using VgtData.Tests.Preparation;
using VgtData.Tests.Storage;

namespace VgtData.Tests.Sources;

/// <summary>
/// A download read where it lies: VGT's per-part folders (<c>raw/PART/KEY.png</c>, <c>captions/PART/KEY.json</c>) absent,
/// their tars present (<c>raw/PART.tar</c> holding <c>KEY.png</c> and <c>KEY.txt</c>; <c>captions/PART.tar</c> holding
/// <c>PART/KEY.json</c>, as megalith's and cc12m's caption tars do). The batches, captions and refusals equal the extracted
/// layout's, locally and from s3rver.
/// </summary>
public sealed class InPlaceTarTests : IDisposable
{
    private static readonly string[] Parts = ["data_000001", "data_000002", "data_000003"];
    private const int PerPart = 5;

    private readonly TempTree _t = new();
    private S3TestServer? _server;

    public void Dispose()
    {
        _server?.Dispose();
        _t.Dispose();
    }

    private S3TestServer Server => _server ??= S3TestServer.StartOrSkip();

    private static string Key(int i) => $"{i:D5}";

    private static byte[] Image(int part, int i) => TestImages.Png(18 + 3 * i + part, 14 + 2 * part, shade: (byte)(40 * part + 7 * i));

    private static string Caption(int part, int i) => $"part {part} image {i}";

    /// <summary>root/NAME in both layouts: "extracted" (VGT's folders) or "inplace" (the tars as downloaded), with
    /// data.json naming images and .json annotations (captions/) and data-txt.json naming .txt annotations (raw/).</summary>
    private string Layout(string name, bool extracted, Func<string, int, string, byte[]>? extra = null)
    {
        var root = Path.Combine(_t.Root, name);
        var entries = new List<object>();
        var txtEntries = new List<object>();
        for (int p = 0; p < Parts.Length; p++)
        {
            var part = Parts[p];
            var images = new TarBuilder();
            var captions = new TarBuilder();
            for (int i = 0; i < PerPart; i++)
            {
                var json = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new { caption = Caption(p, i), key = Key(i) }));
                var txt = Encoding.UTF8.GetBytes($"  {Caption(p, i)} (txt)\n");
                if (extracted)
                {
                    Write(Path.Combine(root, "raw", part, Key(i) + ".png"), Image(p, i));
                    Write(Path.Combine(root, "raw", part, Key(i) + ".txt"), txt);
                    Write(Path.Combine(root, "captions", part, Key(i) + ".json"), json);
                }
                images.File(Key(i) + ".png", Image(p, i)).File(Key(i) + ".txt", txt);
                captions.File($"{part}/{Key(i)}.json", json);
                entries.Add(new { image = $"{part}/{Key(i)}.png", annotation = $"{part}/{Key(i)}.json" });
                txtEntries.Add(new { image = $"{part}/{Key(i)}.png", annotation = $"{part}/{Key(i)}.txt" });
            }
            if (!extracted)
            {
                Write(Path.Combine(root, "raw", part + ".tar"), images.Build());
                Write(Path.Combine(root, "captions", part + ".tar"), captions.Build());
            }
        }
        Write(Path.Combine(root, "data.json"), JsonSerializer.SerializeToUtf8Bytes(entries));
        Write(Path.Combine(root, "data-txt.json"), JsonSerializer.SerializeToUtf8Bytes(txtEntries));
        return root;
    }

    private static void Write(string path, byte[] bytes)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, bytes);
    }

    private static string J(string s) => JsonSerializer.Serialize(s);

    private string Config(string name, string dataset) => WriteConfig(_t.Root, name, dataset);

    /// <summary>A loader config <paramref name="folder"/>/<paramref name="name"/> over <paramref name="dataset"/> (a
    /// dataset block in JSON): 16-pixel images, batches of 4 from 2 workers, shuffled.</summary>
    internal static string WriteConfig(string folder, string name, string dataset)
    {
        var path = Path.Combine(folder, name);
        File.WriteAllText(path, $$"""
            { "image_size": 16, "seed": 3, "tokenizer": "embedded:o200k",
              "dataset": {{dataset}},
              "train_dataloader": { "batch_size": 4, "num_workers": 2, "prefetch_factor": 2,
                                    "sampler": { "type": "InfiniteSampler", "shuffle": true } } }
            """);
        return path;
    }

    private string LocalConfig(string name, string root, string manifest = "data.json", string capFolder = "captions") =>
        Config(name, $$"""
            { "data_path": {{J(Path.Combine(root, manifest))}}, "image_folder": {{J(Path.Combine(root, "raw"))}},
              "cap_folder": {{J(Path.Combine(root, capFolder))}}, "min_image_size": 0 }
            """);

    private static (string Checksum, long Failures) Batches(string config, int batches = 8)
    {
        var (sum, failures, pipeline) = S3DatasetTests.Run(config, batches);
        pipeline.Dispose();
        return (sum, failures);
    }

    /// <summary>Every entry's caption, as the dataset reads it (Check runs the same read as a load).</summary>
    private static List<string?> Captions(string config)
    {
        using var pipeline = VgtData.Config.PipelineFactory.Build(VgtData.Config.ConfigLoader.Load(config));
        var dataset = (CaptionDataset)pipeline.Dataset;
        return Enumerable.Range(0, dataset.Entries.Count).Select(i =>
        {
            Assert.Null(dataset.Check(i, out var caption));
            return caption;
        }).ToList();
    }

    [Fact]
    public void InPlaceGivesTheBatchesAndCaptionsOfTheExtractedLayout()
    {
        var extracted = Layout("extracted", extracted: true);
        var inPlace = Layout("inplace", extracted: false);
        Assert.False(Directory.Exists(Path.Combine(inPlace, "raw", Parts[0])));

        var (expected, f1) = Batches(LocalConfig("ext.json", extracted));
        var (actual, f2) = Batches(LocalConfig("inp.json", inPlace));
        Assert.Equal((0L, 0L), (f1, f2));
        Assert.Equal(expected, actual);

        // .json captions from the caption tars (members PART/KEY.json), .txt captions from the image tars (members KEY.txt).
        var jsonCaptions = Captions(LocalConfig("inp-json.json", inPlace));
        Assert.Equal(Captions(LocalConfig("ext-json.json", extracted)), jsonCaptions);
        Assert.Equal(Caption(1, 3), jsonCaptions[PerPart + 3]);
        var txtCaptions = Captions(LocalConfig("inp-txt.json", inPlace, "data-txt.json", capFolder: "raw"));
        Assert.Equal(Captions(LocalConfig("ext-txt.json", extracted, "data-txt.json", capFolder: "raw")), txtCaptions);
        Assert.Equal(Caption(2, 4) + " (txt)", txtCaptions[2 * PerPart + 4]);

        // Messages name the member inside its part.
        using var source = new FolderImageSource(Path.Combine(inPlace, "raw"));
        Assert.Equal(Path.Combine(inPlace, "raw", Parts[1] + ".tar") + ":00002.png", source.Describe($"{Parts[1]}/00002.png"));
        Assert.True(source.Exists($"{Parts[1]}/00002.png"));
        Assert.False(source.Exists($"{Parts[1]}/00009.png"));
        var missing = Assert.Throws<SampleException>(() => source.Read($"{Parts[1]}/00009.png"));
        Assert.Equal(SampleFailureReason.MissingFile, missing.Reason);
        Assert.Equal($"no member 00009.png in {Path.Combine(inPlace, "raw", Parts[1] + ".tar")}", missing.Detail);
    }

    [Fact]
    public void AnExtractedFolderIsReadInsteadOfItsTarAndPartsMayLieDeeper()
    {
        var root = Path.Combine(_t.Root, "mixed");
        // data_512_2M/00001.tar (folder absent) holds sub/x.png; 00002.tar sits beside its extracted folder, which wins.
        Write(Path.Combine(root, "data_512_2M", "00001.tar"), new TarBuilder().File("sub/x.png", Image(0, 1)).Build());
        Write(Path.Combine(root, "data_512_2M", "00002.tar"), new TarBuilder().File("y.png", Image(0, 2)).Build());
        Write(Path.Combine(root, "data_512_2M", "00002", "y.png"), Image(1, 2));
        using var source = new FolderImageSource(root);
        using (var member = source.Read("data_512_2M/00001/sub/x.png")) Assert.Equal(Image(0, 1), member.Span.ToArray());
        using (var file = source.Read("data_512_2M/00002/y.png")) Assert.Equal(Image(1, 2), file.Span.ToArray());
        Assert.Equal(Path.Combine(root, "data_512_2M", "00002", "y.png"), source.Describe("data_512_2M/00002/y.png"));
        Assert.Equal(Path.Combine(root, "data_512_2M", "00001.tar") + ":sub/x.png", source.Describe("data_512_2M/00001/sub/x.png"));
        // No folder and no tar: the folder's own missing-file line.
        var missing = Assert.Throws<SampleException>(() => source.Read("data_512_2M/00003/z.png"));
        Assert.Equal((SampleFailureReason.MissingFile, Path.Combine(root, "data_512_2M", "00003", "z.png"), "no such file"),
            (missing.Reason, missing.Path, missing.Detail));
    }

    [SkippableFact]
    public void InPlaceInABucketGivesTheBatchesOfTheExtractedFolders()
    {
        var extracted = Layout("extracted", extracted: true);
        var inPlace = Layout("inplace", extracted: false);
        Server.Upload(inPlace, "vgt", "inplace");
        var ini = Server.WritePetrelConfig(_t.Root);
        var (expected, _) = Batches(LocalConfig("ext.json", extracted));
        var remote = Config("s3.json", $$"""
            { "data_path": "s3://vgt/inplace/data.json", "ceph_folder": "s3://vgt/inplace/raw", "cap_folder": "s3://vgt/inplace/captions",
              "ceph_config": {{J(ini)}}, "min_image_size": 0 }
            """);
        var (sum, failures, pipeline) = S3DatasetTests.Run(remote, 8);
        using (pipeline)
        {
            var source = Assert.IsType<S3ImageSource>(((CaptionDataset)pipeline.Dataset).Options.ImageSource);
            Assert.Equal($"s3://vgt/inplace/raw/{Parts[2]}.tar:00001.png", source.Describe($"{Parts[2]}/00001.png"));
            // Member reads were hinted ahead through the folder's one window.
            Assert.True(source.ReadAheadHits > PerPart, $"only {source.ReadAheadHits} reads came from the read-ahead window");
        }
        Assert.Equal(0, failures);
        Assert.Equal(expected, sum);
        var remoteTxt = Config("s3-txt.json", $$"""
            { "data_path": "s3://vgt/inplace/data-txt.json", "ceph_folder": "s3://vgt/inplace/raw", "cap_folder": "s3://vgt/inplace/raw",
              "ceph_config": {{J(ini)}}, "min_image_size": 0 }
            """);
        Assert.Equal(Captions(LocalConfig("ext-txt.json", extracted, "data-txt.json", capFolder: "raw")), Captions(remoteTxt));
    }

    [Fact]
    public void APartHoldingTheNameTwiceIsRefusedNamingBothMembers()
    {
        var root = Layout("inplace", extracted: false);
        // A caption tar holding 00000.json both flat and below its own folder: which one is meant cannot be told.
        var part = Path.Combine(root, "captions", Parts[0] + ".tar");
        File.WriteAllBytes(part, new TarBuilder()
            .File($"{Parts[0]}/00000.json", """{"caption": "a"}"""u8.ToArray())
            .File("00000.json", """{"caption": "b"}"""u8.ToArray()).Build());
        var config = LocalConfig("inp.json", root);
        var (code, stdout, _) = ConfigDir.Cli("validate", config);
        Assert.Equal(1, code);
        Assert.Contains($"checked {Parts.Length * PerPart} entries (1 dataset): {PerPart} bad\n", stdout);
        Assert.Contains($"\n  0:0 {Parts[0]}/00000.png: ambiguous tar member: 2 members could be meant: {part}:00000.json, {part}:{Parts[0]}/00000.json; " +
            $"name the part as the image's folder (FOLDER/PART/name for FOLDER/PART.tar) [{part}:{Parts[0]}/00000.json]\n", stdout);
    }

    [SkippableFact]
    public void AFlatNameHeldByTwoPartsInABucketIsRefusedNamingBoth()
    {
        var tars = Path.Combine(_t.Root, "flat");
        Write(Path.Combine(tars, "p1.tar"), new TarBuilder().File("00000.png", Image(0, 0)).Build());
        Write(Path.Combine(tars, "p2.tar"), new TarBuilder().File("00000.png", Image(1, 0)).File("00001.png", Image(1, 1)).Build());
        Server.Upload(tars, "vgt", "flat");
        using var store = new VgtData.Storage.S3Store(Server.Settings());
        using var source = new S3TarImageSource(store, "s3://vgt/flat/p*.tar", readAhead: 0, cacheDir: Path.Combine(_t.Root, "cache"));
        using (var only = source.Read("images/00001.png")) Assert.Equal(Image(1, 1), only.Span.ToArray());
        var e = Assert.Throws<SampleException>(() => source.Read("images/00000.png"));
        Assert.Equal(SampleFailureReason.AmbiguousMember, e.Reason);
        Assert.Equal("sample (s3://vgt/flat/p*.tar:images/00000.png): ambiguous tar member: 2 members could be meant: " +
            "s3://vgt/flat/p1.tar:00000.png, s3://vgt/flat/p2.tar:00000.png; name the part as the image's folder (FOLDER/PART/name for FOLDER/PART.tar)",
            e.Message);
    }

    /// <summary><paramref name="folder"/> uploaded to s3://vgt/<paramref name="prefix"/>, read there with read-ahead.</summary>
    private (VgtData.Storage.S3Store, S3ImageSource) Bucket(string folder, string prefix)
    {
        Server.Upload(folder, "vgt", prefix);
        var store = new VgtData.Storage.S3Store(Server.Settings());
        return (store, new S3ImageSource(store, VgtData.Storage.S3Location.Parse($"s3://vgt/{prefix}"), readAhead: 4));
    }

    /// <summary>cc12m's parts as downloaded: raw/cc12m-train-0000.tar unpacks into raw/0000/ (VGT's extract.py:
    /// <c>tar_file[:-4].split('-')[-1]</c>); 0001 is what two parts would unpack into; 0002 is extracted beside its tar.</summary>
    private string SplitNamedParts()
    {
        var raw = Path.Combine(_t.Root, "cc12m", "raw");
        Write(Path.Combine(raw, "cc12m-train-0000.tar"), new TarBuilder().File("a.png", Image(0, 0)).File("0000/b.png", Image(0, 1)).Build());
        Write(Path.Combine(raw, "cc12m-train-0001.tar"), new TarBuilder().File("a.png", Image(1, 0)).Build());
        Write(Path.Combine(raw, "cc12m-val-0001.tar"), new TarBuilder().File("a.png", Image(1, 1)).Build());
        Write(Path.Combine(raw, "cc12m-train-0002.tar"), new TarBuilder().File("a.png", Image(2, 0)).Build());
        Write(Path.Combine(raw, "0002", "a.png"), Image(2, 1));
        return raw;
    }

    [Fact]
    public void AFolderNamedAfterWhatFollowsAPartsLastDashIsThatPart_TwoSuchPartsAreRefusedNamingBoth()
    {
        var raw = SplitNamedParts();
        using var source = new FolderImageSource(raw);
        var part = Path.Combine(raw, "cc12m-train-0000.tar");
        using (var member = source.Read("0000/a.png")) Assert.Equal(Image(0, 0), member.Span.ToArray());
        Assert.Equal(part + ":a.png", source.Describe("0000/a.png"));
        // As unpacked: the member 0000/b.png lies at 0000/0000/b.png, not at 0000/b.png.
        using (var member = source.Read("0000/0000/b.png")) Assert.Equal(Image(0, 1), member.Span.ToArray());
        var missing = Assert.Throws<SampleException>(() => source.Read("0000/b.png"));
        Assert.Equal((SampleFailureReason.MissingFile, $"no member b.png in {part}"), (missing.Reason, missing.Detail));
        // The extracted folder is read instead of its part.
        using (var file = source.Read("0002/a.png")) Assert.Equal(Image(2, 1), file.Span.ToArray());
        // Two parts for one folder: never the first.
        var twice = Assert.Throws<SampleException>(() => source.Read("0001/a.png"));
        Assert.Equal($"sample ({Path.Combine(raw, "0001")}): ambiguous tar member: 2 tar parts unpack into this folder: " +
            $"{Path.Combine(raw, "cc12m-train-0001.tar")}, {Path.Combine(raw, "cc12m-val-0001.tar")}; move all but one away", twice.Message);
        Assert.Throws<SampleException>(() => source.Exists("0001/a.png"));
        // A folder named with a '-' is never what follows the last '-'; a part named exactly after the folder comes first.
        Assert.False(source.Exists("train-0000/a.png"));
        Write(Path.Combine(raw, "0001.tar"), new TarBuilder().File("a.png", Image(0, 2)).Build());
        using var again = new FolderImageSource(raw);
        using (var member = again.Read("0001/a.png")) Assert.Equal(Image(0, 2), member.Span.ToArray());
    }

    [Fact]
    public void TwoPartsForOneFolder_ValidateCountsItsSamplesBadWithOneLineEach_TheRestLoad()
    {
        var raw = SplitNamedParts();
        var data = Path.Combine(_t.Root, "cc12m", "data.json");
        File.WriteAllText(data, """[{"image": "0000/a.png", "caption": "a"}, {"image": "0001/a.png", "caption": "b"}, {"image": "0002/a.png", "caption": "c"}]""");
        var config = Config("cc12m.json", $$"""{ "data_path": {{J(data)}}, "image_folder": {{J(raw)}}, "min_image_size": 0 }""");
        var (code, stdout, error) = ConfigDir.Cli("validate", config);
        Assert.Equal(1, code);
        Assert.Contains("checked 3 entries (1 dataset): 1 bad\n", stdout);
        Assert.Contains($"\n  0:1 0001/a.png: ambiguous tar member: 2 tar parts unpack into this folder: {Path.Combine(raw, "cc12m-train-0001.tar")}, " +
            $"{Path.Combine(raw, "cc12m-val-0001.tar")}; move all but one away [{Path.Combine(raw, "0001")}]\n", stdout);
        Assert.DoesNotContain("   at ", stdout + error);
    }

    [SkippableFact]
    public void AFolderNamedAfterWhatFollowsAPartsLastDashInABucket_TwoSuchPartsAreRefusedNamingBoth()
    {
        var (store, source) = Bucket(SplitNamedParts(), "cc12m/raw");
        using var _ = store;
        using var __ = source;
        source.ReadAhead("0000/a.png");
        using (var member = source.Read("0000/a.png")) Assert.Equal(Image(0, 0), member.Span.ToArray());
        Assert.Equal("s3://vgt/cc12m/raw/cc12m-train-0000.tar:a.png", source.Describe("0000/a.png"));
        using (var member = source.Read("0000/0000/b.png")) Assert.Equal(Image(0, 1), member.Span.ToArray());
        Assert.False(source.Exists("0000/b.png"));
        using (var file = source.Read("0002/a.png")) Assert.Equal(Image(2, 1), file.Span.ToArray());
        source.ReadAhead("0001/a.png");   // a hint never throws: the read says why
        var twice = Assert.Throws<SampleException>(() => source.Read("0001/a.png"));
        Assert.Equal("sample (s3://vgt/cc12m/raw/0001): ambiguous tar member: 2 tar parts unpack into this folder: " +
            "s3://vgt/cc12m/raw/cc12m-train-0001.tar, s3://vgt/cc12m/raw/cc12m-val-0001.tar; move all but one away", twice.Message);
    }

    /// <summary>raw/0.tar.gz beside an absent raw/0 folder: data.json names 0/a.png.</summary>
    private string GzipDownload()
    {
        var root = Path.Combine(_t.Root, "echo");
        Directory.CreateDirectory(Path.Combine(root, "raw"));
        using (var gz = new GZipStream(File.Create(Path.Combine(root, "raw", "0.tar.gz")), CompressionLevel.Fastest))
            gz.Write(new TarBuilder().File("a.png", Image(0, 0)).Build());
        File.WriteAllText(Path.Combine(root, "data.json"), """[{"image": "0/a.png", "caption": "c"}]""");
        return root;
    }

    [Fact]
    public void AGzipPartBesideAnAbsentFolderStopsWithTheExtractCommand()
    {
        var root = GzipDownload();
        var part = Path.Combine(root, "raw", "0.tar.gz");
        var config = Config("gz.json", $$"""{ "data_path": {{J(Path.Combine(root, "data.json"))}}, "image_folder": {{J(Path.Combine(root, "raw"))}}, "min_image_size": 0 }""");
        var line = $"tar part {part} is gzip-compressed and cannot be read in place; unpack it first: " +
            $"vgtdata extract --input {part} --out {Path.Combine(root, "raw", "0")}";
        var (code, stdout, error) = ConfigDir.Cli("validate", config);
        Assert.Equal((1, ""), (code, stdout));
        // One line after the progress line, no stack trace.
        Assert.EndsWith($"\nvgtdata validate: {line}\n", error);
        Assert.DoesNotContain("   at ", error);
        // The command it names makes the folder; then the same config reads it.
        Assert.Equal(0, ConfigDir.Cli("extract", "--input", part, "--out", Path.Combine(root, "raw", "0")).Code);
        Assert.Equal(0, ConfigDir.Cli("validate", config).Code);
    }

    [SkippableFact]
    public void AGzipPartInABucketBesideAnAbsentFolderIsRefusedByItsName()
    {
        var (store, source) = Bucket(Path.Combine(GzipDownload(), "raw"), "echo/raw");
        using var _ = store;
        using var __ = source;
        source.ReadAhead("0/a.png");   // a hint never throws
        var e = Assert.Throws<VgtDataException>(() => source.Read("0/a.png"));
        Assert.Equal("tar part s3://vgt/echo/raw/0.tar.gz is gzip-compressed and cannot be read in place; download and unpack it first: " +
            "vgtdata extract --input 0.tar.gz --out 0", e.Message);
    }
}
