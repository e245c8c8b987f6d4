namespace VgtData.Storage;

/// <summary>The endpoint refused our credentials (403, unknown key, bad signature): the run cannot go on.</summary>
internal sealed class S3AccessException(string message, Exception? inner = null) : VgtDataException(message, inner);

/// <summary>An object could not be read after every retry (timeouts, 5xx, connection failures). An <see cref="IOException"/>
/// so that annotation and latents readers treat it like any unreadable file.</summary>
internal sealed class S3UnavailableException(string address, string message, Exception? inner = null) : IOException(message, inner)
{
    /// <summary>The s3:// address that could not be read.</summary>
    public string Address { get; } = address;
}
