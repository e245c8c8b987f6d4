using VgtData.Storage;

namespace VgtData.Sources;

/// <summary>Files below a local folder (<c>image_folder</c>, <c>cap_folder</c>, latents; the anchor's layout), and the
/// members of tar parts beside absent part folders (<see cref="TarPartFolders"/>). Only regular files are read (a FIFO,
/// device or folder is refused by its type before any read, so nothing can hang), and none larger than
/// <see cref="MaxFileBytes"/>.</summary>
internal sealed class FolderImageSource : IImageSource
{
    private readonly TarPartFolders _parts;

    /// <summary>256 MiB: far above any training image, far below what would hurt a worker.</summary>
    public const long DefaultMaxFileBytes = 256L << 20;

    public FolderImageSource(string root, long maxFileBytes = DefaultMaxFileBytes)
    {
        // No folder (an annotation path without cap_folder): paths are used as given.
        Root = root.Length == 0 ? "" : Path.GetFullPath(root);
        MaxFileBytes = maxFileBytes;
        _parts = new TarPartFolders(OpenPart);
    }

    public string Root { get; }

    /// <summary>Files larger than this are refused (<see cref="SampleFailureReason.FileTooLarge"/>) without being read.</summary>
    public long MaxFileBytes { get; }

    public string Describe(string imageFile) => _parts.Route(imageFile, out var member) is { } part ? part.Describe(member) : Path.Combine(Root, imageFile);

    public bool Exists(string imageFile) =>
        _parts.Route(imageFile, out var member) is { } part ? part.Exists(member) : File.Exists(Path.Combine(Root, imageFile));

    public PooledBytes Read(string imageFile)
    {
        if (_parts.Route(imageFile, out var member) is { } part) return part.Read(member);
        var path = Path.Combine(Root, imageFile);
        using var handle = RegularFile.Open(path, MaxFileBytes, out long length);
        var bytes = new PooledBytes((int)length);
        try
        {
            int read = 0;
            while (read < length)
            {
                int n = RandomAccess.Read(handle, bytes.Array.AsSpan(read, (int)length - read), read);
                if (n == 0) break;
                read += n;
            }
            bytes.Truncate(read);
            return bytes;
        }
        catch (IOException e)
        {
            bytes.Dispose();
            throw new SampleException(SampleFailureReason.MissingFile, path, $"read failed: {e.Message}");
        }
        catch
        {
            bytes.Dispose();
            throw;
        }
    }

    /// <summary>The part <c>FOLDER.tar</c>, else the one <c>*-FOLDER.tar</c> beside it, when <paramref name="folder"/> is
    /// absent; a gzip-compressed one is refused.</summary>
    private TarPartFolders.Part? OpenPart(string folder)
    {
        var path = Path.Combine(Root, folder);
        if (Directory.Exists(path)) return null;
        if (File.Exists(path + ".tar")) return new TarPartFolders.Part(new TarImageSource([path + ".tar"]));
        foreach (var compressed in new[] { path + ".tar.gz", path + ".tgz" })
            if (File.Exists(compressed)) TarIndex.RefuseCompressed(compressed, []);
        var parent = Path.GetDirectoryName(path)!;
        if (!Directory.Exists(parent)) return null;
        var tars = new DirectoryInfo(parent).EnumerateFiles("*.tar", new EnumerationOptions { MatchCasing = MatchCasing.CaseSensitive })
            .Select(f => f.Name);
        var split = TarPartFolders.SplitPart(Path.GetFileName(path), tars, path, t => Path.Combine(parent, t));
        return split is null ? null : new TarPartFolders.Part(new TarImageSource([Path.Combine(parent, split)]), split[..^4]);
    }

    public void Dispose() => _parts.Dispose();
}
