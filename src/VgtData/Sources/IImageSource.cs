using VgtData.Storage;

namespace VgtData.Sources;

/// <summary>Where image bytes come from: a folder, tar parts, … Implementations are safe to call from many threads.</summary>
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
}
