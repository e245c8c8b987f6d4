using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using VgtData.Config;
using VgtData.Datasets;
using VgtData.Sources;
using VgtData.Storage;
using VgtData.Tests.Cli;
using TestPng = VgtData.Tests.Validation.Images;

namespace VgtData.Tests.Storage;

/// <summary>
/// A server that answers as no honest one does: listings that never end, redirects, odd 4xx bodies, a 10 GB
/// Content-Length, chunked bodies, silence, control characters in its error text. Each ends in one line (exit 1) or one
/// bad sample with its reason while the run goes on; refused credentials still stop the run.
/// </summary>
public sealed class S3HostileServerTests : IDisposable
{
    private const string Esc = "\u001b", Bel = "\u0007";

    // Ordinal: culture-aware string search ignores control characters and would find them anywhere.
    private static void AssertNoControls(string text) =>
        Assert.False(text.Contains('\u001b') || text.Contains('\u0007'), $"ESC or BEL printed raw: {MessageText.Escape(text)}");
    private readonly string _root = Directory.CreateTempSubdirectory("vgtdata-s3-hostile-").FullName;
    private readonly ScriptedS3Server _server;
    private Func<ScriptedRequest, ScriptedAnswer?> _script = _ => null;

    public S3HostileServerTests()
    {
        _server = new ScriptedS3Server("b", r => _script(r));
        for (int i = 0; i < 4; i++) _server.Objects[$"ds/img/{i}.png"] = TestPng.Png(100 + i, 100);
        _server.Objects["ds/data.json"] = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(
            Enumerable.Range(0, 4).Select(i => new { image = $"img/{i}.png", caption = $"picture {i}" })));
    }

    public void Dispose()
    {
        _server.Dispose();
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { }
    }

    private string Endpoint => _server.Endpoint.ToString();

    /// <summary>A config reading the server's data.json; its images from ceph_folder, or from <paramref name="extraDataset"/>'s keys.</summary>
    private string Config(string extraDataset = "", string ini = "")
    {
        var path = Path.Combine(_root, "run.json");
        var images = extraDataset.Length == 0 ? "\"ceph_folder\": \"s3://b/ds\"," : "\"image_folder\": \"/nonexistent\",";
        File.WriteAllText(path, $$"""
            { "image_size": 32, "seed": 1, "tokenizer": "embedded:o200k",
              "dataset": { "data_path": "s3://b/ds/data.json", {{images}}
                           "ceph_config": {{JsonSerializer.Serialize(_server.WritePetrelConfig(_root, ini))}} {{extraDataset}} },
              "train_dataloader": { "batch_size": 2, "num_workers": 1 } }
            """);
        return path;
    }

    private static ScriptedAnswer? For(ScriptedRequest r, string key, ScriptedAnswer answer) => r.Key == key && !r.IsListing ? answer : null;

    private static S3Store Store(Uri endpoint, int maxListPages = 100_000) => new(new S3Settings
    {
        AccessKey = "k", SecretKey = "s", Endpoint = endpoint, MaxAttempts = 2, Timeout = TimeSpan.FromSeconds(5),
        BaseBackoff = TimeSpan.FromMilliseconds(10), MaxListPages = maxListPages,
    });

    // ---- Listings that never end (issue 23, item 7) ----

    /// <summary>Case → (the listing's answer for the n-th page, the max_list_pages, the reason, the requests it may take).</summary>
    private static (Func<int, ScriptedAnswer> Page, int MaxPages, string Reason, int Requests) ListingCase(string name) => name switch
    {
        "the same page with a new token each time" => (n => ScriptedAnswer.Listing("b", [("ds/a", 1)], true, $"token{n}"), 100_000,
            "page 2 starts at 'ds/a', not after the previous page's last key 'ds/a'", 2),
        "tokens that come back" => (n => ScriptedAnswer.Listing("b", [($"ds/k{n:D5}", 1)], true, $"t{n % 2}"), 100_000,
            "page 3 repeats an earlier continuation token: the listing would never end", 3),
        "truncated without a token" => (n => ScriptedAnswer.Listing("b", [("ds/a", 1)], true, null), 100_000,
            "page 1 says there is more but gives no continuation token", 1),
        "new keys forever" => (n => ScriptedAnswer.Listing("b", [($"ds/k{n:D5}", 1)], true, $"token{n}"), 50,
            "no end after 50 pages (50 keys; max_list_pages = 50)", 50),
        "empty pages forever" => (n => ScriptedAnswer.Listing("b", [], true, $"token{n}"), 100_000,
            "100 empty pages in a row, each saying there is more", 100),
        "a key outside the prefix" => (n => ScriptedAnswer.Listing("b", [("other/x", 1)], false, null), 100_000,
            "page 1 holds the key 'other/x', outside the prefix", 1),
        _ => throw new ArgumentException(name),
    };

    [Theory]
    [InlineData("the same page with a new token each time")]
    [InlineData("tokens that come back")]
    [InlineData("truncated without a token")]
    [InlineData("new keys forever")]
    [InlineData("empty pages forever")]
    [InlineData("a key outside the prefix")]
    public void ListingThatWouldNeverEndIsRefusedWithOneLine(string name)
    {
        var (page, maxPages, reason, requests) = ListingCase(name);
        int served = 0;
        _script = r => r.IsListing ? page(Interlocked.Increment(ref served)) : null;
        using var store = Store(_server.Endpoint, maxPages);
        var list = Task.Run(() => store.List(S3Location.Parse("s3://b/ds/")));
        Assert.True(SpinWait.SpinUntil(() => list.IsCompleted, TimeSpan.FromSeconds(60)), "listing still running after 60 s");
        var e = Assert.IsType<VgtDataException>(list.Exception?.InnerException);
        Assert.Equal($"s3://b/ds/: listing at {Endpoint}: {reason}", e.Message);
        Assert.Equal(requests, served);
    }

    // ---- Bad input that was exit 70 (internal error) is one line, exit 1 ----

    /// <summary>Case → (what the server does, the extra dataset keys, the error line after "vgtdata validate: ").</summary>
    private (Func<ScriptedRequest, ScriptedAnswer?> Script, string Dataset, string Line) CliCase(string name) => name switch
    {
        "data.json answered with a redirect" => (r => For(r, "ds/data.json",
                ScriptedAnswer.Error(301, "PermanentRedirect", "The bucket is in another region", "\r\nLocation: http://elsewhere.invalid/")), "",
            $"s3://b/ds/data.json: {Endpoint} answered 301 PermanentRedirect: The bucket is in another region"),
        "data.json answered 400 with an unusual XML body" => (r => For(r, "ds/data.json", ScriptedAnswer.Xml(400, "<Oops><What>odd</What></Oops>")), "",
            $"s3://b/ds/data.json: {Endpoint} answered 400 BadRequest"),
        "data.json answered with ESC and BEL in its error" => (r => For(r, "ds/data.json",
                ScriptedAnswer.Error(400, "InvalidArgument", $"bad {Esc}[31mred{Bel} bell")), "",
            $@"s3://b/ds/data.json: {Endpoint} answered 400 InvalidArgument: bad \x1b[31mred\x07 bell"),
        "a malformed listing of tar parts" => (r => r.IsListing && r.Query.GetValueOrDefault("max-keys") != "1"
                ? ScriptedAnswer.Status(200, "application/xml", "not xml <<"u8.ToArray()) : null,
            """, "image_source": { "type": "tar", "parts": "s3://b/ds/part_*.tar" }""",
            $"error: {Path.Combine(_root, "run.json")}: dataset.image_source.parts: s3://b/ds/: {Endpoint} gave an answer that cannot be read: Data at the root level is invalid. Line 1, position 1."),
        "a listing of tar parts that never ends" => (r => r.IsListing && r.Query.GetValueOrDefault("max-keys") != "1"
                ? ScriptedAnswer.Listing("b", [("ds/part_1.tar", 1)], true, Guid.NewGuid().ToString("N")) : null,
            """, "image_source": { "type": "tar", "parts": "s3://b/ds/part_*.tar" }""",
            $"error: {Path.Combine(_root, "run.json")}: dataset.image_source.parts: s3://b/ds/: listing at {Endpoint}: page 2 starts at 'ds/part_1.tar', not after the previous page's last key 'ds/part_1.tar'"),
        "credentials refused everywhere" => (r => ScriptedAnswer.Error(403, "InvalidAccessKeyId", "The key does not exist"), "",
            $"error: {Path.Combine(_root, "run.json")}: dataset.ceph_config: s3://b/ds: {Endpoint} refused the credentials from ceph_config {Path.Combine(_root, "scripted.conf")} [c] (403 InvalidAccessKeyId); check access_key/secret_key"),
        _ => throw new ArgumentException(name),
    };

    [Theory]
    [InlineData("data.json answered with a redirect")]
    [InlineData("data.json answered 400 with an unusual XML body")]
    [InlineData("data.json answered with ESC and BEL in its error")]
    [InlineData("a malformed listing of tar parts")]
    [InlineData("a listing of tar parts that never ends")]
    [InlineData("credentials refused everywhere")]
    public void BadAnswerAtStartIsOneLineAndExitOne(string name)
    {
        var (script, dataset, line) = CliCase(name);
        _script = script;
        var result = CliOutcome.Run(["validate", Config(dataset)]);
        CliOutcome.AssertOneLineFailure(result, "validate", null, code: 1);
        Assert.Equal($"vgtdata validate: {line}\n", result.Err.Replace("\r\n", "\n"));
        AssertNoControls(result.Err + result.Out);
    }

    // ---- One object's answer is a bad sample of that object; the run goes on ----

    /// <summary>Case → (the answer for img/1.png, the bad-sample line's reason and detail).</summary>
    private (ScriptedAnswer Answer, string Failure) ObjectCase(string name) => name switch
    {
        "301 redirect" => (ScriptedAnswer.Error(301, "PermanentRedirect", "Use the other endpoint", "\r\nLocation: http://elsewhere.invalid/"),
            $"refused by storage: {Endpoint} answered 301 PermanentRedirect: Use the other endpoint"),
        "307 redirect to another host" => (ScriptedAnswer.Error(307, "TemporaryRedirect", "Please re-send", "\r\nLocation: http://elsewhere.invalid/b/ds/img/1.png"),
            $"refused by storage: {Endpoint} answered a redirect to a host that is not an S3 endpoint: Invalid S3 URI - hostname does not appear to be a valid S3 endpoint"),
        "400 with an unusual XML body" => (ScriptedAnswer.Xml(400, "<Oops><What>odd</What></Oops>"),
            $"refused by storage: {Endpoint} answered 400 BadRequest"),
        "403 for this object only" => (ScriptedAnswer.Error(403, "AccessDenied", "Access Denied"),
            $"refused by storage: {Endpoint} answered 403 AccessDenied: Access Denied for this object (the bucket accepts the credentials)"),
        "10 GB Content-Length" => (ScriptedAnswer.Raw("HTTP/1.1 200 OK\r\nContent-Type: image/png\r\nContent-Length: 10737418240", new byte[4096]),
            "file too large: object is 10737418240 bytes, over the limit of 268435456 bytes (dataset.max_file_mb)"),
        "ESC and BEL in the error body" => (ScriptedAnswer.Error(400, "InvalidArgument", $"bad {Esc}[31mred{Bel} bell"),
            $@"refused by storage: {Endpoint} answered 400 InvalidArgument: bad \x1b[31mred\x07 bell"),
        _ => throw new ArgumentException(name),
    };

    [Theory]
    [InlineData("301 redirect")]
    [InlineData("307 redirect to another host")]
    [InlineData("400 with an unusual XML body")]
    [InlineData("403 for this object only")]
    [InlineData("10 GB Content-Length")]
    [InlineData("ESC and BEL in the error body")]
    public void OneObjectRefusedIsABadSampleAndTheRunGoesOn(string name)
    {
        var (answer, failure) = ObjectCase(name);
        _script = r => For(r, "ds/img/1.png", answer);
        using var pipeline = PipelineFactory.Build(ConfigLoader.Load(Config()));
        var dataset = (CaptionDataset)pipeline.Dataset;
        for (int i = 0; i < 4; i++)
        {
            using var sample = dataset.GetSample(i);
            Assert.NotEqual(1, sample.SourceIndex);
        }
        var recorded = Assert.Single(dataset.Failures.Recorded);
        Assert.Equal($"sample 1 (s3://b/ds/img/1.png): {failure}", recorded.ToString());
        Assert.Equal(5, dataset.Failures.Reads);
    }

    [Fact]
    public void EscapesInAServerBodyComeOutEscapedInValidate()
    {
        _script = r => For(r, "ds/img/1.png", ScriptedAnswer.Error(400, "InvalidArgument", $"bad {Esc}[31mred{Bel} bell"));
        var result = CliOutcome.Run(["validate", Config()]);
        Assert.Equal(1, result.Code);
        Assert.Contains($@"  0:1 img/1.png: refused by storage: {Endpoint} answered 400 InvalidArgument: bad \x1b[31mred\x07 bell [s3://b/ds/img/1.png]",
            result.Out);
        AssertNoControls(result.Err + result.Out);
    }

    [Fact]
    public void CredentialsRefusedMidRunStopTheRun()
    {
        using var pipeline = PipelineFactory.Build(ConfigLoader.Load(Config()));
        var dataset = (CaptionDataset)pipeline.Dataset;
        dataset.GetSample(0).Dispose();
        var conf = Path.Combine(_root, "scripted.conf");
        // Revoked: every request is 403, so the bucket check that follows a 403 for one object is refused too.
        _script = _ => ScriptedAnswer.Error(403, "AccessDenied", "Access Denied");
        var e = Assert.Throws<S3AccessException>(() => dataset.GetSample(1));
        Assert.Equal($"s3://b/ds/img/1.png: {Endpoint} refused the credentials from ceph_config {conf} [c] (403 AccessDenied); check access_key/secret_key", e.Message);
        // An unknown key is refused at once, without that check.
        _script = _ => ScriptedAnswer.Error(403, "InvalidAccessKeyId", "The key does not exist");
        int before = _server.Requests;
        e = Assert.Throws<S3AccessException>(() => dataset.GetSample(2));
        Assert.Equal($"s3://b/ds/img/2.png: {Endpoint} refused the credentials from ceph_config {conf} [c] (403 InvalidAccessKeyId); check access_key/secret_key", e.Message);
        Assert.Equal(before + 1, _server.Requests);
    }

    [Fact]
    public void TarMemberRefusedOrOverTheLimitIsABadSample()
    {
        var tar = new MemoryStream();
        using (var writer = new System.Formats.Tar.TarWriter(tar, System.Formats.Tar.TarEntryFormat.Ustar, leaveOpen: true))
            for (int i = 0; i < 2; i++)
                writer.WriteEntry(new System.Formats.Tar.UstarTarEntry(System.Formats.Tar.TarEntryType.RegularFile, $"img/{i}.png")
                    { DataStream = new MemoryStream(_server.Objects[$"ds/img/{i}.png"]) });
        _server.Objects["ds/part_1.tar"] = tar.ToArray();
        using var store = Store(_server.Endpoint);
        using var source = new S3TarImageSource(store, "s3://b/ds/part_*.tar", readAhead: 0, cacheDir: _root, maxFileBytes: 10_000);
        Assert.True(source.Index.TryFind("img/1.png", out var member));
        // The member's own ranged GET is refused; the header reads that built the index were not.
        _script = r => r.Key == "ds/part_1.tar" && r.Headers.GetValueOrDefault("range") == $"bytes={member.Offset}-{member.Offset + member.Length - 1}"
            ? ScriptedAnswer.Error(400, "InvalidRequest", "No ranges here") : null;
        var e = Assert.Throws<SampleException>(() => source.Read("img/1.png"));
        Assert.Equal($"sample (s3://b/ds/part_1.tar:img/1.png): refused by storage: {Endpoint} answered 400 InvalidRequest: No ranges here", e.Message);
        using (var ok = source.Read("img/0.png")) Assert.Equal(_server.Objects["ds/img/0.png"], ok.Memory.ToArray());

        using var small = new S3TarImageSource(store, "s3://b/ds/part_*.tar", readAhead: 0, cacheDir: _root, maxFileBytes: 100);
        e = Assert.Throws<SampleException>(() => small.Read("img/0.png"));
        Assert.Equal(SampleFailureReason.FileTooLarge, e.Reason);
        Assert.Equal($"sample (s3://b/ds/part_1.tar:img/0.png): file too large: member is {_server.Objects["ds/img/0.png"].Length} bytes, over the limit of 100 bytes (dataset.max_file_mb)", e.Message);
    }

    // ---- Bodies without a size; answers that ignore the range ----

    [Fact]
    public void ChunkedObjectReadsWhole()
    {
        var content = new byte[300_001];
        new Random(3).NextBytes(content);
        _script = r => For(r, "ds/blob.bin", ScriptedAnswer.Chunked(content, chunk: 7000));
        using var store = Store(_server.Endpoint);
        using var read = store.TryGet(S3Location.Parse("s3://b/ds/blob.bin"));
        Assert.NotNull(read);
        Assert.Equal(content, read.Memory.ToArray());

        // An image sent chunked decodes like any other.
        var png = _server.Objects["ds/img/2.png"];
        _script = r => For(r, "ds/img/2.png", ScriptedAnswer.Chunked(png, chunk: 100));
        using var pipeline = PipelineFactory.Build(ConfigLoader.Load(Config()));
        var dataset = (CaptionDataset)pipeline.Dataset;
        using var sample = dataset.GetSample(2);
        Assert.Equal(2, sample.SourceIndex);
        Assert.Equal(0, dataset.Failures.Failures);
    }

    [Fact]
    public void ChunkedObjectOverTheLimitIsABadSampleReadOnlyToTheLimit()
    {
        _script = r => For(r, "ds/big.png", ScriptedAnswer.Chunked(new byte[50_000], chunk: 1000));
        using var store = Store(_server.Endpoint);
        using var source = new S3ImageSource(store, S3Location.Parse("s3://b/ds"), readAhead: 0, maxFileBytes: 10_000);
        var e = Assert.Throws<SampleException>(() => source.Read("big.png"));
        Assert.Equal(SampleFailureReason.FileTooLarge, e.Reason);
        Assert.Equal("sample (s3://b/ds/big.png): file too large: object (sent without a size) is larger, over the limit of 10000 bytes (dataset.max_file_mb)", e.Message);
    }

    [Fact]
    public void RangeAnsweredWithTheWholeObjectIsRefused()
    {
        var content = new byte[3000];
        _script = r => For(r, "ds/part.tar", ScriptedAnswer.Status(200, "application/x-tar", content));
        using var store = Store(_server.Endpoint);
        var e = Assert.Throws<S3RefusedException>(() => store.TryGet(S3Location.Parse("s3://b/ds/part.tar"), 512, 100));
        Assert.Equal("asked for 100 bytes, the answer holds 3000 (the server ignored the range)", e.Message);
        Assert.Equal("s3://b/ds/part.tar", e.Address);
    }

    [Fact]
    public void WholeReadAnsweredWithPartOfTheObjectIsRefusedAndItsTotalChecked()
    {
        _script = r => r.Key switch
        {
            "ds/part.bin" when !r.IsListing => ScriptedAnswer.Status(206, "application/octet-stream", new byte[100], "\r\nContent-Range: bytes 0-99/5000"),
            "ds/huge.bin" when !r.IsListing => ScriptedAnswer.Status(206, "application/octet-stream", new byte[100], "\r\nContent-Range: bytes 0-99/10737418240"),
            _ => null,
        };
        using var store = Store(_server.Endpoint);
        var refused = Assert.Throws<S3RefusedException>(() => store.TryGet(S3Location.Parse("s3://b/ds/part.bin")));
        Assert.Equal("the answer holds 100 bytes of an object of 5000 bytes", refused.Message);
        var large = Assert.Throws<S3TooLargeException>(() => store.TryGet(S3Location.Parse("s3://b/ds/huge.bin"), maxBytes: 1 << 20, limitName: "dataset.max_file_mb"));
        Assert.Equal("object is 10737418240 bytes, over the limit of 1048576 bytes (dataset.max_file_mb)", large.Message);
    }

    // ---- A silent object costs at most max_retry_s ----

    [Fact]
    public void SilentObjectIsUnreachableWithinTheRetryTimeLimit()
    {
        _script = r => For(r, "ds/img/1.png", ScriptedAnswer.Nothing);
        using var pipeline = PipelineFactory.Build(ConfigLoader.Load(Config(ini: "max_attempts = 8\ntimeout_s = 1\nmax_retry_s = 2")));
        var dataset = (CaptionDataset)pipeline.Dataset;
        var clock = Stopwatch.StartNew();
        var failure = dataset.Check(1, out _);
        // 8 tries of 1 s would be 8 s and more; the limit ends it at 2 s (generous margin for a loaded machine).
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(6), $"took {clock.Elapsed}");
        Assert.NotNull(failure);
        Assert.Equal(SampleFailureReason.Unreachable, failure.Reason);
        var line = failure.ToString();
        Assert.Matches(new Regex(@"^sample 1 \(s3://b/ds/img/1\.png\): unreachable: gave up after [1-3] tr(y|ies) in 2\.\d s \(max_retry_s = 2\): timed out$"), line);
    }

    [Fact]
    public void MessageTextEscapesControlsOnly()
    {
        Assert.Equal(@"a\x1b[31mb\x07c\x0ad\x7f\x85\u2028\u202e C:\dir é 日本", MessageText.Escape("a\u001b[31mb\u0007c\nd\u007f\u0085\u2028\u202e C:\\dir é 日本"));
        const string plain = "s3://b/ds/img/1.png: answered 400";
        Assert.Same(plain, MessageText.Escape(plain));
        Assert.Equal(MessageText.Escape("x\u001by"), MessageText.Escape(MessageText.Escape("x\u001by")));
    }
}
