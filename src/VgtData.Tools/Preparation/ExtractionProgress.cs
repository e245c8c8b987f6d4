using System.Globalization;
using VgtData.Progress;

namespace VgtData.Preparation;

/// <summary>Files extracted and part bytes read, with throughput and ETA.</summary>
internal static class ExtractionProgress
{
    public static ProgressMeter Create(TextWriter writer, bool terminal, long totalBytes, string label = "extract", TimeSpan? interval = null) =>
        new(writer, terminal, totalBytes, s => string.Create(CultureInfo.InvariantCulture,
            $"{label}: {s.Count} files, {s.Fraction * 100,5:0.0}% of {ProgressMeter.FormatBytes(s.Total)}, {ProgressMeter.FormatBytes((long)s.RatePerSecond)}/s, ETA {s.EtaText}"),
            interval);
}
