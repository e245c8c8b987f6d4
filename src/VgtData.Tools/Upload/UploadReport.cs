using System.Globalization;
using VgtData.Progress;
using VgtData.Storage;

namespace VgtData.Upload;

/// <summary>What one <see cref="S3Uploader"/> run did.</summary>
internal sealed record UploadReport(S3Location Target, int Files, int Uploaded, int Skipped, long BytesUploaded, long BytesSkipped,
    int Multipart, TimeSpan Elapsed)
{
    /// <summary>One summary line: files uploaded, files already there, bytes, time.</summary>
    public void WriteSummary(TextWriter writer)
    {
        var parts = Multipart > 0 ? $", {Multipart} in parts" : "";
        writer.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"upload {Target}: {Uploaded} of {Files} files uploaded ({ProgressMeter.FormatBytes(BytesUploaded)}{parts}), {Skipped} already there ({ProgressMeter.FormatBytes(BytesSkipped)}), {Elapsed.TotalSeconds:0.0} s"));
    }
}
