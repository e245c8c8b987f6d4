using System.Diagnostics;
using System.Globalization;

namespace VgtData.Progress;

/// <summary>What a progress line shows: the amount done of the total, a second count (files, bad entries), rate and ETA.</summary>
internal readonly record struct ProgressSnapshot(long Done, long Total, long Count, double RatePerSecond, TimeSpan? Eta)
{
    public double Fraction => (double)Math.Min(Done, Total) / Total;

    public string EtaText => Eta is { } e ? e.ToString(@"h\:mm\:ss", CultureInfo.InvariantCulture) : "?";
}

/// <summary>
/// Thread-safe counters for long jobs (extract, validate), shown as a bar redrawn in place on a terminal or a plain
/// line every <c>interval</c> otherwise (CI logs). Drawing happens on a timer and once at the end.
/// </summary>
internal sealed class ProgressMeter : IDisposable
{
    private readonly TextWriter _writer;
    private readonly bool _terminal;
    private readonly long _total;
    private readonly Func<ProgressSnapshot, string> _describe;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly Timer _timer;
    private readonly object _drawLock = new();
    private long _done;
    private long _count;
    private bool _disposed;

    public ProgressMeter(TextWriter writer, bool terminal, long total, Func<ProgressSnapshot, string> describe, TimeSpan? interval = null)
    {
        _writer = writer;
        _terminal = terminal;
        _total = Math.Max(total, 1);
        _describe = describe;
        var every = interval ?? (terminal ? TimeSpan.FromMilliseconds(250) : TimeSpan.FromSeconds(10));
        _timer = new Timer(_ => Draw(final: false), null, every, every);
    }

    public long Done => Interlocked.Read(ref _done);
    public long Count => Interlocked.Read(ref _count);

    public void Add(long amount) => Interlocked.Add(ref _done, amount);
    public void AddCount(long n = 1) => Interlocked.Add(ref _count, n);

    public ProgressSnapshot Snapshot()
    {
        double seconds = Math.Max(_clock.Elapsed.TotalSeconds, 1e-3);
        long done = Math.Min(Done, _total);
        double rate = done / seconds;
        var eta = rate > 0 ? TimeSpan.FromSeconds(Math.Min((_total - done) / rate, 99 * 3600)) : (TimeSpan?)null;
        return new ProgressSnapshot(done, _total, Count, rate, eta);
    }

    /// <summary>The current line (with a bar in front on a terminal).</summary>
    public string Line()
    {
        var snapshot = Snapshot();
        var text = _describe(snapshot);
        if (!_terminal) return text;
        const int width = 24;
        int filled = (int)Math.Round(snapshot.Fraction * width);
        return $"[{new string('#', filled)}{new string('-', width - filled)}] {text}";
    }

    private void Draw(bool final)
    {
        lock (_drawLock)
        {
            if (_disposed) return;
            if (_terminal) _writer.Write("\r" + Line().PadRight(100) + (final ? "\n" : ""));
            else _writer.WriteLine(Line());
            _writer.Flush();
        }
    }

    public static string FormatBytes(long bytes)
    {
        string[] units = ["B", "KB", "MB", "GB", "TB"];
        double v = bytes;
        int u = 0;
        while (v >= 1024 && u < units.Length - 1) { v /= 1024; u++; }
        return string.Create(CultureInfo.InvariantCulture, $"{v:0.0} {units[u]}");
    }

    public void Dispose()
    {
        _timer.Dispose();
        Draw(final: true);
        lock (_drawLock) _disposed = true;
    }
}
