using Amazon.Runtime;
using VgtData.Storage;

namespace VgtData.Manifests;

/// <summary>
/// An s3:// manifest's index kept in the bucket beside it (<c>data.json.vgtidx</c> next to the object; <c>index.vgtidx</c>
/// below a prefix of *.json), so that a node without one in its cache downloads what another node built instead of
/// parsing the JSON. What is downloaded is opened like any index (header, checksum, and the manifest objects' addresses,
/// sizes and ETags it was built from must all match), so a stale, damaged or foreign object is never read: the node
/// builds its own and writes it back. Writing is best effort: a bucket the job may not write leaves each node its own build.
/// </summary>
internal static class BucketIndex
{
    /// <summary>Objects are downloaded in ranges of this size, each written to disk before the next is asked for.</summary>
    private const long Range = 64L << 20;

    /// <summary>Above this an index is uploaded in parts (a single PUT may not exceed 5 GiB).</summary>
    private const long SinglePut = 4L << 30, PartBytes = 512L << 20;

    /// <summary>The object an index of <paramref name="sources"/> (the manifest objects an s3:// data_path names) is kept in.</summary>
    public static S3Location Location(string dataPath, IReadOnlyList<EntryIndex.SourceStamp> sources)
    {
        var location = S3Location.Parse(dataPath);
        bool oneObject = sources.Count == 1 && sources[0].Path == location.ToString();
        return oneObject ? location with { Key = location.Key + EntryIndex.Extension } : location with { Key = location.KeyPrefix + "index" + EntryIndex.Extension };
    }

    /// <summary>Downloads the bucket's index to <paramref name="localPath"/> and opens it when it serves
    /// <paramref name="meta"/>; null (and nothing left behind) when there is none, it cannot be read, or it does not serve.</summary>
    public static EntryIndex? TryFetch(S3Store store, string dataPath, EntryIndex.Meta meta, string localPath, int? limit)
    {
        var location = Location(dataPath, meta.Sources);
        var temp = $"{localPath}.{Environment.ProcessId}.download";
        try
        {
            if (store.Head(location) is not { } info) return null;
            // Far above any index of these manifests (an entry's row and strings stay within a few times its JSON, plus
            // captions read from annotation files): a huge object is not a reason to fill the disk.
            long manifests = meta.Sources.Sum(s => s.Size);
            if (info.Size < EntryIndex.HeaderBytes || info.Size > 64 * manifests + (1L << 30)) return null;
            Directory.CreateDirectory(Path.GetDirectoryName(localPath)!);
            using (var file = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20))
            {
                for (long at = 0; at < info.Size; at += Range)
                {
                    using var bytes = store.TryGet(location, at, Math.Min(Range, info.Size - at));
                    if (bytes is null || bytes.Length != Math.Min(Range, info.Size - at)) return null;   // replaced meanwhile
                    file.Write(bytes.Span);
                }
            }
            File.Move(temp, localPath, overwrite: true);
        }
        catch (Exception e) when (e is VgtDataException or IOException or UnauthorizedAccessException or AmazonServiceException
            or HttpRequestException or OperationCanceledException)
        {
            return null;
        }
        finally
        {
            File.Delete(temp);
        }
        var index = EntryIndex.TryOpen(localPath, meta, limit, out _);
        if (index is null) File.Delete(localPath);
        else index.Fetched = location.ToString();
        return index;
    }

    /// <summary>Writes the index at <paramref name="localPath"/> to the bucket beside the manifest; the object's address,
    /// or null when the bucket refused it.</summary>
    public static string? TryPublish(S3Store store, string dataPath, EntryIndex.Meta meta, string localPath)
    {
        var location = Location(dataPath, meta.Sources);
        try
        {
            long size = new FileInfo(localPath).Length;
            if (size <= SinglePut) store.PutFileAsync(location, localPath).GetAwaiter().GetResult();
            else PutInParts(store, location, localPath, size);
            return location.ToString();
        }
        catch (Exception e) when (e is VgtDataException or IOException or UnauthorizedAccessException or AmazonServiceException
            or HttpRequestException or OperationCanceledException)
        {
            return null;
        }
    }

    private static void PutInParts(S3Store store, S3Location location, string path, long size)
    {
        var upload = store.StartMultipartAsync(location).GetAwaiter().GetResult();
        try
        {
            var etags = new List<string>();
            for (long at = 0; at < size; at += PartBytes)
                etags.Add(store.UploadPartAsync(location, upload, etags.Count + 1, path, at, Math.Min(PartBytes, size - at)).GetAwaiter().GetResult());
            store.CompleteMultipartAsync(location, upload, etags).GetAwaiter().GetResult();
        }
        catch
        {
            _ = store.TryAbortMultipartAsync(location, upload).GetAwaiter().GetResult();
            throw;
        }
    }
}
