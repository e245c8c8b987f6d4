using VgtData.Storage;

namespace VgtData.Sources;

/// <summary>
/// Objects below an s3:// prefix (VGT's <c>ceph_folder</c>; s3:// annotation and latents folders), and the members of tar
/// parts beside absent part folders (<see cref="TarPartFolders"/>: PART.tar exists and no key starts with PART/). Reads hinted through <see cref="ReadAhead"/> are
/// fetched ahead, a bounded number at once, over the store's reused connections, so decoding rarely waits on the network.
/// A missing object is <see cref="SampleFailureReason.MissingFile"/>; one still unreadable after the store's retries is
/// <see cref="SampleFailureReason.Unreachable"/>; one the server refuses (a redirect, a 4xx) is
/// <see cref="SampleFailureReason.StorageRefused"/>; one over <see cref="MaxFileBytes"/> is
/// <see cref="SampleFailureReason.FileTooLarge"/>, unread. Refused credentials stop the run (<see cref="S3AccessException"/>).
/// </summary>
internal sealed class S3ImageSource : IImageSource
{
    private readonly S3Store _store;
    private readonly bool _ownsStore;
    private readonly ReadAheadWindow<PooledBytes> _window;
    private readonly TarPartFolders _parts;
    // The .tar names directly below each parent prefix a folder probe looked beside (cc12m's NAME-PART.tar), listed once.
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, Lazy<Dictionary<string, S3ObjectInfo>>> _tarsBeside = new(StringComparer.Ordinal);

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
        _parts = new TarPartFolders(OpenPart);
        // A hinted member of a part is fetched through this one window, so read-ahead stays bounded however many parts.
        _window = new ReadAheadWindow<PooledBytes>(
            key => _parts.Route(key, out var member) is S3TarImageSource part ? part.FetchAsync(member) : Fetch(Prefix.Append(key)),
            readAhead, maxQueued: 65536);
    }

    public S3Location Prefix { get; }

    public long MaxFileBytes { get; }

    /// <summary>The endpoint client (its <see cref="S3Store.Retries"/> counts retried requests).</summary>
    public S3Store Store => _store;

    public int ReadAheadDepth { get; }

    /// <summary>Reads that found their bytes already fetched.</summary>
    public long ReadAheadHits => Interlocked.Read(ref _window.Hits);

    public string Describe(string imageFile) =>
        _parts.Route(imageFile, out var member) is { } part ? part.Describe(member) : Prefix.Append(imageFile).ToString();

    public bool Exists(string imageFile)
    {
        if (_parts.Route(imageFile, out var member) is { } part) return part.Exists(member);
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
        if (ReadAheadDepth == 0) return;
        try
        {
            // A path whose part cannot be opened (gzip, unlisted, two parts for its folder) is not hinted: its read says why.
            if (_parts.Route(imageFile, out var member) is { } part && !part.Exists(member)) return;
        }
        catch (Exception e) when (e is VgtDataException or SampleException)
        {
            return;
        }
        _window.Hint(imageFile);
    }

    public PooledBytes Read(string imageFile)
    {
        if (_parts.Route(imageFile, out var member) is S3TarImageSource part) return part.Read(member, _window.Take(imageFile));
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

    public PooledBytes? TryRead(string imageFile)
    {
        if (_parts.Route(imageFile, out var member) is { } part) return part.Exists(member) ? part.Read(member) : null;
        var location = Prefix.Append(imageFile);
        try
        {
            // One GET (or the one fetched ahead): a missing object is null, not a second request.
            return (_window.Take(imageFile) ?? Fetch(location)).GetAwaiter().GetResult();
        }
        catch (S3ReadException e)
        {
            throw BadSample(location.ToString(), e);
        }
    }

    /// <summary>The part <c>FOLDER.tar</c> (else the one <c>*-FOLDER.tar</c> beside it) when it exists and no key starts
    /// with <c>FOLDER/</c>; a gzip-compressed one beside an absent folder is refused.</summary>
    private TarPartFolders.Part? OpenPart(string folder)
    {
        var at = Prefix.Append(folder);
        var tar = at with { Key = at.Key + ".tar" };
        try
        {
            string? name = null;
            var info = _store.Head(tar);
            if (info is null)
            {
                foreach (var compressed in new[] { ".tar.gz", ".tgz" })
                    if (_store.Head(at with { Key = at.Key + compressed }) is not null) TarIndex.RefuseCompressed(at + compressed, []);
                int slash = at.Key.LastIndexOf('/') + 1;
                var parent = at with { Key = at.Key[..slash] };
                var tars = TarsBeside(parent);
                var split = TarPartFolders.SplitPart(at.Key[slash..], tars.Keys, at.ToString(), t => (parent with { Key = parent.Key + t }).ToString());
                if (split is null) return null;
                (tar, info, name) = (parent with { Key = parent.Key + split }, tars[split], split[..^4]);
            }
            return _store.List(at with { Key = at.KeyPrefix }).Count > 0 ? null
                : new TarPartFolders.Part(new S3TarImageSource(_store, tar.ToString(), [tar], [info.Value], readAhead: 0, maxFileBytes: MaxFileBytes), name);
        }
        catch (S3ReadException e)
        {
            // Unreachable now: this sample is bad, and the folder is asked again next time.
            throw BadSample(e.Address, e);
        }
    }

    /// <summary>The .tar objects directly below <paramref name="parent"/> by name, listed once (an unreachable listing is
    /// asked again next time).</summary>
    private Dictionary<string, S3ObjectInfo> TarsBeside(S3Location parent)
    {
        var listing = _tarsBeside.GetOrAdd(parent.Key, _ => new(() => _store.List(parent, delimiter: "/")
            .Where(o => o.Key.EndsWith(".tar", StringComparison.Ordinal)).ToDictionary(o => o.Key[parent.Key.Length..], StringComparer.Ordinal)));
        try
        {
            return listing.Value;
        }
        catch
        {
            _tarsBeside.TryRemove(new KeyValuePair<string, Lazy<Dictionary<string, S3ObjectInfo>>>(parent.Key, listing));
            throw;
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
        _parts.Dispose();
        if (_ownsStore) _store.Dispose();
    }
}
