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
internal sealed class S3TarImageSource : IReadAheadSource
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
    {
        _store = store;
        _maxFileBytes = maxFileBytes;
        _description = pattern;
        var location = S3Location.Parse(pattern);
        var slash = location.Key.LastIndexOf('/');
        var folder = location with { Key = slash < 0 ? "" : location.Key[..(slash + 1)] };
        var namePattern = slash < 0 ? location.Key : location.Key[(slash + 1)..];
        if (folder.Key.IndexOfAny(['*', '?']) >= 0)
            throw new VgtDataException($"{pattern}: wildcards are supported in the file name only");
        var regex = new Regex("^" + Regex.Escape(namePattern).Replace(@"\*", ".*").Replace(@"\?", ".") + "$", RegexOptions.CultureInvariant);
        var objects = Listed(() => store.List(folder))
            .Where(o => !o.Key[folder.Key.Length..].Contains('/') && regex.IsMatch(o.Key[folder.Key.Length..]))
            .OrderBy(o => o.Key, TarPartGlob.NaturalComparer.Instance)
            .ToList();
        if (objects.Count == 0) throw new VgtDataException($"no tar parts match {pattern}");
        _parts = objects.Select(o => location with { Key = o.Key }).ToArray();
        var stamps = objects.Select((o, i) => new TarIndex.PartStamp(_parts[i].ToString(), o.Size, EtagStamp(o.ETag), 0, 0)).ToList();
        var key = string.Join('\n', stamps.Select(s => s.Path)) + "|" + store.EndpointName;
        var hash = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(key)))[..16].ToLowerInvariant();
        var cache = cacheDir ?? Path.Combine(Path.GetTempPath(), "vgtdata-s3", "tarindex");
        Directory.CreateDirectory(cache);
        Index = Listed(() => TarIndex.LoadOrBuild(stamps, i => new S3RangeStream(store, _parts[i], objects[i].Size), Path.Combine(cache, hash + ".bin")));
        _window = new ReadAheadWindow<PooledBytes>(FetchAsync, readAhead, maxQueued: 65536);
        ReadAheadDepth = readAhead;
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

    public PooledBytes Read(string imageFile)
    {
        Index.Find(imageFile, _description);
        try
        {
            var fetch = _window.Take(imageFile) ?? FetchAsync(imageFile);
            return fetch.GetAwaiter().GetResult()
                ?? throw new SampleException(SampleFailureReason.MissingFile, Describe(imageFile), "the tar part is gone from the bucket");
        }
        catch (S3ReadException e)
        {
            throw S3ImageSource.BadSample(Describe(imageFile), e);
        }
    }

    private Task<PooledBytes?> FetchAsync(string imageFile)
    {
        if (!Index.TryFind(imageFile, out var entry)) return Task.FromResult<PooledBytes?>(null);
        long limit = Math.Min(_maxFileBytes, Array.MaxLength);
        if (entry.Length > limit)
            return Task.FromException<PooledBytes?>(new SampleException(SampleFailureReason.FileTooLarge, Describe(imageFile),
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
