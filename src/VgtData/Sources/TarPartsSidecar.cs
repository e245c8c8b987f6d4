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
/// Local folders only.
/// </summary>
internal sealed class TarPartsSidecar : IImageSource
{
    public const string FileName = "images.tarparts.json";

    /// <summary>One listed part: <see cref="File"/> relative to the dataset folder ('/'-separated), its size then.</summary>
    internal sealed record Part(string File, long Bytes);

    private readonly string _prefix;
    private readonly bool _flat;
    private readonly TarImageSource _parts;
    private readonly IImageSource _rest;

    private TarPartsSidecar(string folder, bool flat, TarImageSource parts, IImageSource rest)
    {
        _prefix = folder + "/";
        _flat = flat;
        _parts = parts;
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
        var (folder, flat, parts) = ReadSidecar(sidecar);
        if (Directory.Exists(Path.Combine(root, folder))) return null;
        var paths = new List<string>(parts.Count);
        foreach (var p in parts)
        {
            var path = Path.Combine(root, p.File);
            long size = File.Exists(path) ? new FileInfo(path).Length : -1;
            if (size < 0) throw new VgtDataException($"{path}: missing (listed in {sidecar}); rerun vgtdata prepare");
            if (size != p.Bytes)
                throw new VgtDataException($"{path}: {size} bytes, {p.Bytes} when {FileName} was written; the part changed, rerun vgtdata prepare");
            paths.Add(path);
        }
        return new TarPartsSidecar(folder, flat, new TarImageSource(paths), rest());
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
        _parts.Index.TryFind(member, out _, out var name) && (_flat || TarIndex.NormalizeName(name) == member);

    public PooledBytes Read(string imageFile)
    {
        if (Member(imageFile) is not { } member) return _rest.Read(imageFile);
        if (!_flat && _parts.Exists(member) && !Held(member))
            throw new SampleException(SampleFailureReason.MissingFile, _parts.Describe(member), "no member of that path in the parts");
        return _parts.Read(member);
    }

    public string Describe(string imageFile) => Member(imageFile) is { } member ? _parts.Describe(member) : _rest.Describe(imageFile);

    public bool Exists(string imageFile) => Member(imageFile) is { } member ? Held(member) : _rest.Exists(imageFile);

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

    private static Listing ReadSidecar(string path)
    {
        try
        {
            using var stream = RegularFile.OpenInputStream(path, FileLimit.Manifest);
            var listing = JsonSerializer.Deserialize<Listing>(stream, Json) ?? throw new FormatException("null");
            if (listing.Parts.Count == 0) throw new FormatException("no parts");
            // Only paths below the dataset folder: the listing never reaches outside it.
            foreach (var name in listing.Parts.Select(p => p.File).Prepend(listing.Folder))
                if (name.Length == 0 || Path.IsPathRooted(name) || name.Split('/', '\\').Contains(".."))
                    throw new FormatException($"'{name}' is not a path below the dataset folder");
            return listing;
        }
        catch (Exception e) when (e is JsonException or NotSupportedException or FormatException or SampleException or IOException)
        {
            throw new VgtDataException($"{path}: unreadable ({e.Message}); rerun vgtdata prepare");
        }
    }
}
