using VgtData.Storage;

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

/// <summary>What opening a dataset's entries needs: the <c>data_path</c>, <c>cap_source</c> and
/// <c>train_number_samples</c>, and for the index how to reach s3:// paths and annotation files.</summary>
internal sealed record EntrySource(string DataPath, string CapSource = "caption", int? Limit = null)
{
    /// <summary>The object store s3:// data paths are stamped through (null: local files only).</summary>
    public S3Store? Store { get; init; }

    /// <summary>A local path holding the manifest a data path names (an s3:// one downloaded to the cache folder).</summary>
    public Func<string, string> Materialize { get; init; } = path => path;

    /// <summary>The dataset's <c>index</c> key: false reads the JSON on every open.</summary>
    public bool Index { get; init; } = true;

    /// <summary>How annotation files are read (cap_folder, text or JSON), part of the index's stamp; with
    /// <see cref="AnnotationCaption"/> the index holds their captions.</summary>
    public string? Annotations { get; init; }

    /// <summary>The caption of an annotation file exactly as a sample reads it; null when it cannot be read.</summary>
    public Func<string, string?>? AnnotationCaption { get; init; }
}

/// <summary>A step of building an index: reading the manifest (<see cref="IndexProgress.Done"/> of
/// <see cref="IndexProgress.Total"/> bytes), then writing its entries (entries done of the total).</summary>
internal enum IndexStep { Reading, Writing }

internal readonly record struct IndexProgress(string DataPath, IndexStep Step, long Done, long Total);

/// <summary>Opens the entry list a <c>data_path</c> names: one row per format.</summary>
internal static class EntryLists
{
    /// <summary>A data.json (a JSON array), a <c>.jsonl</c> file, or a folder of <c>*.json</c>; <paramref name="limit"/> is
    /// <c>train_number_samples</c>.</summary>
    public static IEntryList Open(string dataPath, string capSource, int? limit) => Open(new EntrySource(dataPath, capSource, limit));

    /// <summary>The entries through their memory-mapped <see cref="EntryIndex"/> (built when missing or stale), unless the
    /// dataset's <c>index: false</c> or <c>VGTDATA_INDEX=0</c> turns it off.</summary>
    public static IEntryList Open(EntrySource source) =>
        source.Index && IndexEnabled ? OpenIndexed(source) : Manifest.Load(source.Materialize(source.DataPath), source.CapSource, source.Limit);

    /// <summary>Whether manifests go through a memory-mapped <see cref="EntryIndex"/>: yes unless <c>VGTDATA_INDEX=0</c>
    /// (<c>vgtdata index</c> turns it on regardless).</summary>
    internal static bool IndexEnabled => Scoped.Value != Scope.None || Environment.GetEnvironmentVariable("VGTDATA_INDEX") != "0";

    private enum Scope { None, On, Rebuild }

    private static readonly AsyncLocal<Scope> Scoped = new();
    private static readonly AsyncLocal<Action<IndexProgress>?> Reporting = new();

    /// <summary>Turns the index on for what runs in this flow until disposed (<c>vgtdata index</c> builds a config's
    /// datasets inside one, whatever <c>VGTDATA_INDEX</c> says), and with <paramref name="rebuild"/> writes every index
    /// anew (annotation files changed in place); <paramref name="progress"/> hears each build's steps. Other threads
    /// and tests are unaffected.</summary>
    internal static IDisposable IndexScope(bool rebuild = false, Action<IndexProgress>? progress = null)
    {
        var (before, reporting) = (Scoped.Value, Reporting.Value);
        Scoped.Value = rebuild ? Scope.Rebuild : Scope.On;
        Reporting.Value = progress;
        return new Restore(() => (Scoped.Value, Reporting.Value) = (before, reporting));
    }

    private sealed class Restore(Action undo) : IDisposable
    {
        public void Dispose() => undo();
    }

    internal static IEntryList OpenIndexed(string dataPath, string capSource, int? limit) => OpenIndexed(new EntrySource(dataPath, capSource, limit));

    /// <summary>
    /// The index beside the manifest (or in the cache folder when that is not writable; always there for s3://, and also
    /// in the bucket beside the manifest, <see cref="BucketIndex"/>), opened
    /// when it was built from the sources as they are now, for the same <c>cap_source</c> and annotation reading;
    /// otherwise the manifest is read and the index written anew (atomically) for the next process.
    /// </summary>
    internal static IEntryList OpenIndexed(EntrySource source)
    {
        bool remote = S3Location.IsUrl(source.DataPath);
        var stamps = remote ? ObjectStamps(source) : Manifest.SourceFiles(source.DataPath).Select(EntryIndex.SourceStamp.Of).ToList();
        if (stamps is null) return Manifest.Load(source.Materialize(source.DataPath), source.CapSource, source.Limit);
        var meta = new EntryIndex.Meta(source.CapSource, stamps, source.AnnotationCaption is null ? null : source.Annotations ?? "");
        var paths = IndexPaths(source.DataPath, remote ? source.Store!.EndpointName : null).ToList();
        bool rebuild = Scoped.Value == Scope.Rebuild;
        // Checked on this node before: mapped at once, without hashing it.
        foreach (var path in rebuild ? [] : paths)
            if (EntryIndex.TryOpen(path, meta, source.Limit, out _, checkedOnly: true) is { } index) return index;
        // Not checked yet, not there, or stale: one process hashes it (and records the check), fetches it from the bucket
        // or builds it, while the others that start with it wait, then map it.
        IEntryList built;
        using (var building = BuildLock.Take(paths))
        {
            foreach (var path in rebuild ? [] : paths)
                if (EntryIndex.TryOpen(path, meta, source.Limit, out _) is { } index) return index;
            if (remote && !rebuild && BucketIndex.TryFetch(source.Store!, source.DataPath, meta, paths[^1], source.Limit) is { } fetched) return fetched;
            built = Build(source, meta, paths);
        }
        // Written back for the other nodes once this node's ranks are free to map it.
        if (remote && built is EntryIndex { Built: true } written)
            written.Published = BucketIndex.TryPublish(source.Store!, source.DataPath, meta, written.Source);
        return built;
    }

    /// <summary>Reads the manifest once and writes the index for every later process; the manifest itself when no index
    /// can be written.</summary>
    private static IEntryList Build(EntrySource source, EntryIndex.Meta meta, List<string> paths)
    {
        var local = source.Materialize(source.DataPath);
        var report = Reporting.Value;
        Manifest manifest;
        try
        {
            long bytes = Manifest.SourceFiles(local).Sum(f => new FileInfo(f).Length);
            report?.Invoke(new IndexProgress(source.DataPath, IndexStep.Reading, 0, bytes));
            manifest = Manifest.Load(local, source.CapSource,
                bytesRead: report is null ? null : done => report(new IndexProgress(source.DataPath, IndexStep.Reading, done, bytes)));
        }
        catch (VgtDataException) when (source.Limit is not null)
        {
            // Only the first train_number_samples entries are read without an index: damage past them is not this run's.
            return Manifest.Load(local, source.CapSource, source.Limit);
        }
        foreach (var path in paths)
        {
            try
            {
                Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                report?.Invoke(new IndexProgress(source.DataPath, IndexStep.Writing, 0, manifest.Count));
                EntryIndex.Write(path, manifest, meta, source.AnnotationCaption,
                    report is null ? null : done => report(new IndexProgress(source.DataPath, IndexStep.Writing, done, manifest.Count)));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                continue;   // a read-only dataset folder: the cache folder is next
            }
            if (EntryIndex.TryOpen(path, meta, source.Limit, out _) is { } written)
            {
                written.Built = true;
                return written;
            }
        }
        return source.Limit is int l && l < manifest.Count ? Manifest.Load(local, source.CapSource, l) : manifest;
    }

    /// <summary>
    /// A lock file beside the first index path that can hold one (<c>.vgtidx.lock</c>, an exclusive <c>flock</c>), so the
    /// ranks of a node that all find the index missing build it once. Correctness never rests on it (each build is
    /// written to its own temporary file and renamed); it only saves the repeated work. Released by a crashed holder's
    /// exit, so a wait never outlives the build it waits for.
    /// </summary>
    private sealed class BuildLock : IDisposable
    {
        private readonly FileStream _file;
        private readonly string _path;

        private BuildLock(FileStream file, string path) => (_file, _path) = (file, path);

        /// <summary>The lock, after waiting for another process's build; null when no folder can hold a lock file.</summary>
        public static BuildLock? Take(IEnumerable<string> paths)
        {
            foreach (var path in paths)
            {
                var lockPath = path + ".lock";
                try
                {
                    Directory.CreateDirectory(Path.GetDirectoryName(lockPath)!);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    continue;
                }
                while (true)
                {
                    try
                    {
                        return new BuildLock(new FileStream(lockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1), lockPath);
                    }
                    catch (UnauthorizedAccessException)
                    {
                        break;   // a read-only folder: the cache folder is next
                    }
                    catch (IOException) when (File.Exists(lockPath))
                    {
                        Thread.Sleep(100);   // another process is building
                    }
                    catch (IOException)
                    {
                        break;
                    }
                }
            }
            return null;
        }

        public void Dispose()
        {
            // Removed while still held: a process waiting on this file then finds the index built and maps it.
            File.Delete(_path);
            _file.Dispose();
        }
    }

    /// <summary>Address, size and ETag of the manifest object(s) an s3:// data_path names (the object, else the *.json
    /// directly below the prefix, as the dataset storage's <c>Materialize</c> reads them); null when there are none to stamp
    /// or the store refuses to say (then the manifest is read as without an index, and fails with the GET's own error).</summary>
    private static List<EntryIndex.SourceStamp>? ObjectStamps(EntrySource source)
    {
        if (source.Store is null) return null;
        try
        {
            return ListObjectStamps(source.Store, source.DataPath);
        }
        catch (Exception e) when (e is VgtDataException or IOException)
        {
            return null;
        }
    }

    private static List<EntryIndex.SourceStamp>? ListObjectStamps(S3Store store, string dataPath)
    {
        var location = S3Location.Parse(dataPath);
        if (location.Key.Length > 0 && !location.Key.EndsWith('/') && store.Head(location) is { } one)
            return [EntryIndex.SourceStamp.OfObject(location.ToString(), one.Size, one.ETag)];
        var listed = store.List(location with { Key = location.KeyPrefix })
            .Where(o => o.Key.EndsWith(".json", StringComparison.OrdinalIgnoreCase) && !o.Key[location.KeyPrefix.Length..].Contains('/'))
            .Select(o => EntryIndex.SourceStamp.OfObject((location with { Key = o.Key }).ToString(), o.Size, o.ETag))
            .ToList();
        return listed.Count == 0 ? null : listed;
    }

    /// <summary>Beside the manifest (<c>data.json.vgtidx</c>, or <c>index.vgtidx</c> in a folder of *.json), then under
    /// <c>VGTDATA_CACHE</c> (default <c>~/.cache/vgtdata</c>), named by a hash of the manifest's full path; an s3:// manifest
    /// only there, named by a hash of the endpoint and address (its ETag is in the index's stamp).</summary>
    internal static IEnumerable<string> IndexPaths(string dataPath, string? endpoint = null)
    {
        var full = endpoint is null ? Path.GetFullPath(dataPath) : $"{endpoint}|{dataPath}";
        if (endpoint is null)
            yield return Directory.Exists(full) ? Path.Combine(full, "index" + EntryIndex.Extension) : full + EntryIndex.Extension;
        var cache = Environment.GetEnvironmentVariable("VGTDATA_CACHE") is { Length: > 0 } c ? c
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "vgtdata");
        var hash = Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(full)))[..16].ToLowerInvariant();
        yield return Path.Combine(cache, "index", hash + EntryIndex.Extension);
    }
}
