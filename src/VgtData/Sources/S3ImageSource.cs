using VgtData.Storage;

namespace VgtData.Sources;

/// <summary>
/// Images as objects below an s3:// prefix (VGT's <c>ceph_folder</c>). Reads hinted through <see cref="ReadAhead"/> are
/// fetched ahead, a bounded number at once, over the store's reused connections, so decoding rarely waits on the network.
/// A missing object is <see cref="SampleFailureReason.MissingFile"/>; one still unreadable after the store's retries is
/// <see cref="SampleFailureReason.Unreachable"/>; one the server refuses (a redirect, a 4xx) is
/// <see cref="SampleFailureReason.StorageRefused"/>; one over <see cref="MaxFileBytes"/> is
/// <see cref="SampleFailureReason.FileTooLarge"/>, unread. Refused credentials stop the run (<see cref="S3AccessException"/>).
/// </summary>
internal sealed class S3ImageSource : IReadAheadSource
{
    private readonly S3Store _store;
    private readonly bool _ownsStore;
    private readonly ReadAheadWindow<PooledBytes> _window;

    /// <param name="store">The endpoint client (shared with annotations and latents).</param>
    /// <param name="prefix">Where entry["image"] paths are relative to.</param>
    /// <param name="readAhead">Fetches kept running or ready ahead of the reads (0: no read-ahead).</param>
    /// <param name="ownsStore">Dispose <paramref name="store"/> with this source.</param>
    /// <param name="maxFileBytes">Larger objects are bad samples, refused before their bytes are read (dataset.max_file_mb).</param>
    public S3ImageSource(S3Store store, S3Location prefix, int readAhead = 16, bool ownsStore = false,
        long maxFileBytes = FolderImageSource.DefaultMaxFileBytes)
    {
        _store = store;
        _ownsStore = ownsStore;
        Prefix = prefix;
        ReadAheadDepth = readAhead;
        MaxFileBytes = maxFileBytes;
        _window = new ReadAheadWindow<PooledBytes>(key => Fetch(Prefix.Append(key)), readAhead, maxQueued: 65536);
    }

    public S3Location Prefix { get; }

    public long MaxFileBytes { get; }

    /// <summary>The endpoint client (its <see cref="S3Store.Retries"/> counts retried requests).</summary>
    public S3Store Store => _store;

    public int ReadAheadDepth { get; }

    /// <summary>Reads that found their bytes already fetched.</summary>
    public long ReadAheadHits => Interlocked.Read(ref _window.Hits);

    public string Describe(string imageFile) => Prefix.Append(imageFile).ToString();

    public bool Exists(string imageFile)
    {
        try
        {
            return _store.Head(Prefix.Append(imageFile)) != null;
        }
        catch (S3ReadException)
        {
            return false;
        }
    }

    public void ReadAhead(string imageFile)
    {
        if (ReadAheadDepth > 0) _window.Hint(imageFile);
    }

    public PooledBytes Read(string imageFile)
    {
        var location = Prefix.Append(imageFile);
        try
        {
            var fetch = _window.Take(imageFile) ?? Fetch(location);
            return fetch.GetAwaiter().GetResult()
                ?? throw new SampleException(SampleFailureReason.MissingFile, location.ToString(), "no such object");
        }
        catch (S3ReadException e)
        {
            throw BadSample(location.ToString(), e);
        }
    }

    private Task<PooledBytes?> Fetch(S3Location location) => _store.TryGetAsync(location, maxBytes: MaxFileBytes, limitName: "dataset.max_file_mb");

    /// <summary>The bad sample an object that could not be read makes, with the reason its failure names.</summary>
    internal static SampleException BadSample(string path, S3ReadException e) => new(e switch
    {
        S3TooLargeException => SampleFailureReason.FileTooLarge,
        S3RefusedException => SampleFailureReason.StorageRefused,
        _ => SampleFailureReason.Unreachable,
    }, path, e.Message, inner: e);

    public void Dispose()
    {
        _window.Dispose();
        if (_ownsStore) _store.Dispose();
    }
}
