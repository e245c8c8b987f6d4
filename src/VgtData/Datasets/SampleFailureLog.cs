namespace VgtData.Datasets;

/// <summary>One bad sample: where it was, what was wrong.</summary>
public sealed record SampleFailure(int Index, string Path, SampleFailureReason Reason, string Detail)
{
    public string ReasonName => SampleException.ReasonName(Reason);
    /// <summary>The bad-sample line; control characters in the path or detail (outside text) escaped.</summary>
    public override string ToString() => MessageText.Escape($"sample {Index} ({Path}): {ReasonName}{(Detail.Length > 0 ? ": " + Detail : "")}");
}

/// <summary>
/// Records every bad sample (index, path, reason) and enforces the budget: when more than
/// <see cref="BudgetFraction"/> of the last <see cref="Window"/> reads failed, the next failure throws.
/// Thread-safe: loader workers share one log.
/// </summary>
public sealed class SampleFailureLog
{
    private readonly object _gate = new();
    private readonly bool[] _ring;
    private readonly List<SampleFailure> _kept = new();
    private readonly Dictionary<SampleFailureReason, long> _byReason = new();
    private long _reads;
    private int _failuresInWindow;

    public SampleFailureLog(double budgetFraction = 0.1, int window = 1000, int keep = 10_000)
    {
        if (budgetFraction is < 0 or > 1) throw new ArgumentOutOfRangeException(nameof(budgetFraction));
        if (window < 1) throw new ArgumentOutOfRangeException(nameof(window));
        BudgetFraction = budgetFraction;
        Window = window;
        Keep = keep;
        _ring = new bool[window];
    }

    public double BudgetFraction { get; }
    public int Window { get; }
    public int Keep { get; }

    public long Reads { get { lock (_gate) return _reads; } }
    public long Failures { get { lock (_gate) return _byReason.Values.Sum(); } }

    public IReadOnlyList<SampleFailure> Recorded { get { lock (_gate) return _kept.ToList(); } }

    public IReadOnlyDictionary<SampleFailureReason, long> CountsByReason
    {
        get { lock (_gate) return new Dictionary<SampleFailureReason, long>(_byReason); }
    }

    public void RecordSuccess() => Record(false);

    /// <summary>Records the failure; throws <see cref="VgtDataException"/> when the budget is exceeded.</summary>
    public void RecordFailure(SampleFailure failure)
    {
        lock (_gate)
        {
            if (_kept.Count < Keep) _kept.Add(failure);
            _byReason[failure.Reason] = _byReason.GetValueOrDefault(failure.Reason) + 1;
            Record(true);
            if (_failuresInWindow > BudgetFraction * Window)
            {
                var seen = Math.Min(_reads, Window);
                throw new VgtDataException(
                    $"too many bad samples: {_failuresInWindow} of the last {seen} reads failed (budget {BudgetFraction:P0} of {Window}); " +
                    $"latest: {failure}. Run 'vgtdata validate' on the config to list every bad entry.");
            }
        }
    }

    private void Record(bool failed)
    {
        lock (_gate)
        {
            int slot = (int)(_reads % Window);
            if (_reads >= Window && _ring[slot]) _failuresInWindow--;
            _ring[slot] = failed;
            if (failed) _failuresInWindow++;
            _reads++;
        }
    }
}
