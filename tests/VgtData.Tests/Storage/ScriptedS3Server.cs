using System.Net;
using System.Net.Sockets;
using System.Security;
using System.Text;

namespace VgtData.Tests.Storage;

/// <summary>One request as the scripted server read it (path-style: /bucket/key).</summary>
internal sealed record ScriptedRequest(string Method, string Path, IReadOnlyDictionary<string, string> Query, IReadOnlyDictionary<string, string> Headers)
{
    public string Bucket => Path.TrimStart('/').Split('/', 2)[0];
    public string Key => Path.TrimStart('/').Split('/', 2) is { Length: 2 } p ? Uri.UnescapeDataString(p[1]) : "";
    public bool IsListing => Method == "GET" && Key.Length == 0 && Query.ContainsKey("list-type");
}

/// <summary>What the scripted server writes back: raw bytes (then it closes the connection), or nothing at all.</summary>
internal sealed class ScriptedAnswer
{
    private ScriptedAnswer(byte[] bytes, bool silent) => (Bytes, Silent) = (bytes, silent);

    public byte[] Bytes { get; }
    public bool Silent { get; }

    /// <summary>Accepts the request and never answers (held until the server is disposed).</summary>
    public static ScriptedAnswer Nothing { get; } = new([], true);

    /// <summary>An exact head (status line and headers, without the blank line) and body, as written.</summary>
    public static ScriptedAnswer Raw(string head, byte[] body) =>
        new([.. Encoding.Latin1.GetBytes(head + "\r\nConnection: close\r\n\r\n"), .. body], false);

    public static ScriptedAnswer Status(int status, string contentType, byte[] body, string extraHeaders = "") =>
        Raw($"HTTP/1.1 {status} {Phrase(status)}\r\nContent-Type: {contentType}\r\nContent-Length: {body.Length}{extraHeaders}", body);

    public static ScriptedAnswer Xml(int status, string xml, string extraHeaders = "") =>
        Status(status, "application/xml", Encoding.UTF8.GetBytes(xml), extraHeaders);

    /// <summary>An S3 error document; <paramref name="message"/> goes in unescaped so tests can put markup or controls there.</summary>
    public static ScriptedAnswer Error(int status, string code, string message, string extraHeaders = "") =>
        Xml(status, $"<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>{code}</Code><Message>{message}</Message></Error>", extraHeaders);

    /// <summary>The object, or the part a Range header asks for (bytes=a- or bytes=a-b) as 206.</summary>
    public static ScriptedAnswer Object(byte[] content, ScriptedRequest request)
    {
        if (!request.Headers.TryGetValue("range", out var range) || !range.StartsWith("bytes=", StringComparison.Ordinal))
            return Status(200, "application/octet-stream", content, "\r\nETag: \"e\"");
        var bounds = range["bytes=".Length..].Split('-');
        long first = long.Parse(bounds[0]);
        long last = bounds[1].Length == 0 ? content.Length - 1 : Math.Min(long.Parse(bounds[1]), content.Length - 1);
        if (first >= content.Length) return Error(416, "InvalidRange", "The requested range is not satisfiable");
        return Status(206, "application/octet-stream", content[(int)first..(int)(last + 1)],
            $"\r\nETag: \"e\"\r\nContent-Range: bytes {first}-{last}/{content.Length}");
    }

    /// <summary>The whole object in chunked transfer encoding (no Content-Length), in chunks of <paramref name="chunk"/> bytes.</summary>
    public static ScriptedAnswer Chunked(byte[] content, int chunk = 1000)
    {
        var body = new MemoryStream();
        for (int at = 0; at < content.Length; at += chunk)
        {
            int n = Math.Min(chunk, content.Length - at);
            body.Write(Encoding.ASCII.GetBytes($"{n:x}\r\n"));
            body.Write(content, at, n);
            body.Write("\r\n"u8);
        }
        body.Write("0\r\n\r\n"u8);
        return Raw("HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nTransfer-Encoding: chunked\r\nETag: \"e\"", body.ToArray());
    }

    /// <summary>A ListObjectsV2 page.</summary>
    public static ScriptedAnswer Listing(string bucket, IEnumerable<(string Key, long Size)> keys, bool truncated, string? nextToken)
    {
        var xml = new StringBuilder($"<?xml version=\"1.0\" encoding=\"UTF-8\"?><ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Name>{bucket}</Name>");
        int count = 0;
        foreach (var (key, size) in keys)
        {
            xml.Append($"<Contents><Key>{SecurityElement.Escape(key)}</Key><Size>{size}</Size><ETag>\"e{size}\"</ETag></Contents>");
            count++;
        }
        xml.Append($"<KeyCount>{count}</KeyCount><IsTruncated>{(truncated ? "true" : "false")}</IsTruncated>");
        if (nextToken != null) xml.Append($"<NextContinuationToken>{nextToken}</NextContinuationToken>");
        return Xml(200, xml.Append("</ListBucketResult>").ToString());
    }

    private static string Phrase(int status) => status switch
    {
        200 => "OK", 206 => "Partial Content", 301 => "Moved Permanently", 307 => "Temporary Redirect", 400 => "Bad Request",
        403 => "Forbidden", 404 => "Not Found", 416 => "Range Not Satisfiable", 500 => "Internal Server Error", _ => "Status",
    };
}

/// <summary>
/// A minimal S3 server on 127.0.0.1 for hostile-server tests: one bucket of in-memory objects (listing, ranged GET, HEAD),
/// and a script that may answer any request its own way first. One request per connection. Every loop is bounded: at
/// most <see cref="MaxConnections"/> connections, 64 KiB of request head, 10 s to read it, 60 s for a held connection.
/// </summary>
internal sealed class ScriptedS3Server : IDisposable
{
    public const int MaxConnections = 20_000;

    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private readonly Func<ScriptedRequest, ScriptedAnswer?> _script;
    private int _requests;

    /// <param name="bucket">the one bucket the default answers serve.</param>
    /// <param name="script">answers a request its own way, or null for the default (objects, listing, 404).</param>
    public ScriptedS3Server(string bucket, Func<ScriptedRequest, ScriptedAnswer?>? script = null)
    {
        Bucket = bucket;
        _script = script ?? (_ => null);
        _listener.Start();
        Endpoint = new Uri($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/");
        _loop = Task.Run(AcceptAsync);
    }

    public string Bucket { get; }
    public Uri Endpoint { get; }

    /// <summary>The bucket's objects, by key.</summary>
    public Dictionary<string, byte[]> Objects { get; } = new(StringComparer.Ordinal);

    /// <summary>Requests read so far.</summary>
    public int Requests => Volatile.Read(ref _requests);

    /// <summary>A petrel INI naming this server, with <paramref name="extra"/> lines (max_attempts, timeout_s, ...).</summary>
    public string WritePetrelConfig(string folder, string extra = "")
    {
        var path = Path.Combine(folder, "scripted.conf");
        File.WriteAllText(path, $"[DEFAULT]\ndefault_cluster = c\n[c]\naccess_key = k\nsecret_key = s\nhost_base = {Endpoint}\nmax_attempts = 2\n{extra}\n");
        return path;
    }

    private async Task AcceptAsync()
    {
        for (int n = 0; n < MaxConnections && !_stop.IsCancellationRequested; n++)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }
            _ = Task.Run(() => ServeAsync(client));
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        using var _ = client;
        try
        {
            var stream = client.GetStream();
            using var read = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
            read.CancelAfter(TimeSpan.FromSeconds(10));
            var request = await ReadRequestAsync(stream, read.Token);
            if (request is null) return;
            Interlocked.Increment(ref _requests);
            var answer = _script(request) ?? Default(request);
            if (answer.Silent)
            {
                await Task.Delay(TimeSpan.FromSeconds(60), _stop.Token);
                return;
            }
            await stream.WriteAsync(answer.Bytes, _stop.Token);
            await stream.FlushAsync(_stop.Token);
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException or FormatException) { }
    }

    private static async Task<ScriptedRequest?> ReadRequestAsync(NetworkStream stream, CancellationToken cancel)
    {
        var head = new List<byte>();
        var one = new byte[1];
        while (head.Count < 65536)
        {
            if (await stream.ReadAsync(one, cancel) == 0) return null;
            head.Add(one[0]);
            if (head.Count >= 4 && head[^1] == '\n' && head[^2] == '\r' && head[^3] == '\n' && head[^4] == '\r') break;
        }
        var lines = Encoding.Latin1.GetString(head.ToArray()).Split("\r\n");
        var start = lines[0].Split(' ');
        if (start.Length < 2) return null;
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var line in lines.Skip(1))
            if (line.IndexOf(':') is > 0 and var colon) headers[line[..colon].Trim()] = line[(colon + 1)..].Trim();
        // Request bodies (none in these tests but PUTs) are read and dropped, up to 16 MiB.
        if (headers.TryGetValue("content-length", out var length) && long.TryParse(length, out var n) && n is > 0 and <= 16 << 20)
        {
            var body = new byte[n];
            await stream.ReadExactlyAsync(body, cancel);
        }
        var target = start[1];
        int q = target.IndexOf('?');
        var query = new Dictionary<string, string>(StringComparer.Ordinal);
        if (q >= 0)
            foreach (var pair in target[(q + 1)..].Split('&', StringSplitOptions.RemoveEmptyEntries))
            {
                var kv = pair.Split('=', 2);
                query[Uri.UnescapeDataString(kv[0])] = kv.Length > 1 ? Uri.UnescapeDataString(kv[1]) : "";
            }
        return new ScriptedRequest(start[0], q >= 0 ? target[..q] : target, query, headers);
    }

    private ScriptedAnswer Default(ScriptedRequest request)
    {
        if (request.Bucket != Bucket) return ScriptedAnswer.Error(404, "NoSuchBucket", "The specified bucket does not exist");
        if (request.IsListing)
        {
            var prefix = request.Query.GetValueOrDefault("prefix") ?? "";
            int max = request.Query.TryGetValue("max-keys", out var m) ? int.Parse(m) : 1000;
            var keys = Objects.Keys.Where(k => k.StartsWith(prefix, StringComparison.Ordinal)).Order(StringComparer.Ordinal).ToList();
            return ScriptedAnswer.Listing(Bucket, keys.Take(max).Select(k => (k, (long)Objects[k].Length)), truncated: false, nextToken: null);
        }
        if (!Objects.TryGetValue(request.Key, out var content)) return ScriptedAnswer.Error(404, "NoSuchKey", "The specified key does not exist.");
        if (request.Method == "HEAD")
            return ScriptedAnswer.Raw($"HTTP/1.1 200 OK\r\nContent-Length: {content.Length}\r\nETag: \"e\"", []);
        return ScriptedAnswer.Object(content, request);
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
        try { _loop.Wait(TimeSpan.FromSeconds(5)); } catch (AggregateException) { }
        _stop.Dispose();
    }
}
