using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text.Json;
using VgtData.Preparation;
using VgtData.Storage;
using VgtData.Upload;

namespace VgtData.Tests.Storage;

/// <summary><see cref="S3Uploader"/> against a real s3rver: read-back parity, resuming, multipart, interruption.</summary>
public sealed class S3UploadTests : IDisposable
{
    private const long SmallPart = 64 << 10;
    private readonly string _root = Directory.CreateTempSubdirectory("vgtdata-s3-upload-").FullName;
    private S3TestServer? _server;

    public void Dispose()
    {
        _server?.Dispose();
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { }
    }

    private S3TestServer Server => _server ??= S3TestServer.StartOrSkip();

    /// <summary>A prepared dataset: 12 PNGs + data.json, a 300 KiB "tar part" (several small parts), a latents file,
    /// and an extraction temporary that must not be uploaded.</summary>
    private string MakeDataset()
    {
        var local = Path.Combine(_root, "local");
        SyntheticDataset.Write(local, 12, [(128, 96), (96, 128)], seed: 3, workers: 1);
        Directory.CreateDirectory(Path.Combine(local, "raw"));
        File.WriteAllBytes(Path.Combine(local, "raw", "part_0.tar"), RandomBytes(300 << 10, 1));
        Directory.CreateDirectory(Path.Combine(local, "latents", "images"));
        File.WriteAllBytes(Path.Combine(local, "latents", "images", "000000.png.pt"), RandomBytes(1000, 2));
        Directory.CreateDirectory(Path.Combine(local, "images", ".vgtdata-tmp"));
        File.WriteAllBytes(Path.Combine(local, "images", ".vgtdata-tmp", "0a.part"), [1, 2, 3]);
        return local;
    }

    private static byte[] RandomBytes(int n, int seed)
    {
        var bytes = new byte[n];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    private static int UploadableCount(string local) =>
        Directory.EnumerateFiles(local, "*", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(local, f)).Count(IsUploadable);

    private static bool IsUploadable(string relative) => !relative.Contains(".vgtdata-tmp") && !relative.StartsWith(UploadJournal.FolderName, StringComparison.Ordinal);

    private S3Store Store()
    {
        var store = new S3Store(Server.Settings());
        store.EnsureBucket("vgt");
        return store;
    }

    private static UploadReport Upload(S3Store store, string local, string target, long partSize = SmallPart, int concurrency = 3,
        Action<UploadEvent>? observer = null, CancellationToken cancel = default) =>
        S3Uploader.UploadAsync(store, local, S3Location.Parse(target),
            new UploadOptions { PartSize = partSize, Concurrency = concurrency, Observer = observer }, cancel).GetAwaiter().GetResult();

    /// <summary>Every uploadable local file has an object with the same bytes, and nothing else is below the prefix.</summary>
    private static void AssertBucketEqualsFolder(S3Store store, string local, string target)
    {
        var location = S3Location.Parse(target);
        var keys = store.List(location with { Key = location.KeyPrefix }).Select(o => o.Key[location.KeyPrefix.Length..]).ToList();
        var files = Directory.EnumerateFiles(local, "*", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(local, f).Replace('\\', '/'))
            .Where(IsUploadable)
            .Order(StringComparer.Ordinal).ToList();
        Assert.Equal(files, keys);
        foreach (var relative in files)
        {
            using var bytes = store.TryGet(location.Append(relative));
            Assert.NotNull(bytes);
            Assert.True(bytes.Span.SequenceEqual(File.ReadAllBytes(Path.Combine(local, relative))), $"{relative} differs in the bucket");
        }
    }

    [SkippableFact]
    public void UploadedDatasetReadsBackWithTheSameBatchesAsTheLocalFolder()
    {
        var local = MakeDataset();
        using var store = Store();
        var report = Upload(store, local, "s3://vgt/up");
        int files = UploadableCount(local);
        Assert.Equal((files, files, 0, 1), (report.Files, report.Uploaded, report.Skipped, report.Multipart));
        AssertBucketEqualsFolder(store, local, "s3://vgt/up");

        var ini = Server.WritePetrelConfig(_root);
        string Config(string name, string dataset) => WriteFile(name, $$"""
            {
              "image_size": 32, "seed": 4, "tokenizer": "embedded:o200k",
              "dataset": {{dataset}},
              "train_dataloader": { "batch_size": 4, "num_workers": 2, "prefetch_factor": 2,
                                    "sampler": { "type": "InfiniteSampler", "shuffle": true } }
            }
            """);
        var localConfig = Config("local.json", $$"""{ "data_path": {{Json(Path.Combine(local, "data.json"))}}, "image_folder": {{Json(local)}} }""");
        var s3Config = Config("s3.json", $$"""{ "data_path": "s3://vgt/up/data.json", "ceph_folder": "s3://vgt/up", "ceph_config": {{Json(ini)}} }""");
        var (expected, localFailures, p1) = S3DatasetTests.Run(localConfig, 6);
        p1.Dispose();
        var (actual, s3Failures, p2) = S3DatasetTests.Run(s3Config, 6);
        p2.Dispose();
        Assert.Equal((0L, 0L), (localFailures, s3Failures));
        Assert.Equal(expected, actual);
    }

    [SkippableFact]
    public void RerunUploadsNothingThenExactlyWhatChangedOrWentMissing()
    {
        var local = MakeDataset();
        using var store = Store();
        Upload(store, local, "s3://vgt/re");
        int files = UploadableCount(local);

        var again = Upload(store, local, "s3://vgt/re");
        Assert.Equal((files, 0, files, 0L), (again.Files, again.Uploaded, again.Skipped, again.BytesUploaded));

        // Same size, new bytes, new time: the journal no longer vouches for it, and the hash differs.
        var changed = Path.Combine(local, "latents", "images", "000000.png.pt");
        File.WriteAllBytes(changed, RandomBytes(1000, 99));
        File.SetLastWriteTimeUtc(changed, DateTime.UtcNow.AddMinutes(1));
        store.Delete(S3Location.Parse("s3://vgt/re/images/000004.png"));
        var uploaded = new ConcurrentBag<string>();
        var third = Upload(store, local, "s3://vgt/re", observer: e => { if (e.Step == UploadStep.Uploaded) uploaded.Add(e.RelativePath); });
        Assert.Equal(["images/000004.png", "latents/images/000000.png.pt"], uploaded.Order(StringComparer.Ordinal));
        Assert.Equal((2, files - 2), (third.Uploaded, third.Skipped));
        AssertBucketEqualsFolder(store, local, "s3://vgt/re");
    }

    [SkippableFact]
    public void WithoutTheJournalEqualityIsDecidedBySizeAndContentHash()
    {
        var local = MakeDataset();
        using var store = Store();
        Upload(store, local, "s3://vgt/hash");
        Directory.Delete(Path.Combine(local, UploadJournal.FolderName), recursive: true);
        // Every file is read and hashed, the multipart one included (s3rver stores its plain MD5; S3 the md5-of-md5s form).
        var rerun = Upload(store, local, "s3://vgt/hash");
        Assert.Equal((0, UploadableCount(local)), (rerun.Uploaded, rerun.Skipped));
        Assert.Single(Directory.GetFiles(Path.Combine(local, UploadJournal.FolderName)));

        // A remote object of the same size but other bytes (written by someone else) is replaced.
        store.Put(S3Location.Parse("s3://vgt/hash/raw/part_0.tar"), RandomBytes(300 << 10, 7));
        var fixedUp = Upload(store, local, "s3://vgt/hash");
        Assert.Equal((1, 1), (fixedUp.Uploaded, fixedUp.Multipart));
        AssertBucketEqualsFolder(store, local, "s3://vgt/hash");
    }

    [SkippableFact]
    public void MultipartUploadsKeepTheBytesAtEveryPartBoundary()
    {
        var local = Path.Combine(_root, "parts");
        Directory.CreateDirectory(local);
        // One byte under, at, and over one part; exactly two parts; two and a half.
        var sizes = new Dictionary<string, int> { ["a.bin"] = (int)SmallPart - 1, ["b.bin"] = (int)SmallPart, ["c.bin"] = (int)SmallPart + 1,
            ["d.bin"] = 2 * (int)SmallPart, ["e.bin"] = 5 * (int)SmallPart / 2, ["empty.bin"] = 0 };
        int seed = 0;
        foreach (var (name, size) in sizes) File.WriteAllBytes(Path.Combine(local, name), RandomBytes(size, ++seed));
        using var store = Store();
        var parts = new ConcurrentDictionary<string, int>();
        var report = Upload(store, local, "s3://vgt/mp", observer: e => { if (e.Step == UploadStep.Part) parts.AddOrUpdate(e.RelativePath, 1, (_, n) => n + 1); });
        Assert.Equal((6, 3), (report.Uploaded, report.Multipart));
        Assert.Equal(new Dictionary<string, int> { ["c.bin"] = 2, ["d.bin"] = 2, ["e.bin"] = 3 }, parts.ToDictionary());
        AssertBucketEqualsFolder(store, local, "s3://vgt/mp");
        Assert.Equal(6, Upload(store, local, "s3://vgt/mp").Skipped);
    }

    /// <summary>Uploads with a cancel after part <paramref name="stopAfterPart"/> of the 300 KiB "tar part" (5 parts of
    /// 64 KiB); returns the part numbers sent per file.</summary>
    private static ConcurrentDictionary<string, ConcurrentBag<int>> UploadUntilCancelled(S3Store store, string local, string target, int stopAfterPart)
    {
        using var cancel = new CancellationTokenSource();
        var parts = new ConcurrentDictionary<string, ConcurrentBag<int>>();
        void Observer(UploadEvent e)
        {
            if (e.Step != UploadStep.Part) return;
            parts.GetOrAdd(e.RelativePath, _ => []).Add(e.PartNumber);
            if (e.PartNumber == stopAfterPart) cancel.Cancel();
        }
        Assert.ThrowsAny<OperationCanceledException>(() => Upload(store, local, target, concurrency: 2, observer: Observer, cancel: cancel.Token));
        return parts;
    }

    [SkippableFact]
    public void InterruptedRunThenRerunResumesTheMultipartUploadAtItsNextPart()
    {
        var local = MakeDataset();
        using var store = Store();
        var first = UploadUntilCancelled(store, local, "s3://vgt/cut", stopAfterPart: 2);
        Assert.Equal([1, 2], first["raw/part_0.tar"].Order());
        var location = S3Location.Parse("s3://vgt/cut");
        Assert.Null(store.Head(location.Append("raw/part_0.tar")));
        Assert.Null(store.Head(location.Append("data.json")));   // manifests go last

        var parts = new ConcurrentBag<int>();
        var rerun = Upload(store, local, "s3://vgt/cut", observer: e => { if (e.Step == UploadStep.Part) parts.Add(e.PartNumber); });
        int files = UploadableCount(local);
        Assert.Equal(files, rerun.Uploaded + rerun.Skipped);
        Assert.True(rerun.Skipped > 0, "nothing uploaded before the interruption was kept");
        Assert.Equal(1, rerun.Multipart);
        Assert.Equal([3, 4, 5], parts.Order());
        AssertBucketEqualsFolder(store, local, "s3://vgt/cut");
        Assert.Equal(files, Upload(store, local, "s3://vgt/cut").Skipped);
    }

    [SkippableFact]
    public void AFileChangedAfterTheInterruptionStartsItsMultipartUploadOver()
    {
        var local = MakeDataset();
        using var store = Store();
        UploadUntilCancelled(store, local, "s3://vgt/chg", stopAfterPart: 3);
        var tar = Path.Combine(local, "raw", "part_0.tar");
        File.WriteAllBytes(tar, RandomBytes(250 << 10, 8));
        File.SetLastWriteTimeUtc(tar, DateTime.UtcNow.AddMinutes(1));
        var parts = new ConcurrentBag<int>();
        Upload(store, local, "s3://vgt/chg", observer: e => { if (e.Step == UploadStep.Part) parts.Add(e.PartNumber); });
        Assert.Equal([1, 2, 3, 4], parts.Order());
        AssertBucketEqualsFolder(store, local, "s3://vgt/chg");
    }

    [SkippableFact]
    public void AnUploadTheServerForgotStartsOver()
    {
        var local = MakeDataset();
        using var store = Store();
        UploadUntilCancelled(store, local, "s3://vgt/gone", stopAfterPart: 2);
        var journal = Assert.Single(Directory.GetFiles(Path.Combine(local, UploadJournal.FolderName)));
        var uploadId = File.ReadLines(journal).Select(l => l.Split('\t')).First(f => f[0] == "P")[5];
        // The proxy answers NoSuchUpload for that id, as S3 does after an abort or a lifecycle expiry.
        using var proxy = new RefusingS3Proxy(Server.Endpoint, r => r.QueryString["uploadId"] == uploadId ? (404, "NoSuchUpload") : null);
        using var viaProxy = new S3Store(Server.Settings() with { Endpoint = proxy.Endpoint });
        var target = S3Location.Parse("s3://vgt/gone");
        string proxyJournal;
        using (var j = UploadJournal.Open(local, viaProxy.EndpointName, target)) proxyJournal = j.FilePath;
        File.Copy(journal, proxyJournal, overwrite: true);

        var parts = new ConcurrentBag<int>();
        var report = Upload(viaProxy, local, "s3://vgt/gone", observer: e => { if (e.Step == UploadStep.Part) parts.Add(e.PartNumber); });
        Assert.True(proxy.Refused >= 1, "the resumed upload never reached the server");
        Assert.Equal([1, 2, 3, 4, 5], parts.Order());
        Assert.Equal(1, report.Multipart);
        AssertBucketEqualsFolder(store, local, "s3://vgt/gone");
    }

    [SkippableFact]
    public void ARefusedUploadIsOneTypedErrorNamingTheObject()
    {
        var local = MakeDataset();
        using var store = Store();
        using var proxy = new RefusingS3Proxy(Server.Endpoint,
            r => r.HttpMethod == "PUT" && r.Url!.AbsolutePath.EndsWith("/000003.png", StringComparison.Ordinal) ? (400, "InvalidArgument") : null);
        using var viaProxy = new S3Store(Server.Settings() with { Endpoint = proxy.Endpoint });
        var e = Assert.Throws<VgtDataException>(() => Upload(viaProxy, local, "s3://vgt/bad", concurrency: 1));
        Assert.StartsWith($"s3://vgt/bad/images/000003.png: {proxy.Endpoint} answered 400 InvalidArgument uploading {Path.Combine(local, "images", "000003.png")}: refused by the test proxy", e.Message);
        Assert.Equal(1, proxy.Refused);
        // Files before it in path order are stored and recorded: the rerun (past the refusal) skips them.
        var rerun = Upload(store, local, "s3://vgt/bad");
        Assert.Equal(3, rerun.Skipped);
        AssertBucketEqualsFolder(store, local, "s3://vgt/bad");
    }

    [Theory]
    [InlineData(0L, 64L << 20)]
    [InlineData(640_000L << 20, 64L << 20)]            // exactly 10,000 parts
    [InlineData((640_000L << 20) + 1, 65L << 20)]      // one byte more: the next whole MiB
    [InlineData(5L << 40, 525L << 20)]                 // 5 TiB, S3's largest object: 9,987 parts
    public void PartsGrowBeyondTenThousand(long size, long expected)
    {
        long part = S3Uploader.PartSizeFor(size, UploadOptions.DefaultPartSize);
        Assert.Equal(expected, part);
        Assert.True((size + part - 1) / part <= 10_000);
    }

    [Fact]
    public async Task LocalETagHasTheMultipartFormOfS3()
    {
        var path = Path.Combine(_root, "f.bin");
        var bytes = RandomBytes(250_000, 5);
        File.WriteAllBytes(path, bytes);
        var etag = await LocalETag.ComputeAsync(path, 100_000);
        Assert.Equal(Convert.ToHexStringLower(MD5.HashData(bytes)), etag.Md5);
        var digests = new[] { bytes[..100_000], bytes[100_000..200_000], bytes[200_000..] }.SelectMany(MD5.HashData).ToArray();
        Assert.Equal(Convert.ToHexStringLower(MD5.HashData(digests)) + "-3", etag.Multipart);
        Assert.True(etag.Matches($"\"{etag.Multipart!.ToUpperInvariant()}\""));
        Assert.True(etag.Matches(etag.Md5));
        Assert.False(etag.Matches(etag.Md5[..^1] + (etag.Md5[^1] == '0' ? '1' : '0')));
        // One part or less: only the plain MD5 (a single PUT's ETag).
        Assert.Null((await LocalETag.ComputeAsync(path, 250_000)).Multipart);
    }

    private string WriteFile(string name, string text)
    {
        var path = Path.Combine(_root, name);
        File.WriteAllText(path, text);
        return path;
    }

    private static string Json(string s) => JsonSerializer.Serialize(s);
}
