using System.Security.Cryptography;
using System.Text;
using VgtData.Storage;

namespace VgtData.Sources;

/// <summary>A dataset key whose object-storage setting cannot be used; <see cref="Key"/> is the key to fix.</summary>
internal sealed class StorageConfigException(string key, string message, Exception? inner = null) : VgtDataException(message, inner)
{
    public string Key { get; } = key;
}

/// <summary>
/// What a dataset block's storage keys resolve to: the shared object-storage client, the image source over
/// <c>ceph_folder</c> and the latents prefix from <c>latents_ceph_folder</c>; and the one place where a folder, a tar-part
/// pattern or a shard pattern becomes a byte store (<see cref="Open"/>, <see cref="OpenImages"/>, <see cref="OpenShards"/>):
/// local or s3:// is decided here and nowhere else.
/// </summary>
internal sealed record DatasetStorage(S3Store? Store, IImageSource? ImageSource, string? LatentsFolder)
{
    /// <summary>Image fetches kept ahead of decoding, for sources opened later (<see cref="OpenImages"/>).</summary>
    public int ReadAhead { get; init; } = 16;

    /// <summary>Files, objects and tar members larger than this are bad samples, unread (dataset.max_file_mb).</summary>
    public long MaxFileBytes { get; init; } = FolderImageSource.DefaultMaxFileBytes;

    /// <summary>Nothing on object storage.</summary>
    public static DatasetStorage None { get; } = new(null, null, null);

    /// <summary>The byte store below <paramref name="folder"/>: a local folder ("" for paths used as given) or an s3://
    /// prefix, either one reading tar parts in place where a part's folder is absent (<see cref="TarPartFolders"/>); a
    /// folder that prepare left as parquet parts (<see cref="ParquetImageSource.OpenPrepared(string, long)"/>) or as tar
    /// parts standing for one absent folder (<see cref="TarPartsSidecar"/>), local or s3://, is read from them.
    /// <paramref name="readAhead"/> is the object fetches kept ahead of hinted reads (0: none).</summary>
    public IImageSource Open(string folder, int readAhead = 0) =>
        S3Location.IsUrl(folder)
            ? ParquetImageSource.OpenPrepared(StoreFor(folder), S3Location.Parse(folder), readAhead, MaxFileBytes) as IImageSource
              ?? TarPartsSidecar.Open(new S3ImageSource(StoreFor(folder), S3Location.Parse(folder), readAhead, maxFileBytes: MaxFileBytes))
            : folder.Length > 0 && ParquetImageSource.OpenPrepared(folder, MaxFileBytes) is { } parquet ? parquet
            : folder.Length > 0 && TarPartsSidecar.Open(folder, () => new FolderImageSource(folder, MaxFileBytes)) is { } parts ? parts
            : new FolderImageSource(folder, MaxFileBytes);

    /// <summary>The <c>image_source</c> types <see cref="OpenImages"/> knows.</summary>
    public static readonly string[] ImageSourceTypes = ["folder", "tar"];

    /// <summary>
    /// A dataset's images when not below its <c>image_folder</c> (<c>image_source</c>: <paramref name="type"/> and its
    /// <paramref name="parts"/>): the <c>ceph_folder</c> source when there is one, else for <c>tar</c> the parts the glob
    /// names, local or s3:// (which member a path means is <see cref="TarIndex.Resolve"/>'s rule); null for
    /// <c>folder</c>. A key that cannot be used — an unknown type, no parts, a bucket's parts that cannot be listed or
    /// indexed — is a <see cref="StorageConfigException"/> naming it.
    /// </summary>
    public IImageSource? OpenImages(string type, string? parts)
    {
        if (!ImageSourceTypes.Contains(type))
            throw new StorageConfigException("image_source.type", $"unknown image_source type '{type}' (known: {string.Join(", ", ImageSourceTypes)})");
        if (ImageSource is not null || type == "folder") return ImageSource;
        if (parts is null) throw new StorageConfigException("image_source.parts", "a tar image_source needs \"parts\" (a glob)");
        if (!S3Location.IsUrl(parts)) return TarImageSource.FromGlob(Path.GetDirectoryName(parts)!, Path.GetFileName(parts));
        var store = Store ?? throw new StorageConfigException("image_source.parts", $"'{parts}' needs object-storage credentials");
        try
        {
            return new S3TarImageSource(store, parts, ReadAhead, maxFileBytes: MaxFileBytes);
        }
        catch (VgtDataException e)
        {
            throw new StorageConfigException("image_source.parts", e.Message, e);
        }
    }

    /// <summary>The indexed parts a webdataset <paramref name="pattern"/> names (brace ranges and globs, local or s3://),
    /// and how many there are.</summary>
    public (ITarMembers Parts, int Count) OpenShards(string pattern, string baseDir, string? cacheDir = null)
    {
        if (!S3Location.IsUrl(pattern))
        {
            var parts = ShardPattern.Resolve(baseDir, pattern);
            return (new TarImageSource(parts), parts.Count);
        }
        var store = Store ?? throw new VgtDataException($"shards '{pattern}' needs object-storage credentials");
        var (objects, infos) = ShardPattern.ResolveS3(store, pattern);
        return (new S3TarImageSource(store, pattern, objects, infos, readAhead: 0, cacheDir: cacheDir, maxFileBytes: MaxFileBytes), objects.Count);
    }

    /// <summary>
    /// A local path holding <paramref name="dataPath"/>'s manifest: itself when local; for s3:// the object (a .json or
    /// .jsonl file) or every *.json below the prefix, downloaded to a cache folder named after the address. (Entry lists
    /// are read with random access from local files; the rest of the dataset is read through <see cref="Open"/>.)
    /// </summary>
    public string Materialize(string dataPath)
    {
        if (!S3Location.IsUrl(dataPath)) return dataPath;
        var store = StoreFor(dataPath);
        var location = S3Location.Parse(dataPath);
        var hash = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes($"{store.EndpointName}|{location}")))[..16].ToLowerInvariant();
        var cache = Path.Combine(Path.GetTempPath(), "vgtdata-s3", hash);
        Directory.CreateDirectory(cache);
        if (location.Key.Length > 0 && !location.Key.EndsWith('/') && TryDownload(store, location, Path.Combine(cache, Path.GetFileName(location.Key))) is { } file)
            return file;
        var manifests = store.List(location with { Key = location.KeyPrefix })
            .Where(o => o.Key.EndsWith(".json", StringComparison.OrdinalIgnoreCase) && !o.Key[location.KeyPrefix.Length..].Contains('/'))
            .ToList();
        if (manifests.Count == 0) throw new VgtDataException($"data_path '{dataPath}' does not exist (no such object, and no *.json below it)");
        var folder = Path.Combine(cache, "manifests");
        if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
        Directory.CreateDirectory(folder);
        foreach (var m in manifests)
            _ = TryDownload(store, location with { Key = m.Key }, Path.Combine(folder, Path.GetFileName(m.Key)))
                ?? throw new VgtDataException($"{location with { Key = m.Key }}: listed but gone when read");
        return folder;
    }

    private static string? TryDownload(S3Store store, S3Location location, string path)
    {
        using var bytes = store.TryGet(location);
        if (bytes is null) return null;
        var temp = path + ".part";
        File.WriteAllBytes(temp, bytes.Span.ToArray());
        File.Move(temp, path, overwrite: true);
        return path;
    }

    private S3Store StoreFor(string path) => Store
        ?? throw new VgtDataException($"{path}: reading s3:// paths needs object-storage credentials (dataset ceph_config, or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY)");

    /// <summary>
    /// VGT's rule: images come from <paramref name="cephFolder"/> (and latents from <paramref name="latentsCephFolder"/>)
    /// only when a client config is usable — <paramref name="cephConfig"/>, or else the AWS environment. With neither, a
    /// dataset that also names a local <c>image_folder</c> reads it; one that does not is an error. The credentials are
    /// checked here, once, so a wrong key stops the run before the first batch.
    /// </summary>
    /// <param name="otherPaths">data_path, cap_folder, image_latents_folder: any of them may be s3:// too.</param>
    /// <param name="hasLocalImages">Whether the dataset names an image_folder to fall back to.</param>
    /// <param name="readAhead">Image fetches kept ahead of decoding.</param>
    /// <param name="maxFileBytes">Image objects larger than this are bad samples (dataset.max_file_mb).</param>
    public static DatasetStorage Resolve(string? cephFolder, string? cephConfig, string? latentsCephFolder,
        IReadOnlyDictionary<string, string?> otherPaths, bool hasLocalImages, int readAhead,
        Func<string, string?>? getEnv = null, long maxFileBytes = FolderImageSource.DefaultMaxFileBytes)
    {
        var remote = otherPaths.Where(p => S3Location.IsUrl(p.Value)).ToList();
        if (cephFolder is null && latentsCephFolder is null && remote.Count == 0) return None;
        S3Location? images = cephFolder is null ? null : Parse("ceph_folder", cephFolder);
        S3Location? latents = latentsCephFolder is null ? null : Parse("latents_ceph_folder", latentsCephFolder);
        var first = images ?? latents ?? Parse(remote[0].Key, remote[0].Value!);

        S3Settings? settings;
        try
        {
            settings = cephConfig is not null ? S3Settings.FromPetrelConfig(cephConfig, first.Cluster) : S3Settings.FromEnvironment(getEnv);
        }
        catch (VgtDataException e)
        {
            throw new StorageConfigException(cephConfig is not null ? "ceph_config" : "ceph_folder", e.Message, e);
        }
        if (settings is null)
        {
            const string how = "needs object-storage credentials: set ceph_config (a petrel-style INI file) or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY";
            if (remote.Count > 0) throw new StorageConfigException(remote[0].Key, $"'{remote[0].Value}' {how}");
            if (!hasLocalImages && images is not null) throw new StorageConfigException("ceph_folder", $"'{cephFolder}' {how} (or an image_folder to read instead)");
            return None;
        }

        var store = new S3Store(settings);
        try
        {
            store.Probe(first);
        }
        catch (VgtDataException e)
        {
            store.Dispose();
            throw new StorageConfigException(cephConfig is not null ? "ceph_config" : "ceph_folder", e.Message, e);
        }
        try
        {
            var storage = new DatasetStorage(store, null, latents?.ToString()) { ReadAhead = readAhead, MaxFileBytes = maxFileBytes };
            return images is null ? storage : storage with { ImageSource = storage.Open(images.ToString(), readAhead) };
        }
        catch (VgtDataException e)
        {
            // The credentials passed the probe: what the folder holds (a part prepare listed, changed since) is its own.
            store.Dispose();
            throw new StorageConfigException("ceph_folder", e.Message, e);
        }
    }

    private static S3Location Parse(string key, string value)
    {
        try
        {
            return S3Location.Parse(value);
        }
        catch (VgtDataException e)
        {
            throw new StorageConfigException(key, e.Message, e);
        }
    }
}
