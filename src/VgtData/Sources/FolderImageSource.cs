using VgtData.Storage;

namespace VgtData.Sources;

/// <summary>Images as files below <c>image_folder</c> (the anchor's layout). Only regular files are read (a FIFO, device or
/// folder is refused by its type before any read, so nothing can hang), and none larger than <see cref="MaxFileBytes"/>.</summary>
internal sealed class FolderImageSource : IImageSource
{
    /// <summary>256 MiB: far above any training image, far below what would hurt a worker.</summary>
    public const long DefaultMaxFileBytes = 256L << 20;

    public FolderImageSource(string root, long maxFileBytes = DefaultMaxFileBytes)
    {
        Root = Path.GetFullPath(root);
        MaxFileBytes = maxFileBytes;
    }

    public string Root { get; }

    /// <summary>Files larger than this are refused (<see cref="SampleFailureReason.FileTooLarge"/>) without being read.</summary>
    public long MaxFileBytes { get; }

    public string Describe(string imageFile) => Path.Combine(Root, imageFile);

    public bool Exists(string imageFile) => File.Exists(Describe(imageFile));

    public PooledBytes Read(string imageFile)
    {
        var path = Describe(imageFile);
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

    public void Dispose() { }
}
