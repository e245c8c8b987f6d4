using System.Globalization;
using VgtData.Progress;
using VgtData.Storage;

namespace VgtData.Upload;

/// <summary>What one <see cref="S3Uploader"/> run did.</summary>
internal sealed record UploadReport(S3Location Target, int Files, int Uploaded, int Skipped, long BytesUploaded, long BytesSkipped,
    int Multipart, TimeSpan Elapsed)
{
    /// <summary>Entries below the folder that were not uploaded because they are not regular files: symbolic links
    /// (never followed), FIFOs, devices, sockets; in path order.</summary>
    public IReadOnlyList<SkippedEntry> NotUploaded { get; init; } = [];

    /// <summary>One summary line: files uploaded, files already there, bytes, time; and one line listing what was not
    /// uploaded when something was skipped.</summary>
    public void WriteSummary(TextWriter writer)
    {
        if (NotUploaded.Count > 0)
            writer.WriteLine($"upload {Target}: skipped {NotUploaded.Count} entries that are not regular files (links are never followed): " +
                string.Join(", ", NotUploaded.Select(s => $"{s.Relative} {s.Reason}")));
        var parts = Multipart > 0 ? $", {Multipart} in parts" : "";
        writer.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"upload {Target}: {Uploaded} of {Files} files uploaded ({ProgressMeter.FormatBytes(BytesUploaded)}{parts}), {Skipped} already there ({ProgressMeter.FormatBytes(BytesSkipped)}), {Elapsed.TotalSeconds:0.0} s"));
    }
}

/// <summary>An entry below an uploaded folder that was not uploaded, and why ("is a symbolic link", "is a FIFO (named pipe)").</summary>
public sealed record SkippedEntry(string Relative, string Reason);
