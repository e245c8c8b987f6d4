using VgtData.Storage;

namespace VgtData.Sources;

/// <summary>
/// The one byte store: a local folder, an s3:// prefix, tar parts (read in place), … Images, annotations and latents are
/// all read through it, and only <see cref="DatasetStorage.Open"/> decides which kind a folder is. Implementations are
/// safe to call from many threads.
/// </summary>
internal interface IImageSource : IDisposable
{
    /// <summary>Reads the whole file named by <paramref name="imageFile"/> (a path relative to the source, as in data.json)
    /// into a pooled buffer. Throws <see cref="SampleException"/> with <see cref="SampleFailureReason.MissingFile"/>
    /// when it does not exist.</summary>
    PooledBytes Read(string imageFile);

    /// <summary>The path a user would look for, for error messages (e.g. the full file path, or part.tar:member).</summary>
    string Describe(string imageFile);

    /// <summary>Whether the file exists, without reading it.</summary>
    bool Exists(string imageFile);

    /// <summary>The file's bytes, or null when it does not exist; other failures throw as <see cref="Read"/> does. A store
    /// where asking costs a request (object storage) answers with one.</summary>
    PooledBytes? TryRead(string imageFile) => Exists(imageFile) ? Read(imageFile) : null;

    /// <summary>Hints that <paramref name="imageFile"/> will be read soon, in the order hinted; a store whose reads are
    /// slow to start (object storage) fetches it ahead. Never blocks on a read, never throws.</summary>
    void ReadAhead(string imageFile) { }
}
