using VgtData.Storage;

namespace VgtData.Sources;

/// <summary>A dataset key whose object-storage setting cannot be used; <see cref="Key"/> is the key to fix.</summary>
internal sealed class StorageConfigException(string key, string message, Exception? inner = null) : VgtDataException(message, inner)
{
    public string Key { get; } = key;
}

/// <summary>
/// What a dataset block's object-storage keys resolve to: the shared client, the image source over <c>ceph_folder</c>,
/// the latents prefix from <c>latents_ceph_folder</c>, and the reader for s3:// annotations and manifests.
/// </summary>
internal sealed record DatasetStorage(S3Store? Store, IImageSource? ImageSource, string? LatentsFolder, DataFiles Files)
{
    /// <summary>Image fetches kept ahead of decoding, for sources opened later (<see cref="OpenTarParts"/>).</summary>
    public int ReadAhead { get; init; } = 16;

    /// <summary>Image objects and tar members larger than this are bad samples, unread (dataset.max_file_mb).</summary>
    public long MaxFileBytes { get; init; } = FolderImageSource.DefaultMaxFileBytes;

    /// <summary>Tar parts in the bucket (<c>image_source.parts</c> = s3://…/part_*.tar), read through <see cref="Store"/>.</summary>
    public IImageSource OpenTarParts(string pattern) =>
        new S3TarImageSource(Store ?? throw new StorageConfigException("image_source.parts", $"'{pattern}' needs object-storage credentials"), pattern, ReadAhead,
            maxFileBytes: MaxFileBytes);

    /// <summary>Nothing on object storage.</summary>
    public static DatasetStorage None { get; } = new(null, null, null, DataFiles.Local);

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
            var files = new DataFiles(store);
            var source = images is null ? null : new S3ImageSource(store, images, readAhead, maxFileBytes: maxFileBytes);
            return new DatasetStorage(store, source, latents?.ToString(), files) { ReadAhead = readAhead, MaxFileBytes = maxFileBytes };
        }
        catch (VgtDataException e)
        {
            store.Dispose();
            throw new StorageConfigException(cephConfig is not null ? "ceph_config" : "ceph_folder", e.Message, e);
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
