using System.Diagnostics;

namespace VgtData.Datasets;

/// <summary>Where loading time goes, summed over all workers (seconds of thread time per stage). Thread-safe.</summary>
public sealed class StageTimes
{
    internal enum Stage { Read, Decode, Resize, Tokenize, Collate, Transfer }

    private readonly long[] _ticks = new long[Enum.GetValues<Stage>().Length];

    internal void Add(Stage stage, long startTimestamp) =>
        Interlocked.Add(ref _ticks[(int)stage], Stopwatch.GetTimestamp() - startTimestamp);

    internal double Seconds(Stage stage) => (double)Interlocked.Read(ref _ticks[(int)stage]) / Stopwatch.Frequency;

    public IReadOnlyDictionary<string, double> ToDictionary() =>
        Enum.GetValues<Stage>().ToDictionary(s => s.ToString().ToLowerInvariant(), Seconds);

    public void Reset()
    {
        for (int i = 0; i < _ticks.Length; i++) Interlocked.Exchange(ref _ticks[i], 0);
    }
}
