namespace VgtData.Storage;

/// <summary>The endpoint refused our credentials (403 on the bucket, unknown key, bad signature): the run cannot go on.</summary>
internal sealed class S3AccessException(string message, Exception? inner = null) : VgtDataException(message, inner);

/// <summary>A read of one object or listing that failed for good. An <see cref="IOException"/> so that annotation and
/// latents readers treat it like any unreadable file; <see cref="Exception.Message"/> is the reason, without the address.</summary>
internal abstract class S3ReadException(string address, string message, Exception? inner) : IOException(message, inner)
{
    /// <summary>The s3:// address that could not be read.</summary>
    public string Address { get; } = address;
}

/// <summary>An object could not be read after every retry (timeouts, 5xx, connection failures), or within the retry time limit.</summary>
internal sealed class S3UnavailableException(string address, string message, Exception? inner = null) : S3ReadException(address, message, inner);

/// <summary>An answer no retry can change: a redirect, a 4xx other than 404 (403 only when the bucket itself still
/// answers), or an answer that cannot be read. <see cref="Status"/> is its HTTP status (0 when it had none).</summary>
internal sealed class S3RefusedException(string address, int status, string code, string message, Exception? inner = null)
    : S3ReadException(address, message, inner)
{
    public int Status { get; } = status;
    public string Code { get; } = code;
}

/// <summary>An object larger than the limit the reader set (an image's <c>max_file_mb</c>); refused before its bytes are read.</summary>
internal sealed class S3TooLargeException(string address, string message) : S3ReadException(address, message, null);
