namespace VgtData.Sources;

/// <summary>A source whose reads are slow to start (object storage): told which files come next, it fetches them ahead.</summary>
internal interface IReadAheadSource : IImageSource
{
    /// <summary>Hints that <paramref name="imageFile"/> will be read soon, in the order hinted. Never blocks, never throws.</summary>
    void ReadAhead(string imageFile);
}
