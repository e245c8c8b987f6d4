namespace VgtData.Storage;

/// <summary>
/// Fetches hinted keys ahead of their reads: at most <c>depth</c> fetches running or finished-but-unread at once; later
/// hints wait in order. A key hinted twice (a small dataset's next epoch) is fetched twice, and each read takes the oldest
/// hint of its key. A hint never read (its sample failed before the image) is dropped once reads have moved <c>depth</c>
/// hints past it, so a stale key cannot hold a slot for ever.
/// </summary>
internal sealed class ReadAheadWindow<T> : IDisposable where T : class, IDisposable
{
    private sealed class Entry
    {
        public required string Key;
        public required long Sequence;
        public Task<T?>? Fetch;
    }

    private readonly Func<string, Task<T?>> _fetch;
    private readonly int _depth;
    private readonly int _maxQueued;
    private readonly object _gate = new();
    private readonly Dictionary<string, Queue<Entry>> _byKey = new(StringComparer.Ordinal);
    private readonly Queue<Entry> _waiting = new();
    private readonly LinkedList<Entry> _started = new();
    private long _sequence;
    private bool _disposed;

    public ReadAheadWindow(Func<string, Task<T?>> fetch, int depth, int maxQueued)
    {
        _fetch = fetch;
        _depth = Math.Max(1, depth);
        _maxQueued = Math.Max(_depth, maxQueued);
    }

    /// <summary>Hints served from the window (for tests and benchmarks).</summary>
    public long Hits;

    public void Hint(string key)
    {
        lock (_gate)
        {
            if (_disposed || _waiting.Count >= _maxQueued) return;
            var entry = new Entry { Key = key, Sequence = ++_sequence };
            if (!_byKey.TryGetValue(key, out var same)) _byKey[key] = same = new Queue<Entry>(1);
            same.Enqueue(entry);
            _waiting.Enqueue(entry);
            Pump();
        }
    }

    /// <summary>The fetch for <paramref name="key"/> if it was hinted and started; null otherwise (read it directly).</summary>
    public Task<T?>? Take(string key)
    {
        lock (_gate)
        {
            if (!_byKey.TryGetValue(key, out var same)) return null;
            var entry = same.Dequeue();
            if (same.Count == 0) _byKey.Remove(key);
            // Anything hinted well before this key and still unread will not be read: let it go.
            for (var node = _started.First; node != null;)
            {
                var next = node.Next;
                if (node.Value == entry) _started.Remove(node);
                else if (node.Value.Sequence < entry.Sequence - _depth) { Forget(node.Value); _started.Remove(node); Release(node.Value.Fetch!); }
                node = next;
            }
            var fetch = entry.Fetch;
            if (fetch is null) entry.Sequence = -1; // still waiting: skipped when its turn comes
            else Interlocked.Increment(ref Hits);
            Pump();
            return fetch;
        }
    }

    private void Forget(Entry stale)
    {
        if (!_byKey.TryGetValue(stale.Key, out var same)) return;
        var rest = same.Where(e => e != stale).ToList();
        if (rest.Count == 0) _byKey.Remove(stale.Key);
        else _byKey[stale.Key] = new Queue<Entry>(rest);
    }

    private void Pump()
    {
        while (_started.Count < _depth && _waiting.TryDequeue(out var entry))
        {
            if (entry.Sequence < 0) continue;
            entry.Fetch = _fetch(entry.Key);
            _started.AddLast(entry);
        }
    }

    private static void Release(Task<T?> fetch) =>
        fetch.ContinueWith(t => { if (t.IsCompletedSuccessfully) t.Result?.Dispose(); else _ = t.Exception; }, TaskScheduler.Default);

    public void Dispose()
    {
        lock (_gate)
        {
            _disposed = true;
            foreach (var e in _started) Release(e.Fetch!);
            _started.Clear();
            _waiting.Clear();
            _byKey.Clear();
        }
    }
}
