using System.Collections.Concurrent;

namespace VgtData.Sources;

/// <summary>
/// A download read where it lies. VGT unpacks each tar part <c>FOLDER/PART.tar</c> into the folder <c>FOLDER/PART</c>
/// (<c>tar_file[:-4]</c>); a path <c>FOLDER/PART/name</c> whose folder <c>FOLDER/PART</c> is absent while
/// <c>FOLDER/PART.tar</c> exists is therefore member <c>name</c> of that part, or member <c>PART/name</c> for parts that
/// hold their own folder (megalith's and cc12m's caption tars); a part holding both is refused as ambiguous, never
/// guessed (<see cref="TarIndex.Resolve"/>). Where <c>FOLDER/PART.tar</c> is absent, the one <c>FOLDER/*-PART.tar</c> is
/// the part (cc12m's extract.py: <c>tar_file[:-4].split('-')[-1]</c>, so <c>raw/cc12m-train-0000.tar</c> unpacks into
/// <c>raw/0000/</c>); two such parts are refused naming both (<see cref="SplitPart"/>). Whether a folder is a part is
/// asked once per folder, through the store's own probe (<c>openPart</c>: null for a folder, the part for an absent
/// folder with a .tar beside it; it refuses a .tar.gz beside an absent folder, naming the extract command). Every other
/// path is read from the folder unchanged.
/// </summary>
internal sealed class TarPartFolders(Func<string, TarPartFolders.Part?> openPart) : IDisposable
{
    /// <summary>A folder's part: its source, and the part's own folder name (<c>tar_file[:-4]</c>) when the folder is
    /// named otherwise (<see cref="SplitPart"/>), so the part resolves members as below its own name.</summary>
    internal readonly record struct Part(IImageSource Source, string? Name = null);

    // Folder routes kept at most: one per folder a manifest names; past it a route is recomputed from the cached parts.
    private const int MaxFolders = 1 << 20;

    /// <summary>How a folder's files are read: from <see cref="Part"/> when set (the part's own folder path is
    /// <see cref="Stem"/> characters of it; <see cref="Name"/> stands for its last component when set), else from the
    /// folder store.</summary>
    private readonly record struct Way(IImageSource? Part, int Stem, string? Name = null);

    private readonly ConcurrentDictionary<string, Way> _routes = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Lazy<Part?>> _parts = new(StringComparer.Ordinal);

    /// <summary>The part holding <paramref name="path"/>, and the path to ask it for (<c>PART/name</c>); null when the
    /// path is read from the folder store.</summary>
    public IImageSource? Route(string path, out string member)
    {
        member = path;
        int slash = path.LastIndexOf('/');
        if (slash <= 0) return null;
        var lookup = _routes.GetAlternateLookup<ReadOnlySpan<char>>();
        if (!lookup.TryGetValue(path.AsSpan(0, slash), out var route)) route = RouteOf(path[..slash]);
        if (route.Part is null) return null;
        member = route.Name is null ? path[(path.LastIndexOf('/', route.Stem - 1) + 1)..] : route.Name + path[route.Stem..];
        return route.Part;
    }

    private Way RouteOf(string folder)
    {
        if (_routes.TryGetValue(folder, out var route)) return route;
        int slash = folder.LastIndexOf('/');
        var above = slash > 0 ? RouteOf(folder[..slash]) : default;
        if (above.Part is not null) route = above;
        else
        {
            var part = _parts.GetOrAdd(folder, f => new Lazy<Part?>(() => openPart(f)));
            try
            {
                route = part.Value is { } found ? new Way(found.Source, folder.Length, found.Name) : default;
            }
            catch
            {
                // Not remembered: a refused part is refused again (one line each time), an unreachable one asked again.
                _parts.TryRemove(new KeyValuePair<string, Lazy<Part?>>(folder, part));
                throw;
            }
        }
        if (_routes.Count < MaxFolders) _routes.TryAdd(folder, route);
        return route;
    }

    /// <summary>
    /// The one tar among <paramref name="tars"/> (the .tar file names beside the absent folder <paramref name="leaf"/>)
    /// that VGT's cc12m extract.py unpacks into it: <c>NAME-LEAF.tar</c>, the folder being what follows the last '-' of
    /// the name (hidden names left out, as its <c>glob('*.tar')</c> does); null when none is. Two or more are refused
    /// naming them all (<paramref name="where"/> names the folder, <paramref name="describe"/> a tar), never guessed.
    /// </summary>
    internal static string? SplitPart(string leaf, IEnumerable<string> tars, string where, Func<string, string> describe)
    {
        if (leaf.Length == 0 || leaf.Contains('-')) return null;
        var suffix = "-" + leaf + ".tar";
        var found = tars.Where(t => t.EndsWith(suffix, StringComparison.Ordinal) && !t.StartsWith('.'))
            .Order(StringComparer.Ordinal).ToList();
        if (found.Count > 1)
            throw new SampleException(SampleFailureReason.AmbiguousMember, where,
                $"{found.Count} tar parts unpack into this folder: {string.Join(", ", found.Select(describe))}; move all but one away");
        return found.Count == 1 ? found[0] : null;
    }

    public void Dispose()
    {
        foreach (var part in _parts.Values)
            if (part.IsValueCreated) part.Value?.Source.Dispose();
    }
}
