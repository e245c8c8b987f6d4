using System.Diagnostics;
using System.Globalization;

namespace VgtData.Validation;

/// <summary>Entries checked so far, shown as a bar redrawn in place on a terminal, or a plain line every
/// <c>interval</c> otherwise (CI logs). Thread-safe counters; drawing happens on a timer and once at the end.</summary>
public sealed class ValidationProgress : IDisposable
{
    private readonly TextWriter _writer;
    private readonly bool _terminal;
    private readonly long _total;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly Timer _timer;
    private readonly object _drawLock = new();
    private long _done;
    private long _bad;
    private bool _disposed;

    public ValidationProgress(TextWriter writer, bool terminal, long total, TimeSpan? interval = null)
    {
        _writer = writer;
        _terminal = terminal;
        _total = Math.Max(total, 1);
        var every = interval ?? (terminal ? TimeSpan.FromMilliseconds(250) : TimeSpan.FromSeconds(10));
        _timer = new Timer(_ => Draw(final: false), null, every, every);
    }

    public long Done => Interlocked.Read(ref _done);
    public long Bad => Interlocked.Read(ref _bad);

    public void Add(bool bad)
    {
        Interlocked.Increment(ref _done);
        if (bad) Interlocked.Increment(ref _bad);
    }

    public string Line()
    {
        double seconds = Math.Max(_clock.Elapsed.TotalSeconds, 1e-3);
        long done = Math.Min(Done, _total);
        double rate = done / seconds;
        double fraction = (double)done / _total;
        var eta = rate > 0 ? TimeSpan.FromSeconds(Math.Min((_total - done) / rate, 99 * 3600)) : (TimeSpan?)null;
        var text = string.Create(CultureInfo.InvariantCulture,
            $"validate: {done}/{_total} entries ({fraction * 100,5:0.0}%), {Bad} bad, {rate:0} entries/s, ETA {(eta is { } e ? e.ToString(@"h\:mm\:ss", CultureInfo.InvariantCulture) : "?")}");
        if (!_terminal) return text;
        const int width = 24;
        int filled = (int)Math.Round(fraction * width);
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

    public void Dispose()
    {
        _timer.Dispose();
        Draw(final: true);
        lock (_drawLock) _disposed = true;
    }
}
