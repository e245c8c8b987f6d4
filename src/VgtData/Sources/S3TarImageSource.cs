using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using VgtData.Storage;

namespace VgtData.Sources;

/// <summary>
/// Images inside uncompressed tar parts stored in a bucket (<c>image_source: {type: tar, parts: "s3://…/part_*.tar"}</c>).
/// The member index is built from ranged reads of the headers and cached locally, keyed by each part's address, size
/// and ETag, so a changed object is re-indexed. Each member is then one ranged GET, fetched ahead like
/// <see cref="S3ImageSource"/>.
/// </summary>
internal sealed class S3TarImageSource : IImageSource, ITarMembers
{
    private readonly S3Store _store;
    private readonly S3Location[] _parts;
    private readonly ReadAheadWindow<PooledBytes> _window;
    private readonly string _description;
    private readonly long _maxFileBytes;

    /// <param name="pattern">s3://bucket/prefix/part_*.tar (wildcards in the last component only).</param>
    /// <param name="maxFileBytes">Larger members are bad samples, not read (dataset.max_file_mb).</param>
    public S3TarImageSource(S3Store store, string pattern, int readAhead = 16, string? cacheDir = null,
        long maxFileBytes = FolderImageSource.DefaultMaxFileBytes)
        : this(store, pattern, Match(store, pattern, required: true), readAhead, cacheDir, maxFileBytes)
    {
    }

    /// <summary>The parts <paramref name="objects"/> (listed by the caller), described as <paramref name="description"/>.</summary>
    internal S3TarImageSource(S3Store store, string description, IReadOnlyList<S3Location> objects, IReadOnlyList<S3ObjectInfo> infos,
        int readAhead = 16, string? cacheDir = null, long maxFileBytes = FolderImageSource.DefaultMaxFileBytes)
        : this(store, description, (objects, infos), readAhead, cacheDir, maxFileBytes)
    {
    }

    private S3TarImageSource(S3Store store, string description, (IReadOnlyList<S3Location> Parts, IReadOnlyList<S3ObjectInfo> Infos) objects,
        int readAhead, string? cacheDir, long maxFileBytes)
    {
        _store = store;
        _maxFileBytes = maxFileBytes;
        _description = description;
        _parts = objects.Parts.ToArray();
        var infos = objects.Infos;
        var stamps = infos.Select((o, i) => new TarIndex.PartStamp(_parts[i].ToString(), o.Size, EtagStamp(o.ETag), 0, 0)).ToList();
        var key = string.Join('\n', stamps.Select(s => s.Path)) + "|" + store.EndpointName;
        var hash = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(key)))[..16].ToLowerInvariant();
        var cache = cacheDir ?? Path.Combine(Path.GetTempPath(), "vgtdata-s3", "tarindex");
        Directory.CreateDirectory(cache);
        Index = Listed(() => TarIndex.LoadOrBuild(stamps, i => new S3RangeStream(store, _parts[i], infos[i].Size), Path.Combine(cache, hash + ".bin")));
        _window = new ReadAheadWindow<PooledBytes>(FetchAsync, readAhead, maxQueued: 65536);
        ReadAheadDepth = readAhead;
    }

    /// <summary>The objects matching <paramref name="pattern"/> (wildcards in the file name only), in natural order;
    /// none is an error when <paramref name="required"/>.</summary>
    internal static (IReadOnlyList<S3Location> Parts, IReadOnlyList<S3ObjectInfo> Infos) Match(S3Store store, string pattern, bool required,
        Dictionary<string, List<S3ObjectInfo>>? listings = null)
    {
        var location = S3Location.Parse(pattern);
        var slash = location.Key.LastIndexOf('/');
        var folder = location with { Key = slash < 0 ? "" : location.Key[..(slash + 1)] };
        var namePattern = slash < 0 ? location.Key : location.Key[(slash + 1)..];
        if (folder.Key.IndexOfAny(['*', '?']) >= 0)
            throw new VgtDataException($"{pattern}: wildcards are supported in the file name only");
        var regex = new Regex("^" + Regex.Escape(namePattern).Replace(@"\*", ".*").Replace(@"\?", ".") + "$", RegexOptions.CultureInvariant);
        // Several names in one folder (a brace range) share one listing.
        var listingKey = folder.ToString();
        List<S3ObjectInfo>? listed = null;
        if (listings?.TryGetValue(listingKey, out listed) != true)
        {
            listed = Listed(() => store.List(folder));
            listings?.Add(listingKey, listed);
        }
        var objects = listed!
            .Where(o => !o.Key[folder.Key.Length..].Contains('/') && regex.IsMatch(o.Key[folder.Key.Length..]))
            .OrderBy(o => o.Key, TarPartGlob.NaturalComparer.Instance)
            .ToList();
        if (objects.Count == 0 && required) throw new VgtDataException($"no tar parts match {pattern}");
        return (objects.Select(o => location with { Key = o.Key }).ToList(), objects);
    }

    public TarIndex Index { get; }

    public int ReadAheadDepth { get; }

    public string Describe(string imageFile) =>
        Index.TryFind(imageFile, out var e, out var member) ? $"{_parts[e.Part]}:{member}" : $"{_description}:{imageFile}";

    public bool Exists(string imageFile) => Index.TryFind(imageFile, out _);

    public void ReadAhead(string imageFile)
    {
        if (ReadAheadDepth > 0 && Index.TryFind(imageFile, out _)) _window.Hint(imageFile);
    }

    public PooledBytes Read(string imageFile) => Read(imageFile, _window.Take(imageFile));

    /// <summary>Member <paramref name="imageFile"/>, from <paramref name="fetched"/> when a window outside this source
    /// fetched it ahead (a part read in place below an s3:// folder).</summary>
    internal PooledBytes Read(string imageFile, Task<PooledBytes?>? fetched)
    {
        Index.Find(imageFile, _description);
        try
        {
            var fetch = fetched ?? FetchAsync(imageFile);
            return fetch.GetAwaiter().GetResult()
                ?? throw new SampleException(SampleFailureReason.MissingFile, Describe(imageFile), "the tar part is gone from the bucket");
        }
        catch (S3ReadException e)
        {
            throw S3ImageSource.BadSample(Describe(imageFile), e);
        }
    }

    public string PartName(int part) => _parts[part].ToString();

    /// <summary>Member <paramref name="member"/> of the index, by one ranged GET (webdataset shards address members by key).</summary>
    public PooledBytes ReadMember(int member)
    {
        var where = $"{_parts[Index.EntryAt(member).Part]}:{Index.NameAt(member)}";
        try
        {
            return Fetch(Index.EntryAt(member), () => where).GetAwaiter().GetResult()
                ?? throw new SampleException(SampleFailureReason.MissingFile, where, "the tar part is gone from the bucket");
        }
        catch (S3ReadException e)
        {
            throw S3ImageSource.BadSample(where, e);
        }
    }

    internal Task<PooledBytes?> FetchAsync(string imageFile) =>
        Index.TryFind(imageFile, out var entry) ? Fetch(entry, () => Describe(imageFile)) : Task.FromResult<PooledBytes?>(null);

    private Task<PooledBytes?> Fetch(TarIndexEntry entry, Func<string> where)
    {
        long limit = Math.Min(_maxFileBytes, Array.MaxLength);
        if (entry.Length > limit)
            return Task.FromException<PooledBytes?>(new SampleException(SampleFailureReason.FileTooLarge, where(),
                $"member is {entry.Length} bytes, over the limit of {limit} bytes (dataset.max_file_mb)"));
        if (entry.Length == 0) return Task.FromResult<PooledBytes?>(new PooledBytes(0));
        return _store.TryGetAsync(_parts[entry.Part], entry.Offset, entry.Length);
    }

    // The parts cannot be listed or indexed: the run cannot start, with one line naming the address (not a bad sample).
    private static T Listed<T>(Func<T> read)
    {
        try
        {
            return read();
        }
        catch (S3ReadException e)
        {
            throw new VgtDataException($"{e.Address}: {e.Message}", e);
        }
    }

    // The ETag as the index cache's "mtime": any change of the object changes it.
    private static long EtagStamp(string etag) => BitConverter.ToInt64(SHA256.HashData(Encoding.UTF8.GetBytes(etag)), 0);

    public void Dispose() => _window.Dispose();
}
