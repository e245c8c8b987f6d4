namespace VgtData.Sources;

/// <summary>Images as files below <c>image_folder</c> (the anchor's layout).</summary>
public sealed class FolderImageSource : IImageSource
{
    public FolderImageSource(string root) => Root = Path.GetFullPath(root);

    public string Root { get; }

    public string Describe(string imageFile) => Path.Combine(Root, imageFile);

    public bool Exists(string imageFile) => File.Exists(Describe(imageFile));

    public PooledBytes Read(string imageFile)
    {
        var path = Describe(imageFile);
        FileStream stream;
        try
        {
            stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1, FileOptions.SequentialScan);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new SampleException(SampleFailureReason.MissingFile, path, "no such file");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SampleException(SampleFailureReason.MissingFile, path, e.Message);
        }
        using (stream)
        {
            var length = stream.Length;
            if (length > int.MaxValue) throw new SampleException(SampleFailureReason.TooManyPixels, path, $"file is {length} bytes");
            var bytes = new PooledBytes((int)length);
            try
            {
                int read = 0;
                while (read < length)
                {
                    int n = stream.Read(bytes.Array, read, (int)length - read);
                    if (n == 0) break;
                    read += n;
                }
                bytes.Truncate(read);
                return bytes;
            }
            catch
            {
                bytes.Dispose();
                throw;
            }
        }
    }

    public void Dispose() { }
}
