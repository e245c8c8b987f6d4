using VgtData.Storage;

namespace VgtData.Upload;

/// <summary>How <see cref="S3Uploader"/> sends a prepared dataset to a bucket.</summary>
internal sealed record UploadOptions
{
    /// <summary>The part size of multipart uploads, and the size above which a file goes up in parts.</summary>
    public const long DefaultPartSize = 64L << 20;

    /// <summary>Files uploaded at the same time.</summary>
    public int Concurrency { get; init; } = 8;

    /// <summary>Files larger than this go up as multipart uploads of parts this size (the last one smaller). S3 needs at
    /// least 5 MiB; smaller values are for tests against servers that do not check.</summary>
    public long PartSize { get; init; } = DefaultPartSize;

    /// <summary>Where the progress line goes; null for none.</summary>
    public TextWriter? ProgressWriter { get; init; }

    /// <summary>Whether <see cref="ProgressWriter"/> is a terminal (a bar redrawn in place) or a log (a line every 10 s).</summary>
    public bool ProgressIsTerminal { get; init; }

    /// <summary>Called after each file is skipped or uploaded and after each part of a multipart upload, from the
    /// uploading threads.</summary>
    public Action<UploadEvent>? Observer { get; init; }
}

/// <summary>What happened to one file: <see cref="UploadStep.Part"/> events carry the 1-based part number.</summary>
internal readonly record struct UploadEvent(string RelativePath, UploadStep Step, int PartNumber = 0);

/// <summary>Steps reported to <see cref="UploadOptions.Observer"/>.</summary>
internal enum UploadStep
{
    /// <summary>The object in the bucket already has this file's size and content.</summary>
    Skipped,
    /// <summary>One part of a multipart upload is stored.</summary>
    Part,
    /// <summary>The file is stored as an object.</summary>
    Uploaded,
}
