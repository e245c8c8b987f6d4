using System.Text.Json;
using VgtData.Storage;

namespace VgtData.Sources;

/// <summary>
/// Tar parts that together stand for one absent folder (VGT's extract.py unpacks all of them into <c>images/</c>, a folder
/// named after none of them). <c>vgtdata prepare</c> writes <see cref="FileName"/> in the dataset folder: the folder the
/// parts stand for, whether members are unpacked by base name (<c>flat</c>: sharegpt-4o-image) or with their paths
/// (midjourney-23m), and each part relative to the dataset folder with its size. <c>FOLDER/NAME</c> is then the one
/// member NAME of those parts (<see cref="TarIndex.Resolve"/>: a name several parts hold is refused naming them); every
/// other path is read from the dataset folder. A part whose size changed since prepare is refused when the source opens.
/// A local dataset folder and an s3:// prefix (<c>ceph_folder</c>, the folder uploaded with its parts) are read alike: the
/// local parts through <see cref="TarImageSource"/>, a bucket's through <see cref="S3TarImageSource"/> (ranged GETs,
/// fetched ahead).
/// </summary>
internal sealed class TarPartsSidecar : IImageSource
{
    public const string FileName = "images.tarparts.json";

    /// <summary>One listed part: <see cref="File"/> relative to the dataset folder ('/'-separated), its size then.</summary>
    internal sealed record Part(string File, long Bytes);

    private readonly string _prefix;
    private readonly bool _flat;
    private readonly IImageSource _parts;
    private readonly TarIndex _index;
    private readonly IImageSource _rest;

    private TarPartsSidecar(string folder, bool flat, IImageSource parts, TarIndex index, IImageSource rest)
    {
        _prefix = folder + "/";
        _flat = flat;
        _parts = parts;
        _index = index;
        _rest = rest;
    }

    /// <summary>The source over <paramref name="root"/> when prepare left <see cref="FileName"/> there and the folder it
    /// stands for is absent (an extracted folder always wins); null otherwise. <paramref name="rest"/> reads every other
    /// path (owned by the result).</summary>
    public static IImageSource? Open(string root, Func<IImageSource> rest)
    {
        root = Path.GetFullPath(root);
        var sidecar = Path.Combine(root, FileName);
        if (!File.Exists(sidecar)) return null;
        Listing listing;
        try
        {
            using var stream = RegularFile.OpenInputStream(sidecar, FileLimit.Manifest);
            listing = Parse(stream, sidecar);
        }
        catch (Exception e) when (e is SampleException or IOException)
        {
            throw Unreadable(sidecar, e);
        }
        if (Directory.Exists(Path.Combine(root, listing.Folder))) return null;
        var paths = new List<string>(listing.Parts.Count);
        foreach (var p in listing.Parts)
        {
            var path = Path.Combine(root, p.File);
            PreparedParts.CheckSize(path, File.Exists(path) ? new FileInfo(path).Length : null, p.Bytes, sidecar);
            paths.Add(path);
        }
        var parts = new TarImageSource(paths);
        return new TarPartsSidecar(listing.Folder, listing.Flat, parts, parts.Index, rest());
    }

    /// <summary>
    /// <paramref name="folder"/> (an s3:// prefix) read through <see cref="FileName"/> when the bucket holds it below the
    /// prefix (uploaded with the prepared folder) and no key starts with the folder it stands for; <paramref name="folder"/>
    /// itself otherwise. The parts are checked against the listing's sizes by one listing of each folder holding them,
    /// indexed once (cached like every bucket tar index) and read by ranged GETs, <see cref="S3ImageSource.ReadAheadDepth"/>
    /// fetched ahead. The result owns <paramref name="folder"/>; it is disposed when opening fails.
    /// </summary>
    public static IImageSource Open(S3ImageSource folder)
    {
        var store = folder.Store;
        var sidecar = folder.Prefix.Append(FileName);
        try
        {
            Listing listing;
            using (var bytes = Fetched(sidecar, () => store.TryGet(sidecar, maxBytes: FileLimit.Manifest.Bytes, limitName: FileLimit.Manifest.Name)))
            {
                if (bytes is null) return folder;
                try
                {
                    listing = Parse(new MemoryStream(bytes.Array, 0, bytes.Length, writable: false), sidecar.ToString());
                }
                catch (SampleException e)
                {
                    throw Unreadable(sidecar.ToString(), e);
                }
            }
            var stands = folder.Prefix.Append(listing.Folder);
            if (Fetched(stands, () => store.AnyBelow(stands with { Key = stands.KeyPrefix }))) return folder;
            var locations = listing.Parts.Select(p => folder.Prefix.Append(p.File)).ToList();
            // One listing per folder holding parts (delimiter '/'): sizes and ETags for the index stamps.
            var listed = new Dictionary<string, S3ObjectInfo>(StringComparer.Ordinal);
            foreach (var parent in locations.Select(l => l with { Key = l.Key[..(l.Key.LastIndexOf('/') + 1)] }).DistinctBy(l => l.Key))
                foreach (var o in Fetched(parent, () => store.List(parent, delimiter: "/")))
                    listed[o.Key] = o;
            var infos = new List<S3ObjectInfo>(locations.Count);
            for (int i = 0; i < locations.Count; i++)
            {
                S3ObjectInfo? info = listed.TryGetValue(locations[i].Key, out var found) ? found : null;
                PreparedParts.CheckSize(locations[i].ToString(), info?.Size, listing.Parts[i].Bytes, sidecar.ToString());
                infos.Add(info!.Value);
            }
            var description = locations.Count == 1 ? locations[0].ToString() : $"{locations[0]} (+{locations.Count - 1} more parts)";
            var parts = new S3TarImageSource(store, description, locations, infos, folder.ReadAheadDepth, maxFileBytes: folder.MaxFileBytes);
            return new TarPartsSidecar(listing.Folder, listing.Flat, parts, parts.Index, folder);
        }
        catch
        {
            folder.Dispose();
            throw;
        }
    }

    // A request that fails at open (after the store's retries) stops the run with one line naming the address.
    private static T Fetched<T>(S3Location where, Func<T> read)
    {
        try
        {
            return read();
        }
        catch (S3ReadException e)
        {
            throw new VgtDataException($"{where}: {e.Message}", e);
        }
    }

    public static void Write(Stream stream, string folder, bool flat, IReadOnlyList<Part> parts)
    {
        JsonSerializer.Serialize(stream, new Listing(folder, flat, parts), Json);
        stream.Write("\n"u8);
    }

    /// <summary>The member name <paramref name="imageFile"/> means when it lies below the sidecar's folder; null otherwise.</summary>
    private string? Member(string imageFile)
    {
        var path = TarIndex.NormalizeName(imageFile);
        return path.StartsWith(_prefix, StringComparison.Ordinal) && path.Length > _prefix.Length ? path[_prefix.Length..] : null;
    }

    // Members unpacked with their paths: only the member of exactly that path is the file (no base-name fallback, which
    // the extracted folder would not have either).
    private bool Held(string member) =>
        _index.TryFind(member, out _, out var name) && (_flat || TarIndex.NormalizeName(name) == member);

    public PooledBytes Read(string imageFile)
    {
        if (Member(imageFile) is not { } member) return _rest.Read(imageFile);
        if (!_flat && _parts.Exists(member) && !Held(member))
            throw new SampleException(SampleFailureReason.MissingFile, _parts.Describe(member), "no member of that path in the parts");
        return _parts.Read(member);
    }

    public string Describe(string imageFile) => Member(imageFile) is { } member ? _parts.Describe(member) : _rest.Describe(imageFile);

    public bool Exists(string imageFile) => Member(imageFile) is { } member ? Held(member) : _rest.Exists(imageFile);

    public PooledBytes? TryRead(string imageFile) =>
        Member(imageFile) is { } member ? Held(member) ? _parts.Read(member) : null : _rest.TryRead(imageFile);

    public void ReadAhead(string imageFile)
    {
        if (Member(imageFile) is not { } member) _rest.ReadAhead(imageFile);
        else if (_flat || Held(member)) _parts.ReadAhead(member);
    }

    public void Dispose()
    {
        _parts.Dispose();
        _rest.Dispose();
    }

    /// <summary>The file's content: <c>{"folder", "flat", "parts": [{"file", "bytes"}]}</c>.</summary>
    private sealed record Listing(string Folder, bool Flat, IReadOnlyList<Part> Parts);

    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        WriteIndented = true,
        RespectNullableAnnotations = true,
        RespectRequiredConstructorParameters = true,
    };

    private static Listing Parse(Stream stream, string path)
    {
        try
        {
            var listing = JsonSerializer.Deserialize<Listing>(stream, Json) ?? throw new FormatException("null");
            if (listing.Parts.Count == 0) throw new FormatException("no parts");
            // Only paths below the dataset folder: the listing never reaches outside it.
            foreach (var name in listing.Parts.Select(p => p.File).Prepend(listing.Folder))
                if (name.Length == 0 || Path.IsPathRooted(name) || name.Split('/', '\\').Contains(".."))
                    throw new FormatException($"'{name}' is not a path below the dataset folder");
            return listing;
        }
        catch (Exception e) when (e is JsonException or NotSupportedException or FormatException)
        {
            throw Unreadable(path, e);
        }
    }

    private static VgtDataException Unreadable(string path, Exception e) => new($"{path}: unreadable ({e.Message}); rerun vgtdata prepare");
}
