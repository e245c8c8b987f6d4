namespace VgtData;

/// <summary>A user-facing error (bad config, bad file, exceeded bad-sample budget): the message says what and where.</summary>
public class VgtDataException : Exception
{
    public VgtDataException(string message, Exception? inner = null) : base(message, inner) { }
}
