namespace VgtData.Manifests;

/// <summary>
/// The entries a dataset reads, whatever holds them (a data.json table; webdataset shard groups, <c>Sources.WebDatasetShards</c>):
/// how many, and each one's image path and caption or annotation. A new entry format is one class implementing this
/// plus its row in <see cref="EntryLists"/> (or, for a format that needs image sources, in the config's
/// <c>PipelineFactory</c>, since this stage cannot name them); the dataset, samplers and validation do not change.
/// </summary>
internal interface IEntryList
{
    /// <summary>Where the entries came from (file or folder), for messages.</summary>
    string Source { get; }

    int Count { get; }

    /// <summary>Entry <paramref name="index"/>; an index outside [0, Count) is an <see cref="IndexOutOfRangeException"/>.</summary>
    ManifestEntry this[int index] { get; }

    /// <summary>Only the image path of entry <paramref name="index"/> (read-ahead and messages need no caption).</summary>
    string ImageOf(int index);
}

/// <summary>Opens the entry list a <c>data_path</c> names: one row per format.</summary>
internal static class EntryLists
{
    /// <summary>A data.json (a JSON array), a <c>.jsonl</c> file, or a folder of <c>*.json</c>; <paramref name="limit"/> is
    /// <c>train_number_samples</c>.</summary>
    public static IEntryList Open(string dataPath, string capSource, int? limit) =>
        IndexEnabled ? OpenIndexed(dataPath, capSource, limit) : Manifest.Load(dataPath, capSource, limit);

    /// <summary>Whether data.json manifests go through a memory-mapped <see cref="EntryIndex"/> (<c>VGTDATA_INDEX=1</c>;
    /// off by default until the index serves every source kind).</summary>
    internal static bool IndexEnabled => Scoped.Value || Environment.GetEnvironmentVariable("VGTDATA_INDEX") == "1";

    private static readonly AsyncLocal<bool> Scoped = new();

    /// <summary>Turns the index on for what runs in this flow until disposed (<c>vgtdata index</c> builds a config's
    /// datasets inside one); other threads and tests are unaffected.</summary>
    internal static IDisposable IndexScope()
    {
        bool before = Scoped.Value;
        Scoped.Value = true;
        return new Restore(() => Scoped.Value = before);
    }

    private sealed class Restore(Action undo) : IDisposable
    {
        public void Dispose() => undo();
    }

    /// <summary>
    /// The index beside <paramref name="dataPath"/> (or in the cache folder when that is not writable), opened when it
    /// was built from the sources as they are now and for the same <c>cap_source</c>; otherwise the manifest is read and
    /// the index written anew (atomically) for the next process.
    /// </summary>
    internal static IEntryList OpenIndexed(string dataPath, string capSource, int? limit)
    {
        var meta = new EntryIndex.Meta(capSource, Manifest.SourceFiles(dataPath).Select(EntryIndex.SourceStamp.Of).ToList());
        foreach (var path in IndexPaths(dataPath))
            if (EntryIndex.TryOpen(path, meta, limit, out _) is { } index) return index;
        // Not there, or stale: read the manifest once and write the index for every later process.
        var manifest = Manifest.Load(dataPath, capSource);
        foreach (var path in IndexPaths(dataPath))
        {
            try
            {
                Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                EntryIndex.Write(path, manifest, meta);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                continue;   // a read-only dataset folder: the cache folder is next
            }
            if (EntryIndex.TryOpen(path, meta, limit, out _) is { } written)
            {
                written.Built = true;
                return written;
            }
        }
        return limit is int l && l < manifest.Count ? Manifest.Load(dataPath, capSource, l) : manifest;
    }

    /// <summary>Beside the manifest (<c>data.json.vgtidx</c>, or <c>index.vgtidx</c> in a folder of *.json), then under
    /// <c>VGTDATA_CACHE</c> (default <c>~/.cache/vgtdata</c>), named by a hash of the manifest's full path.</summary>
    internal static IEnumerable<string> IndexPaths(string dataPath)
    {
        var full = Path.GetFullPath(dataPath);
        yield return Directory.Exists(full) ? Path.Combine(full, "index" + EntryIndex.Extension) : full + EntryIndex.Extension;
        var cache = Environment.GetEnvironmentVariable("VGTDATA_CACHE") is { Length: > 0 } c ? c
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "vgtdata");
        var hash = Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(full)))[..16].ToLowerInvariant();
        yield return Path.Combine(cache, "index", hash + EntryIndex.Extension);
    }
}
