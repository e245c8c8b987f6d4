using System.Diagnostics;
using System.Globalization;

namespace VgtData.Preparation;

/// <summary>Counts files and bytes while parts are read, and shows them: a bar redrawn in place on a terminal, or a
/// plain line every <c>interval</c> otherwise. Thread-safe counters; drawing happens on a timer.</summary>
public sealed class ExtractionProgress : IDisposable
{
    private readonly TextWriter _writer;
    private readonly bool _terminal;
    private readonly long _totalBytes;
    private readonly string _label;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly Timer? _timer;
    private readonly object _drawLock = new();
    private long _bytes;
    private long _files;
    private bool _disposed;

    public ExtractionProgress(TextWriter writer, bool terminal, long totalBytes, string label = "extract", TimeSpan? interval = null)
    {
        _writer = writer;
        _terminal = terminal;
        _totalBytes = Math.Max(totalBytes, 1);
        _label = label;
        var every = interval ?? (terminal ? TimeSpan.FromMilliseconds(250) : TimeSpan.FromSeconds(10));
        _timer = new Timer(_ => Draw(final: false), null, every, every);
    }

    public long Files => Interlocked.Read(ref _files);
    public long Bytes => Interlocked.Read(ref _bytes);

    public void AddBytes(long n) => Interlocked.Add(ref _bytes, n);
    public void AddFile() => Interlocked.Increment(ref _files);

    /// <summary>One status line: files, percent of part bytes read, throughput and ETA.</summary>
    public string Line()
    {
        double seconds = Math.Max(_clock.Elapsed.TotalSeconds, 1e-3);
        long bytes = Math.Min(Bytes, _totalBytes);
        double rate = bytes / seconds;
        double fraction = (double)bytes / _totalBytes;
        var eta = rate > 0 ? TimeSpan.FromSeconds(Math.Min((_totalBytes - bytes) / rate, 99 * 3600)) : (TimeSpan?)null;
        var text = string.Create(CultureInfo.InvariantCulture,
            $"{_label}: {Files} files, {fraction * 100,5:0.0}% of {FormatBytes(_totalBytes)}, {FormatBytes((long)rate)}/s, ETA {(eta is { } e ? e.ToString(@"h\:mm\:ss", CultureInfo.InvariantCulture) : "?")}");
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
        _timer?.Dispose();
        Draw(final: true);
        lock (_drawLock) _disposed = true;
    }
}
