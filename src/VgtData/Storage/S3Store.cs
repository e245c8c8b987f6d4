using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;

namespace VgtData.Storage;

/// <summary>Size and version of one object.</summary>
internal readonly record struct S3ObjectInfo(string Key, long Size, string ETag);

/// <summary>
/// One S3-compatible endpoint, shared by every reader of a pipeline (one client, so connections are reused). Transient
/// failures (timeouts, 5xx, 429, connection refused/reset, a body cut short) are retried with exponential backoff and
/// full jitter up to <see cref="S3Settings.MaxAttempts"/>; then <see cref="S3UnavailableException"/>. A missing object
/// is a null result; refused credentials are <see cref="S3AccessException"/>. Every attempt has a deadline: no call hangs.
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
            Run(location, async token => await _client.ListObjectsV2Async(
                new ListObjectsV2Request { BucketName = location.Bucket, Prefix = location.Key, MaxKeys = 1 }, token)).GetAwaiter().GetResult();
        }
        catch (AmazonS3Exception e) when (e.ErrorCode == "NoSuchBucket")
        {
            throw new VgtDataException($"{location}: bucket '{location.Bucket}' does not exist at {EndpointName} (credentials from {Settings.Origin})");
        }
        catch (S3UnavailableException e)
        {
            throw new VgtDataException($"{location}: cannot reach {EndpointName}: {e.Message}");
        }
        catch (AmazonServiceException e)
        {
            throw new VgtDataException($"{location}: {EndpointName} answered {(int)e.StatusCode} {e.ErrorCode}: {e.Message}");
        }
    }

    /// <summary>The whole object, or the <paramref name="length"/> bytes from <paramref name="offset"/>; null when it does not exist.</summary>
    public PooledBytes? TryGet(S3Location location, long offset = 0, long? length = null) =>
        TryGetAsync(location, offset, length).GetAwaiter().GetResult();

    /// <inheritdoc cref="TryGet"/>
    public async Task<PooledBytes?> TryGetAsync(S3Location location, long offset = 0, long? length = null, CancellationToken cancel = default)
    {
        try
        {
            return await Run(location, async token =>
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
                var size = response.ContentLength;
                if (size > int.MaxValue) throw new VgtDataException($"{location}: object is {size} bytes, more than one read can hold");
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
            }, cancel).ConfigureAwait(false);
        }
        catch (AmazonS3Exception e) when (IsMissing(e))
        {
            return null;
        }
        catch (AmazonS3Exception e) when (length is null && offset == 0 && e.StatusCode == HttpStatusCode.RequestedRangeNotSatisfiable)
        {
            // The open range of an empty object is unsatisfiable: the object exists and has no bytes.
            return new PooledBytes(0);
        }
    }

    /// <summary>Size and ETag of an object; null when it does not exist.</summary>
    public S3ObjectInfo? Head(S3Location location)
    {
        try
        {
            var r = Run(location, token => _client.GetObjectMetadataAsync(location.Bucket, location.Key, token)).GetAwaiter().GetResult();
            return new S3ObjectInfo(location.Key, r.ContentLength, r.ETag ?? "");
        }
        catch (AmazonS3Exception e) when (IsMissing(e))
        {
            return null;
        }
    }

    /// <summary>Every object whose key starts with <paramref name="location"/>'s key, in key order.</summary>
    public List<S3ObjectInfo> List(S3Location location)
    {
        var result = new List<S3ObjectInfo>();
        string? token = null;
        do
        {
            var page = Run(location, t => _client.ListObjectsV2Async(new ListObjectsV2Request
            {
                BucketName = location.Bucket, Prefix = location.Key, ContinuationToken = token,
            }, t)).GetAwaiter().GetResult();
            foreach (var o in page.S3Objects ?? []) result.Add(new S3ObjectInfo(o.Key, o.Size ?? 0, o.ETag ?? ""));
            token = page.IsTruncated == true ? page.NextContinuationToken : null;
        } while (token != null);
        result.Sort((a, b) => string.CompareOrdinal(a.Key, b.Key));
        return result;
    }

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

    /// <summary>Runs one request with the retry policy; each attempt has its own deadline.</summary>
    private async Task<T> Run<T>(S3Location location, Func<CancellationToken, Task<T>> attempt, CancellationToken cancel = default)
    {
        var clock = Stopwatch.StartNew();
        for (int i = 1; ; i++)
        {
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancel);
            deadline.CancelAfter(Settings.Timeout);
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
                if (i >= Settings.MaxAttempts)
                    throw new S3UnavailableException(location.ToString(),
                        $"gave up after {i} tries in {clock.Elapsed.TotalSeconds:0.0} s: {Describe(e, deadline.IsCancellationRequested)}", e);
                Interlocked.Increment(ref _retries);
                var cap = Math.Min(Settings.MaxBackoff.TotalMilliseconds, Settings.BaseBackoff.TotalMilliseconds * Math.Pow(2, i - 1));
                await Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.NextDouble() * cap), cancel).ConfigureAwait(false);
            }
        }
    }

    private static bool IsMissing(AmazonS3Exception e) => e.StatusCode == HttpStatusCode.NotFound || e.ErrorCode is "NoSuchKey" or "NotFound";

    private static bool IsDenied(Exception e) => e is AmazonServiceException s
        && (s.StatusCode == HttpStatusCode.Forbidden || s.ErrorCode is "InvalidAccessKeyId" or "SignatureDoesNotMatch" or "AccessDenied");

    private static bool IsTransient(Exception e, bool timedOut)
    {
        if (timedOut) return true;
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
        return innermost.Message;
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
