namespace VgtData;

/// <summary>Why one sample could not be produced. The names are what reports and errors print.</summary>
public enum SampleFailureReason
{
    MissingFile,
    Undecodable,
    Truncated,
    TooSmall,
    BadAspect,
    TooManyPixels,
    MissingCaptionKey,
    UnreadableAnnotation,
    BlankCaption,
    UnencodableText,
    MissingLatents,
    UnreadableLatents,
    /// <summary>Object storage did not answer after every retry (timeouts, 5xx, connection failures).</summary>
    Unreachable,
    NotAFile,
    FileTooLarge,
    /// <summary>Object storage refused this one object for good (a redirect, a 4xx other than 404, an unreadable answer).</summary>
    StorageRefused,
    /// <summary>An image path several tar members could be (one name in several parts): never settled by picking one.</summary>
    AmbiguousMember,
}

/// <summary>A sample that failed, with everything a user needs to find it: dataset index, file and reason.</summary>
public sealed class SampleException : Exception
{
    public SampleException(SampleFailureReason reason, string path, string detail, int index = -1, Exception? inner = null)
        : base(Format(reason, path, detail, index), inner)
    {
        Reason = reason;
        Path = path;
        Detail = detail;
        Index = index;
    }

    public SampleFailureReason Reason { get; }
    public string Path { get; }
    public string Detail { get; }
    public int Index { get; }

    public SampleException WithIndex(int index) => new(Reason, Path, Detail, index, InnerException);

    public static string ReasonName(SampleFailureReason reason) => reason switch
    {
        SampleFailureReason.MissingFile => "missing file",
        SampleFailureReason.Undecodable => "undecodable",
        SampleFailureReason.Truncated => "truncated",
        SampleFailureReason.TooSmall => "too small",
        SampleFailureReason.BadAspect => "bad aspect",
        SampleFailureReason.TooManyPixels => "over the pixel limit",
        SampleFailureReason.MissingCaptionKey => "missing caption key",
        SampleFailureReason.UnreadableAnnotation => "unreadable annotation",
        SampleFailureReason.BlankCaption => "blank caption",
        SampleFailureReason.UnencodableText => "unencodable text",
        SampleFailureReason.MissingLatents => "missing latents",
        SampleFailureReason.UnreadableLatents => "unreadable latents",
        SampleFailureReason.Unreachable => "unreachable",
        SampleFailureReason.NotAFile => "not a regular file",
        SampleFailureReason.FileTooLarge => "file too large",
        SampleFailureReason.StorageRefused => "refused by storage",
        SampleFailureReason.AmbiguousMember => "ambiguous tar member",
        _ => reason.ToString(),
    };

    private static string Format(SampleFailureReason reason, string path, string detail, int index)
    {
        var at = index >= 0 ? $"sample {index}" : "sample";
        return string.IsNullOrEmpty(detail)
            ? $"{at} ({path}): {ReasonName(reason)}"
            : $"{at} ({path}): {ReasonName(reason)}: {detail}";
    }
}
