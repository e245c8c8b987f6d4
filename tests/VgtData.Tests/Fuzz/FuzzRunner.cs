using System.Diagnostics;

namespace VgtData.Tests.Fuzz;

/// <summary>
/// One thing to fuzz: valid seed inputs, format tokens for the mutator, the call under test (returns normally when the
/// input is accepted, throws <see cref="ExpectedFailure"/> or a subclass when refused) and a managed allocation cap.
/// </summary>
public sealed record FuzzTarget(
    string Name,
    IReadOnlyList<byte[]> Seeds,
    IReadOnlyList<byte[]> Tokens,
    Action<byte[]> Run,
    Func<int, long> AllocationCap,
    Type ExpectedFailure);

/// <summary>A failed input: which target, the seed and iteration that rebuild it, and why.</summary>
public sealed record FuzzFailure(string Target, ulong Seed, long Iteration, string Reason, byte[] Input)
{
    public override string ToString() =>
        $"{Target}: seed {Seed} iteration {Iteration} ({Input.Length}-byte input, base64 {Preview()}): {Reason}";

    private string Preview()
    {
        var b64 = Convert.ToBase64String(Input);
        return b64.Length > 200 ? b64[..200] + "..." : b64;
    }
}

/// <summary>What a run did: inputs tried, how many the target accepted, the first failure (if any), elapsed time.</summary>
public sealed record FuzzResult(string Target, long Iterations, long Accepted, FuzzFailure? Failure, TimeSpan Elapsed, long MaxAllocated);

/// <summary>
/// Runs a target's inputs one at a time on a dedicated thread and watches each from outside: an input that runs past
/// the timeout, throws anything but the target's expected type, or allocates more managed memory than the cap is a
/// failure reported with its seed and iteration. Iteration i's input depends only on (seed, i).
/// </summary>
public sealed class FuzzRunner : IDisposable
{
    private readonly TimeSpan _timeout;
    private Worker _worker = new();

    public FuzzRunner(TimeSpan perInputTimeout) => _timeout = perInputTimeout;

    /// <summary>The input of iteration <paramref name="iteration"/>: iterations below the seed count are the seeds as they are.</summary>
    public static byte[] Input(FuzzTarget target, ulong seed, long iteration)
    {
        if (iteration < target.Seeds.Count) return target.Seeds[(int)iteration];
        var m = FuzzMutator.ForIteration(seed, iteration);
        var seedInput = target.Seeds[m.Below(target.Seeds.Count)];
        return m.Mutate(seedInput, target.Seeds, target.Tokens);
    }

    /// <summary>
    /// Runs iterations 0, 1, ... until <paramref name="iterations"/> are done or <paramref name="duration"/> has passed
    /// (either may be null), stopping at the first failure. The unmutated seeds (the first iterations) must be accepted.
    /// </summary>
    public FuzzResult Run(FuzzTarget target, ulong seed, long? iterations, TimeSpan? duration, long firstIteration = 0)
    {
        WarmUp(target);
        var clock = Stopwatch.StartNew();
        long done = 0, accepted = 0, maxAllocated = 0;
        for (var i = firstIteration; ; i++)
        {
            if (iterations is long n && done >= n) break;
            if (duration is TimeSpan d && clock.Elapsed >= d) break;
            var input = Input(target, seed, i);
            var outcome = RunOne(target, input);
            done++;
            maxAllocated = Math.Max(maxAllocated, outcome.Allocated);
            string? reason = outcome.Reason;
            if (reason == null && i < target.Seeds.Count && !outcome.Accepted)
                reason = $"the unmutated seed was refused: {outcome.Refusal}";
            if (reason != null)
                return new FuzzResult(target.Name, done, accepted, new FuzzFailure(target.Name, seed, i, reason, input), clock.Elapsed, maxAllocated);
            if (outcome.Accepted) accepted++;
        }
        return new FuzzResult(target.Name, done, accepted, null, clock.Elapsed, maxAllocated);
    }

    /// <summary>The first call loads native libraries and JITs the parser: given a minute, not the per-input limit.</summary>
    private void WarmUp(FuzzTarget target)
    {
        if (_warm.Contains(target.Name)) return;
        var w = _worker;
        w.Start(target, target.Seeds[0]);
        if (!w.Done.Wait(TimeSpan.FromMinutes(1))) _worker = new Worker();
        _warm.Add(target.Name);
    }

    private readonly HashSet<string> _warm = new();

    private readonly record struct Outcome(bool Accepted, string? Refusal, string? Reason, long Allocated);

    private Outcome RunOne(FuzzTarget target, byte[] input)
    {
        var w = _worker;
        w.Start(target, input);
        if (!w.Done.Wait(_timeout))
        {
            // The stuck thread cannot be stopped; it is a background thread, abandoned to a new worker.
            _worker = new Worker();
            return new Outcome(false, null, $"no result after {_timeout.TotalSeconds:0.#} s (hang or runaway work)", 0);
        }
        var cap = target.AllocationCap(input.Length);
        var e = w.Error;
        if (w.Allocated > cap)
            return new Outcome(false, null, $"allocated {w.Allocated:N0} managed bytes, over the cap of {cap:N0}" +
                (e == null ? "" : $" (then threw {e.GetType().Name}: {e.Message})"), w.Allocated);
        if (e == null) return new Outcome(true, null, null, w.Allocated);
        if (target.ExpectedFailure.IsInstanceOfType(e)) return new Outcome(false, e.Message, null, w.Allocated);
        return new Outcome(false, null, $"threw {e.GetType().FullName} instead of {target.ExpectedFailure.Name}: {e}", w.Allocated);
    }

    public void Dispose() => _worker.Stop();

    /// <summary>A background thread that runs one input at a time and measures its managed allocation.</summary>
    private sealed class Worker
    {
        private readonly SemaphoreSlim _go = new(0);
        private readonly Thread _thread;
        private FuzzTarget? _target;
        private byte[]? _input;
        private bool _stop;

        public ManualResetEventSlim Done { get; } = new(false);
        public Exception? Error { get; private set; }
        public long Allocated { get; private set; }

        public Worker()
        {
            // A roomy stack, so that deep recursion shows as a named failure here rather than only on small stacks.
            _thread = new Thread(Loop, 16 << 20) { IsBackground = true, Name = "fuzz worker" };
            _thread.Start();
        }

        public void Start(FuzzTarget target, byte[] input)
        {
            _target = target;
            _input = input;
            Done.Reset();
            _go.Release();
        }

        public void Stop()
        {
            _stop = true;
            _go.Release();
        }

        private void Loop()
        {
            while (true)
            {
                _go.Wait();
                if (_stop) return;
                Error = null;
                var before = GC.GetAllocatedBytesForCurrentThread();
                try
                {
                    _target!.Run(_input!);
                }
                catch (Exception e)
                {
                    Error = e;
                }
                Allocated = GC.GetAllocatedBytesForCurrentThread() - before;
                Done.Set();
            }
        }
    }
}
