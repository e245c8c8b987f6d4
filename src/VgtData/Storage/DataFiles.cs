using System.Security.Cryptography;
using System.Text;

namespace VgtData.Storage;

/// <summary>
/// Small files a dataset reads besides images (annotations, latents, the manifest): from local disk, or for
/// <c>s3://</c> paths through the pipeline's <see cref="S3Store"/> (the same client as the images).
/// </summary>
internal sealed class DataFiles
{
    /// <summary>Local files only: an s3:// path is an error naming what is missing.</summary>
    public static DataFiles Local { get; } = new(null);

    public DataFiles(S3Store? store) => Store = store;

    public S3Store? Store { get; }

    /// <summary><paramref name="relative"/> below <paramref name="folder"/> (an s3:// prefix or a local folder).</summary>
    public static string Combine(string folder, string relative) =>
        S3Location.IsUrl(folder) ? S3Location.Parse(folder).Append(relative).ToString() : Path.Combine(folder, relative);

    /// <summary>The file's bytes; null when it does not exist. Other failures are <see cref="IOException"/>s
    /// (<see cref="S3UnavailableException"/> after the store's retries); a local path that is not a regular file, or
    /// is over VGTDATA_MAX_MANIFEST_MB, is a <see cref="VgtDataException"/>.</summary>
    public byte[]? TryReadAllBytes(string path)
    {
        if (!S3Location.IsUrl(path))
        {
            // Exists is true for a FIFO or device too: RegularFile refuses those instead of blocking on them.
            return File.Exists(path) ? Storage.RegularFile.ReadAllInput(path, Storage.FileLimit.Manifest) : null;
        }
        using var bytes = StoreFor(path).TryGet(S3Location.Parse(path));
        return bytes?.Span.ToArray();
    }

    /// <summary>The file as text (UTF-8, a byte-order mark honoured, like <see cref="File.ReadAllText(string)"/>).</summary>
    /// <exception cref="FileNotFoundException">when it does not exist.</exception>
    public string ReadAllText(string path)
    {
        if (!S3Location.IsUrl(path))
            return File.Exists(path) ? Storage.RegularFile.ReadAllInputText(path, Storage.FileLimit.Manifest) : throw new FileNotFoundException("no such file", path);
        var bytes = TryReadAllBytes(path) ?? throw new FileNotFoundException("no such object", path);
        using var reader = new StreamReader(new MemoryStream(bytes), Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
        return reader.ReadToEnd();
    }

    /// <summary>
    /// A local path holding <paramref name="dataPath"/>'s manifest: itself when local; for s3:// the object (a .json or
    /// .jsonl file) or every *.json below the prefix, downloaded to a cache folder named after the address.
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
}
