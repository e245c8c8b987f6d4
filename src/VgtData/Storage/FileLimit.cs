using System.Globalization;

namespace VgtData.Storage;

/// <summary>The most bytes a file of one kind may hold, and how a user raises it (named in the refusal).</summary>
internal readonly record struct FileLimit(long Bytes, string Name)
{
    /// <summary>Configs (JSON, their <c>base</c> files, VGT <c>.py</c> files) and prompt template files: 64 MiB,
    /// <c>VGTDATA_MAX_CONFIG_MB</c>.</summary>
    public static FileLimit Config => FromEnvironment("VGTDATA_MAX_CONFIG_MB", 64);

    /// <summary>Entry lists (<c>data_path</c> manifests, prepare's <c>raw/text_to_image.json</c>): 16 GiB,
    /// <c>VGTDATA_MAX_MANIFEST_MB</c>.</summary>
    public static FileLimit Manifest => FromEnvironment("VGTDATA_MAX_MANIFEST_MB", 16 << 10);

    /// <summary>Files read as a stream in fixed-size pieces (tar parts, files uploaded): no size limit, only the type check.</summary>
    public static FileLimit Streamed => new(long.MaxValue, "none");

    internal static FileLimit FromEnvironment(string variable, long defaultMb)
    {
        var text = Environment.GetEnvironmentVariable(variable);
        long mb = defaultMb;
        if (!string.IsNullOrEmpty(text)
            && (!long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out mb) || mb < 1 || mb > (long.MaxValue >> 20)))
            throw new VgtDataException($"{variable}='{text}': expected a whole number of MiB, at least 1");
        return new FileLimit(mb << 20, variable);
    }
}

/// <summary>A file the program was asked to read that is not a regular file it can read, or is over its size limit.</summary>
internal sealed class UnreadableFileException(string path, string reason, string detail)
    : VgtDataException($"{path}: {reason}: {detail}")
{
    public string FilePath { get; } = path;

    /// <summary>The message without the path: <c>reason: detail</c>.</summary>
    public string Why { get; } = $"{reason}: {detail}";
}
