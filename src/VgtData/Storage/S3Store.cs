using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;

namespace VgtData.Storage;

/// <summary>Size and version of one object.</summary>
internal readonly record struct S3ObjectInfo(string Key, long Size, string ETag);

/// <summary>
/// One S3-compatible endpoint, shared by every reader of a pipeline (one client, so connections are reused). Transient
/// failures (timeouts, 5xx, 429, connection refused/reset, a body cut short) are retried with exponential backoff and
/// full jitter up to <see cref="S3Settings.MaxAttempts"/> tries within <see cref="S3Settings.MaxRetryTime"/>; then
/// <see cref="S3UnavailableException"/>. A missing object is a null result; on reads, any other answer no retry can change
/// is <see cref="S3RefusedException"/> and an object over the reader's limit <see cref="S3TooLargeException"/>; refused
/// credentials are <see cref="S3AccessException"/>. Every attempt has a deadline and every listing a bound: no call hangs.
/// </summary>
internal sealed class S3Store : IDisposable
{
    private readonly AmazonS3Client _client;
    private long _retries;

    public S3Store(S3Settings settings)
    {
        Settings = settings;
        var config = new AmazonS3Config
        {
            ForcePathStyle = settings.UsePathStyle,
            AuthenticationRegion = settings.Region,
            // Our own retry loop owns backoff and limits; the SDK's would multiply them.
            MaxErrorRetry = 0,
            // A redirect is an answer to report, not to follow (the S3 client's own handler still follows a 307 to an S3 host).
            AllowAutoRedirect = false,
            Timeout = settings.Timeout,
            MaxConnectionsPerServer = 256,
            // Older S3-compatible servers (Ceph RGW, s3rver) do not understand the SDK's default trailing checksums.
            RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
            ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
            IgnoreConfiguredEndpointUrls = true,
        };
        if (settings.Endpoint is { } endpoint) config.ServiceURL = endpoint.ToString();
        else config.RegionEndpoint = Amazon.RegionEndpoint.GetBySystemName(settings.Region);
        _client = new AmazonS3Client(new BasicAWSCredentials(settings.AccessKey, settings.SecretKey), config);
    }

    public S3Settings Settings { get; }

    /// <summary>Requests retried so far (all calls together).</summary>
    public long Retries => Interlocked.Read(ref _retries);

    /// <summary>The endpoint as users know it, for messages.</summary>
    public string EndpointName => Settings.Endpoint?.ToString() ?? $"AWS S3 ({Settings.Region})";

    /// <summary>
    /// Checks at start that the endpoint answers and accepts the credentials for <paramref name="location"/>'s bucket
    /// (one listing of at most one key). Throws <see cref="S3AccessException"/> or <see cref="VgtDataException"/> with one line.
    /// </summary>
    public void Probe(S3Location location)
    {
        try
        {
            ListOne(location, default).GetAwaiter().GetResult();
        }
        catch (S3RefusedException e) when (e.Code == "NoSuchBucket")
        {
            throw new VgtDataException($"{location}: bucket '{location.Bucket}' does not exist at {EndpointName} (credentials from {Settings.Origin})");
        }
        catch (S3UnavailableException e)
        {
            throw new VgtDataException($"{location}: cannot reach {EndpointName}: {e.Message}");
        }
        catch (S3RefusedException e)
        {
            throw new VgtDataException($"{location}: {e.Message}");
        }
    }

    /// <summary>Whether any object's key starts with <paramref name="location"/>'s key (one listing of at most one key).</summary>
    public bool AnyBelow(S3Location location) => (ListOne(location, default).GetAwaiter().GetResult().S3Objects?.Count ?? 0) > 0;

    private Task<ListObjectsV2Response> ListOne(S3Location location, CancellationToken cancel) =>
        Read(location, token => _client.ListObjectsV2Async(
            new ListObjectsV2Request { BucketName = location.Bucket, Prefix = location.Key, MaxKeys = 1 }, token), cancel);

    /// <summary>The whole object, or the <paramref name="length"/> bytes from <paramref name="offset"/>; null when it does not exist.
    /// An object over <paramref name="maxBytes"/> is <see cref="S3TooLargeException"/>, named after <paramref name="limitName"/>.</summary>
    public PooledBytes? TryGet(S3Location location, long offset = 0, long? length = null, long maxBytes = long.MaxValue, string? limitName = null) =>
        TryGetAsync(location, offset, length, maxBytes, limitName).GetAwaiter().GetResult();

    /// <inheritdoc cref="TryGet"/>
    public async Task<PooledBytes?> TryGetAsync(S3Location location, long offset = 0, long? length = null, long maxBytes = long.MaxValue,
        string? limitName = null, CancellationToken cancel = default)
    {
        long limit = Math.Min(maxBytes, Array.MaxLength);
        try
        {
            return await Read(location, async token =>
            {
                // A whole object is asked for as the open range "bytes=0-": the SDK then skips its managed MD5 of the body,
                // which cost more client CPU than the transfer itself (boto3 and petrel do not check it either).
                var request = new GetObjectRequest
                {
                    BucketName = location.Bucket, Key = location.Key,
                    ByteRange = length is { } n ? new ByteRange(offset, offset + n - 1) : new ByteRange($"bytes={offset}-"),
                };
                using var response = await _client.GetObjectAsync(request, token).ConfigureAwait(false);
                // Some servers answer an empty object's open range with "bytes 0-0/0" and no body: the total is what counts.
                if (length is null && response.ContentRange?.EndsWith("/0", StringComparison.Ordinal) == true) return new PooledBytes(0);
                if (length is null && TotalOf(response.ContentRange) is { } total)
                {
                    // The object's own size, where the answer gives it: a whole read gets all of it or is refused.
                    if (total > limit) throw TooLarge(location, $"object is {total} bytes", limit, limitName);
                    if (response.ContentLength > 0 && response.ContentLength != total - offset)
                        throw new S3RefusedException(location.ToString(), (int)response.HttpStatusCode, "",
                            $"the answer holds {response.ContentLength} bytes of an object of {total} bytes");
                }
                return await ReadBodyAsync(location, response, length, limit, limitName, token).ConfigureAwait(false);
            }, cancel).ConfigureAwait(false);
        }
        catch (S3RefusedException e) when (IsMissing(e))
        {
            return null;
        }
        catch (S3RefusedException e) when (length is null && offset == 0 && e.Status == (int)HttpStatusCode.RequestedRangeNotSatisfiable)
        {
            // The open range of an empty object is unsatisfiable: the object exists and has no bytes.
            return new PooledBytes(0);
        }
        catch (S3AccessException e) when (IsObjectLevel(e))
        {
            throw await RecheckAsync(location, e, cancel).ConfigureAwait(false);
        }
    }

    /// <summary>The body, whose size the answer gives (Content-Length) or not (chunked), never more than <paramref name="limit"/> bytes.</summary>
    private static async Task<PooledBytes> ReadBodyAsync(S3Location location, GetObjectResponse response, long? length, long limit,
        string? limitName, CancellationToken token)
    {
        var size = response.ContentLength;
        if (size > limit) throw TooLarge(location, $"object is {size} bytes", limit, limitName);
        if (length is { } wanted && size > 0 && size != wanted)
            throw new S3RefusedException(location.ToString(), (int)response.HttpStatusCode, "",
                $"asked for {wanted} bytes, the answer holds {size} (the server ignored the range)");
        if (size > 0)
        {
            var bytes = new PooledBytes((int)size);
            try
            {
                // A body cut short throws EndOfStreamException: an IOException, so the attempt is retried.
                await response.ResponseStream.ReadExactlyAsync(bytes.Array.AsMemory(0, (int)size), token).ConfigureAwait(false);
                return bytes;
            }
            catch
            {
                bytes.Dispose();
                throw;
            }
        }
        // No size given (chunked transfer encoding) or zero: read to the end, one byte past the limit at most.
        using var body = new MemoryStream();
        var buffer = new byte[81920];
        while (true)
        {
            int n = await response.ResponseStream.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, limit + 1 - body.Length)), token).ConfigureAwait(false);
            if (n == 0) break;
            body.Write(buffer, 0, n);
            if (body.Length > limit) throw TooLarge(location, "object (sent without a size) is larger", limit, limitName);
        }
        if (length is { } asked && body.Length != asked)
            throw new S3RefusedException(location.ToString(), (int)response.HttpStatusCode, "",
                $"asked for {asked} bytes, the answer holds {body.Length} (the server ignored the range)");
        var result = new PooledBytes((int)body.Length);
        body.GetBuffer().AsSpan(0, (int)body.Length).CopyTo(result.Span);
        return result;
    }

    // "bytes 0-99/1234" → 1234; null for "*" or no header.
    private static long? TotalOf(string? contentRange) =>
        contentRange is { } r && r.LastIndexOf('/') is >= 0 and var slash
            && long.TryParse(r.AsSpan(slash + 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var total)
            ? total : null;

    private static S3TooLargeException TooLarge(S3Location location, string what, long limit, string? limitName) =>
        new(location.ToString(), $"{what}, over the limit of {limit} bytes{(limitName is null ? "" : $" ({limitName})")}");

    /// <summary>Size and ETag of an object; null when it does not exist.</summary>
    public S3ObjectInfo? Head(S3Location location)
    {
        try
        {
            var r = Read(location, token => _client.GetObjectMetadataAsync(location.Bucket, location.Key, token)).GetAwaiter().GetResult();
            return new S3ObjectInfo(location.Key, r.ContentLength, r.ETag ?? "");
        }
        catch (S3RefusedException e) when (IsMissing(e))
        {
            return null;
        }
        catch (S3AccessException e) when (IsObjectLevel(e))
        {
            throw RecheckAsync(location, e, default).GetAwaiter().GetResult();
        }
    }

    /// <summary>
    /// Every object whose key starts with <paramref name="location"/>'s key, in key order. A listing that does not end is
    /// refused with <see cref="VgtDataException"/>: a repeated continuation token, a truncated page without one, a page
    /// that does not go past the keys already listed, 100 empty truncated pages in a row, or more than
    /// <see cref="S3Settings.MaxListPages"/> pages. With <paramref name="delimiter"/> ("/"), only the objects directly
    /// below the prefix (a page of only deeper folders is not empty).
    /// </summary>
    public List<S3ObjectInfo> List(S3Location location, string? delimiter = null)
    {
        var result = new List<S3ObjectInfo>();
        var tokens = new HashSet<UInt128>();
        string? token = null;
        byte[]? last = null;
        int pages = 0, emptyInARow = 0;
        do
        {
            if (pages == Settings.MaxListPages)
                throw ListingError(location, $"no end after {pages} pages ({result.Count} keys; max_list_pages = {Settings.MaxListPages})");
            var page = Read(location, t => _client.ListObjectsV2Async(new ListObjectsV2Request
            {
                BucketName = location.Bucket, Prefix = location.Key, ContinuationToken = token, Delimiter = delimiter,
            }, t)).GetAwaiter().GetResult();
            pages++;
            var objects = page.S3Objects ?? [];
            foreach (var o in objects)
            {
                if (o.Key is null || !o.Key.StartsWith(location.Key, StringComparison.Ordinal))
                    throw ListingError(location, $"page {pages} holds the key '{Quote(o.Key ?? "")}', outside the prefix");
                result.Add(new S3ObjectInfo(o.Key, o.Size ?? 0, o.ETag ?? ""));
            }
            if (objects.Count > 0)
            {
                // Keys come in UTF-8 byte order, each page after the last: a page that does not move on would repeat forever.
                var keys = objects.Select(o => Encoding.UTF8.GetBytes(o.Key)).ToList();
                var first = keys.Aggregate((a, b) => a.AsSpan().SequenceCompareTo(b) <= 0 ? a : b);
                if (last != null && first.AsSpan().SequenceCompareTo(last) <= 0)
                    throw ListingError(location, $"page {pages} starts at '{Quote(Encoding.UTF8.GetString(first))}', not after the previous page's last key '{Quote(Encoding.UTF8.GetString(last))}'");
                last = keys.Aggregate((a, b) => a.AsSpan().SequenceCompareTo(b) >= 0 ? a : b);
                emptyInARow = 0;
            }
            else if (page.IsTruncated == true && (page.CommonPrefixes?.Count ?? 0) == 0 && ++emptyInARow >= 100)
                throw ListingError(location, $"{emptyInARow} empty pages in a row, each saying there is more");
            if (page.IsTruncated != true) break;
            token = page.NextContinuationToken;
            if (string.IsNullOrEmpty(token))
                throw ListingError(location, $"page {pages} says there is more but gives no continuation token");
            if (!tokens.Add(BitConverter.ToUInt128(SHA256.HashData(Encoding.UTF8.GetBytes(token)))))
                throw ListingError(location, $"page {pages} repeats an earlier continuation token: the listing would never end");
        } while (true);
        result.Sort((a, b) => string.CompareOrdinal(a.Key, b.Key));
        return result;
    }

    private VgtDataException ListingError(S3Location location, string what) => new($"{location}: listing at {EndpointName}: {what}");

    // Keys quoted in messages are cut to a readable length.
    private static string Quote(string text) => text.Length <= 200 ? text : text[..200] + "…";

    /// <summary>Writes <paramref name="content"/> as one object.</summary>
    public void Put(S3Location location, ReadOnlyMemory<byte> content) =>
        Run(location, async token =>
        {
            using var stream = new MemoryStream(content.ToArray(), writable: false);
            return await _client.PutObjectAsync(new PutObjectRequest
            {
                BucketName = location.Bucket, Key = location.Key, InputStream = stream, AutoCloseStream = false, UseChunkEncoding = false,
            }, token).ConfigureAwait(false);
        }).GetAwaiter().GetResult();

    /// <summary>Creates the bucket (tests and uploads); an existing bucket of ours is fine.</summary>
    public void EnsureBucket(string bucket)
    {
        var location = new S3Location(null, bucket, "");
        try
        {
            Run(location, token => _client.PutBucketAsync(new PutBucketRequest { BucketName = bucket }, token)).GetAwaiter().GetResult();
        }
        catch (AmazonS3Exception e) when (e.ErrorCode is "BucketAlreadyOwnedByYou" or "BucketAlreadyExists") { }
    }

    /// <summary>Runs a read with the retry policy. An answer no retry can change becomes <see cref="S3RefusedException"/>
    /// (redirects, 4xx, answers the SDK cannot parse); refused credentials stay <see cref="S3AccessException"/>.</summary>
    private async Task<T> Read<T>(S3Location location, Func<CancellationToken, Task<T>> attempt, CancellationToken cancel = default)
    {
        try
        {
            return await Run(location, attempt, cancel).ConfigureAwait(false);
        }
        catch (Exception e) when (!cancel.IsCancellationRequested && e is not (S3ReadException or S3AccessException))
        {
            if (e is AmazonServiceException { StatusCode: not 0 } s)
            {
                var text = ServerText(s.Message);
                var code = s.ErrorCode ?? s.StatusCode.ToString();
                throw new S3RefusedException(location.ToString(), (int)s.StatusCode, code,
                    $"{EndpointName} answered {(int)s.StatusCode} {code}{(text.Length > 0 ? ": " + text : "")}", e);
            }
            Exception innermost = e;
            while (innermost.InnerException != null) innermost = innermost.InnerException;
            // The S3 client follows a 307 itself and fails on a Location that is no S3 endpoint.
            var what = innermost is ArgumentException && innermost.Message.StartsWith("Invalid S3 URI", StringComparison.Ordinal)
                ? "answered a redirect to a host that is not an S3 endpoint" : "gave an answer that cannot be read";
            throw new S3RefusedException(location.ToString(), 0, "", $"{EndpointName} {what}: {Quote(innermost.Message)}", e);
        }
    }

    // The SDK's message for an error it could not parse carries the raw body after "Response Body: " (its <Message>, if
    // there is one, is what to quote); without a body there is nothing to quote.
    private static string ServerText(string message)
    {
        const string noInfo = "Error making request with Error Code", marker = "Response Body: ";
        if (!message.StartsWith(noInfo, StringComparison.Ordinal)) return Quote(message.Trim());
        int at = message.IndexOf(marker, StringComparison.Ordinal);
        if (at < 0) return "";
        var body = message[(at + marker.Length)..];
        int open = body.IndexOf("<Message>", StringComparison.Ordinal), close = body.IndexOf("</Message>", StringComparison.Ordinal);
        return Quote((open >= 0 && close > open ? body[(open + "<Message>".Length)..close] : body).Trim());
    }

    /// <summary>A 403 for one object: refused credentials when the bucket refuses them too, else a refusal of that object only.</summary>
    private async Task<Exception> RecheckAsync(S3Location location, S3AccessException denied, CancellationToken cancel)
    {
        await ListOne(location, cancel).ConfigureAwait(false);
        var s = (AmazonServiceException)denied.InnerException!;
        var code = s.ErrorCode ?? s.StatusCode.ToString();
        var text = ServerText(s.Message);
        return new S3RefusedException(location.ToString(), (int)s.StatusCode, code,
            $"{EndpointName} answered {(int)s.StatusCode} {code}{(text.Length > 0 ? ": " + text : "")} for this object (the bucket accepts the credentials)", denied);
    }

    private static bool IsObjectLevel(S3AccessException e) =>
        e.InnerException is AmazonServiceException { ErrorCode: not ("InvalidAccessKeyId" or "SignatureDoesNotMatch") };

    /// <summary>Runs one request with the retry policy; each attempt has its own deadline.</summary>
    private async Task<T> Run<T>(S3Location location, Func<CancellationToken, Task<T>> attempt, CancellationToken cancel = default)
    {
        var clock = Stopwatch.StartNew();
        for (int i = 1; ; i++)
        {
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancel);
            // No try runs past the retry time limit: a silent server costs at most that long.
            var left = Settings.MaxRetryTime - clock.Elapsed;
            deadline.CancelAfter(left < Settings.Timeout ? (left > TimeSpan.Zero ? left : TimeSpan.FromMilliseconds(1)) : Settings.Timeout);
            try
            {
                return await attempt(deadline.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (!cancel.IsCancellationRequested && IsDenied(e))
            {
                var service = (AmazonServiceException)e;
                throw new S3AccessException(
                    $"{location}: {EndpointName} refused the credentials from {Settings.Origin} ({(int)service.StatusCode} {service.ErrorCode}); check access_key/secret_key", e);
            }
            catch (Exception e) when (!cancel.IsCancellationRequested && IsTransient(e, deadline.IsCancellationRequested))
            {
                var cap = Math.Min(Settings.MaxBackoff.TotalMilliseconds, Settings.BaseBackoff.TotalMilliseconds * Math.Pow(2, i - 1));
                var backoff = TimeSpan.FromMilliseconds(Random.Shared.NextDouble() * cap);
                bool outOfTime = clock.Elapsed + backoff >= Settings.MaxRetryTime;
                if (i >= Settings.MaxAttempts || outOfTime)
                    throw new S3UnavailableException(location.ToString(),
                        $"gave up after {i} {(i == 1 ? "try" : "tries")} in {clock.Elapsed.TotalSeconds:0.0} s" +
                        (outOfTime ? $" (max_retry_s = {Settings.MaxRetryTime.TotalSeconds:0.###})" : "") + $": {Describe(e, deadline.IsCancellationRequested)}", e);
                Interlocked.Increment(ref _retries);
                await Task.Delay(backoff, cancel).ConfigureAwait(false);
            }
        }
    }

    private static bool IsMissing(S3RefusedException e) => e.Status == (int)HttpStatusCode.NotFound || e.Code is "NoSuchKey" or "NotFound";

    private static bool IsDenied(Exception e) => e is AmazonServiceException s
        && (s.StatusCode == HttpStatusCode.Forbidden || s.ErrorCode is "InvalidAccessKeyId" or "SignatureDoesNotMatch" or "AccessDenied");

    private static bool IsTransient(Exception e, bool timedOut)
    {
        if (timedOut) return true;
        // Our own verdicts on an answer (too large, not the range asked for) are IOExceptions that no retry changes.
        if (e is S3ReadException) return false;
        if (e is AmazonServiceException s && ((int)s.StatusCode >= 500 || (int)s.StatusCode == 429 || s.ErrorCode is "SlowDown" or "RequestTimeout"))
            return true;
        for (Exception? x = e; x != null; x = x.InnerException)
            if (x is HttpRequestException or IOException or SocketException or TimeoutException) return true;
        return false;
    }

    private static string Describe(Exception e, bool timedOut)
    {
        if (timedOut) return "timed out";
        if (e is AmazonServiceException { StatusCode: not 0 } s && (int)s.StatusCode >= 400) return $"{(int)s.StatusCode} {s.ErrorCode}";
        Exception innermost = e;
        while (innermost.InnerException != null) innermost = innermost.InnerException;
        // The SDK's own per-request timeout (the same timeout_s) may fire a moment before our deadline does.
        return innermost is TimeoutException || e is OperationCanceledException ? "timed out" : innermost.Message;
    }

    public void Dispose() => _client.Dispose();

    /// <summary>Uploads the local file <paramref name="path"/> as one object (streamed from disk); returns its ETag, unquoted.</summary>
    public async Task<string> PutFileAsync(S3Location location, string path, CancellationToken cancel = default)
    {
        var response = await Run(location, token => _client.PutObjectAsync(new PutObjectRequest
        {
            BucketName = location.Bucket, Key = location.Key, FilePath = path, UseChunkEncoding = false,
        }, token), cancel).ConfigureAwait(false);
        return UnquoteETag(response.ETag);
    }

    /// <summary>Starts a multipart upload; returns its upload id.</summary>
    public async Task<string> StartMultipartAsync(S3Location location, CancellationToken cancel = default)
    {
        var response = await Run(location, token => _client.InitiateMultipartUploadAsync(new InitiateMultipartUploadRequest
        {
            BucketName = location.Bucket, Key = location.Key,
        }, token), cancel).ConfigureAwait(false);
        return response.UploadId;
    }

    /// <summary>Uploads bytes [<paramref name="offset"/>, +<paramref name="length"/>) of a local file as part
    /// <paramref name="partNumber"/> (1-based), streamed from disk; returns the part's ETag, unquoted.</summary>
    public async Task<string> UploadPartAsync(S3Location location, string uploadId, int partNumber, string path, long offset, long length,
        CancellationToken cancel = default)
    {
        var response = await Run(location, token => _client.UploadPartAsync(new UploadPartRequest
        {
            BucketName = location.Bucket, Key = location.Key, UploadId = uploadId, PartNumber = partNumber,
            FilePath = path, FilePosition = offset, PartSize = length, UseChunkEncoding = false,
        }, token), cancel).ConfigureAwait(false);
        return UnquoteETag(response.ETag);
    }

    /// <summary>Joins the uploaded parts (ETags in part order) into the object; returns its ETag, unquoted.</summary>
    public async Task<string> CompleteMultipartAsync(S3Location location, string uploadId, IReadOnlyList<string> partETags,
        CancellationToken cancel = default)
    {
        var response = await Run(location, token => _client.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest
        {
            BucketName = location.Bucket, Key = location.Key, UploadId = uploadId,
            PartETags = partETags.Select((etag, i) => new PartETag(i + 1, etag)).ToList(),
        }, token), cancel).ConfigureAwait(false);
        return UnquoteETag(response.ETag);
    }

    /// <summary>Abandons a multipart upload so its parts stop taking space. Best effort, one try: servers without
    /// AbortMultipartUpload (s3rver) or an unreachable endpoint leave it to the bucket's lifecycle rules.</summary>
    public async Task<bool> TryAbortMultipartAsync(S3Location location, string uploadId)
    {
        using var deadline = new CancellationTokenSource(Settings.Timeout);
        try
        {
            await _client.AbortMultipartUploadAsync(new AbortMultipartUploadRequest
            {
                BucketName = location.Bucket, Key = location.Key, UploadId = uploadId,
            }, deadline.Token).ConfigureAwait(false);
            return true;
        }
        catch (Exception e) when (e is AmazonServiceException or HttpRequestException or IOException or OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>Deletes one object; a missing one is fine.</summary>
    public void Delete(S3Location location) =>
        Run(location, token => _client.DeleteObjectAsync(location.Bucket, location.Key, token)).GetAwaiter().GetResult();

    /// <summary>An ETag without the double quotes S3 puts around it, lower case.</summary>
    public static string UnquoteETag(string? etag) => (etag ?? "").Trim().Trim('"').ToLowerInvariant();
}
