using System.Collections.Concurrent;

namespace VgtData.Sources;

/// <summary>
/// A download read where it lies. VGT unpacks each tar part <c>FOLDER/PART.tar</c> into the folder <c>FOLDER/PART</c>
/// (<c>tar_file[:-4]</c>); a path <c>FOLDER/PART/name</c> whose folder <c>FOLDER/PART</c> is absent while
/// <c>FOLDER/PART.tar</c> exists is therefore member <c>name</c> of that part, or member <c>PART/name</c> for parts that
/// hold their own folder (megalith's and cc12m's caption tars); a part holding both is refused as ambiguous, never
/// guessed (<see cref="TarIndex.Resolve"/>). Whether a folder is a part is asked once per folder, through the store's
/// own probe (<c>openPart</c>: null for a folder, the part's source for an absent folder with a .tar beside it; it refuses
/// a .tar.gz beside an absent folder, naming the extract command). Every other path is read from the folder unchanged.
/// </summary>
internal sealed class TarPartFolders(Func<string, IImageSource?> openPart) : IDisposable
{
    // Folder routes kept at most: one per folder a manifest names; past it a route is recomputed from the cached parts.
    private const int MaxFolders = 1 << 20;

    /// <summary>How a folder's files are read: from <see cref="Part"/> when set (the part's own folder path is
    /// <see cref="Stem"/> characters of it), else from the folder store.</summary>
    private readonly record struct Way(IImageSource? Part, int Stem);

    private readonly ConcurrentDictionary<string, Way> _routes = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Lazy<IImageSource?>> _parts = new(StringComparer.Ordinal);

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
        int stemStart = path.LastIndexOf('/', route.Stem - 1) + 1;
        member = path[stemStart..];
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
            var part = _parts.GetOrAdd(folder, f => new Lazy<IImageSource?>(() => openPart(f)));
            try
            {
                route = new Way(part.Value, folder.Length);
            }
            catch
            {
                // Not remembered: a refused part is refused again (one line each time), an unreachable one asked again.
                _parts.TryRemove(new KeyValuePair<string, Lazy<IImageSource?>>(folder, part));
                throw;
            }
        }
        if (_routes.Count < MaxFolders) _routes.TryAdd(folder, route);
        return route;
    }

    public void Dispose()
    {
        foreach (var part in _parts.Values)
            if (part.IsValueCreated) part.Value?.Dispose();
    }
}
