using System.Globalization;
using VgtData.Progress;

namespace VgtData.Validation;

/// <summary>Entries checked (bad ones counted), with rate and ETA.</summary>
internal static class ValidationProgress
{
    public static ProgressMeter Create(TextWriter writer, bool terminal, long total, TimeSpan? interval = null) =>
        new(writer, terminal, total, s => string.Create(CultureInfo.InvariantCulture,
            $"validate: {s.Done}/{s.Total} entries ({s.Fraction * 100,5:0.0}%), {s.Count} bad, {s.RatePerSecond:0} entries/s, ETA {s.EtaText}"),
            interval);
}
