using System.Collections;
using System.Collections.Concurrent;
using System.Diagnostics;
using VgtData.Collate;
using VgtData.Datasets;
using VgtData.Sampling;

namespace VgtData.Loading;

/// <summary>
/// Parallel, deterministic batches for a training loop: <c>foreach (var batch in loader)</c>. Worker threads decode
/// samples of the next several batches while the current one trains (cross-batch prefetch), each writing its image
/// straight into its batch's tensor; batches come out in sampler order and are identical for any worker count.
/// A batch handed out belongs to the caller: dispose it after the step.
/// </summary>
public sealed class DataLoader : IEnumerable<Batch>, IDisposable
{
    private readonly ISampleDataset _dataset;
    private readonly object _sampler;
    private readonly Collator _collator;
    private BatchRun? _active;
    private int _samplerEpoch; // the sampler's epoch as the loader last left it
    private bool _disposed;

    public DataLoader(ISampleDataset dataset, object sampler, Collator collator, DataLoaderOptions options)
    {
        if (options.BatchSize < 1) throw new VgtDataException($"batch_size must be positive, got {options.BatchSize}");
        if (DataLoaderOptions.CheckWorkers(options.NumWorkers) is { } workers) throw new VgtDataException($"num_workers: {workers}");
        if (DataLoaderOptions.CheckPrefetchFactor(options.PrefetchFactor) is { } prefetch) throw new VgtDataException($"prefetch_factor: {prefetch}");
        _dataset = dataset;
        _sampler = sampler;
        _collator = collator;
        Options = options;
        dataset.Stats ??= Stats;
        State = new LoaderState(0, 0, CurrentSamplerState());
        _samplerEpoch = State.Sampler.Epoch;
    }

    public DataLoaderOptions Options { get; }

    public ISampleDataset Dataset => _dataset;

    /// <summary>Seconds spent per stage across all workers.</summary>
    public StageTimes Stats { get; } = new();

    /// <summary>Staged bytes of the batches in flight in the current enumeration (0 when none runs).</summary>
    internal long BytesInFlight => _active?.BytesInFlight ?? 0;

    /// <summary>Batches planned and not yet handed out in the current enumeration.</summary>
    internal int BatchesPlanned => _active?.Planned ?? 0;

    /// <summary>Batches and samples handed out so far and the sampler position after them.</summary>
    public LoaderState State { get; private set; }

    /// <summary>Continue from a saved state; the next enumeration yields exactly what the saved run would have yielded next.</summary>
    public void Restore(LoaderState state)
    {
        if (_active != null) throw new InvalidOperationException("cannot restore while batches are being enumerated");
        State = state;
        _samplerEpoch = CurrentSamplerState().Epoch;
    }

    public IEnumerator<Batch> GetEnumerator()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_active != null) throw new InvalidOperationException("this loader is already being enumerated");
        // sampler.SetEpoch(e) since the last enumeration (as with DistributedSampler.set_epoch) runs epoch e from its start.
        if (CurrentSamplerState().Epoch != _samplerEpoch) State = State with { Sampler = CurrentSamplerState() with { Position = 0 } };
        RestoreSampler(State.Sampler);
        _samplerEpoch = State.Sampler.Epoch;
        _active = new BatchRun(this);
        return _active;
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    public void Dispose()
    {
        _disposed = true;
        _active?.Dispose();
    }

    private SamplerState CurrentSamplerState() => _sampler switch
    {
        ISampler s => s.State,
        IBatchSampler b => b.State,
        _ => throw new ArgumentException($"{_sampler.GetType().Name} is neither an ISampler nor an IBatchSampler", "sampler"),
    };

    private void RestoreSampler(SamplerState state)
    {
        if (_sampler is ISampler s) s.Restore(state);
        else ((IBatchSampler)_sampler).Restore(state);
    }

    private sealed class Pending
    {
        public required PlannedBatch Plan;
        public BatchBuilder? Builder;
        public long Bytes;
        public int Remaining;
        public Batch? Result;
        public Exception? Error;
        public readonly ManualResetEventSlim Done = new(false);
    }

    private readonly record struct WorkItem(Pending Batch, int Slot);

    /// <summary>One enumeration: its worker threads, its queue and its batches in flight.</summary>
    private sealed class BatchRun : IEnumerator<Batch>
    {
        private readonly DataLoader _loader;
        private readonly BatchPlan _plan;
        private readonly BlockingCollection<WorkItem> _work = new(new ConcurrentQueue<WorkItem>());
        private readonly Queue<Pending> _inFlight = new();
        private readonly CancellationTokenSource _stop = new();
        private readonly Thread[] _workers;
        private readonly int _maxInFlight;
        private readonly long _budget;
        private long _bytesInFlight;
        private long _lastBytes;
        private readonly (int Height, int Width)? _sampleSize;
        private bool _planDone;
        private bool _disposed;

        public BatchRun(DataLoader loader)
        {
            _loader = loader;
            _plan = new BatchPlan(loader._sampler, loader._dataset.Count, loader.Options, loader.State.Batches);
            _sampleSize = loader._dataset.SampleSize;
            int workers = loader.Options.NumWorkers;
            _maxInFlight = workers == 0 ? 1 : loader.Options.BatchesInFlight;
            _budget = loader.Options.BytesInFlightBudget;
            _workers = new Thread[workers];
            for (int i = 0; i < workers; i++)
            {
                _workers[i] = new Thread(WorkerLoop) { IsBackground = true, Name = $"vgtdata-worker-{i}" };
                _workers[i].Start();
            }
        }

        public Batch Current { get; private set; } = null!;

        object IEnumerator.Current => Current;

        public long BytesInFlight => _bytesInFlight;

        public int Planned => _inFlight.Count;

        public bool MoveNext()
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_loader.Options.MaxBatches is long max && _loader.State.Batches >= max) return false;
            TopUp();
            if (_inFlight.Count == 0) return false;
            var head = _inFlight.Dequeue();
            _bytesInFlight -= head.Bytes;
            if (_workers.Length == 0)
                for (int slot = 0; slot < head.Plan.Indices.Length; slot++) Process(new WorkItem(head, slot));
            head.Done.Wait(_stop.Token);
            head.Done.Dispose();
            if (head.Error is { } error)
            {
                head.Result?.Dispose();
                Dispose();
                throw error is VgtDataException ? error : new VgtDataException(error.Message, error);
            }
            Current = head.Result!;
            var s = _loader.State;
            _loader.State = new LoaderState(s.Batches + 1, s.Samples + Current.Size, head.Plan.After);
            TopUp();
            return true;
        }

        private void TopUp()
        {
            // Bytes bound it too: each planned 448 px batch pins a 32 MB GC region, and ~1,500 overran the GC's range (2x RAM): SIGSEGV.
            while (!_planDone && _inFlight.Count < _maxInFlight && (_inFlight.Count == 0 || _bytesInFlight + _lastBytes <= _budget))
            {
                long planned = _loader.State.Batches + _inFlight.Count;
                if (_loader.Options.MaxBatches is long max && planned >= max) { _planDone = true; break; }
                var plan = _plan.Next();
                if (plan is null) { _planDone = true; break; }
                var pending = new Pending { Plan = plan, Remaining = plan.Indices.Length };
                pending.Builder = _loader._collator.Begin(plan.Number, plan.Indices.Length, _sampleSize ?? (0, 0), _sampleSize != null);
                pending.Bytes = _lastBytes = pending.Builder.StagedBytes;
                _bytesInFlight += pending.Bytes;
                _inFlight.Enqueue(pending);
                _loader._dataset.ReadAhead(plan.Indices);
                if (_workers.Length > 0)
                    for (int slot = 0; slot < plan.Indices.Length; slot++) _work.Add(new WorkItem(pending, slot));
            }
        }

        private void WorkerLoop()
        {
            try
            {
                foreach (var item in _work.GetConsumingEnumerable(_stop.Token)) Process(item);
            }
            catch (OperationCanceledException) { }
        }

        private void Process(WorkItem item)
        {
            var pending = item.Batch;
            int index = pending.Plan.Indices[item.Slot];
            try
            {
                if (Volatile.Read(ref pending.Error) is null && !_stop.IsCancellationRequested)
                {
                    using var sample = _loader._dataset.GetSample(index, pending.Plan.Epochs[item.Slot]);
                    var t = Stopwatch.GetTimestamp();
                    pending.Builder!.Put(item.Slot, sample);
                    _loader.Stats.Add(StageTimes.Stage.Collate, t);
                }
            }
            catch (Exception e)
            {
                var wrapped = e as VgtDataException
                    ?? new VgtDataException($"sample {index} ({_loader._dataset.Describe(index)}): {e.GetType().Name}: {e.Message}", e);
                Interlocked.CompareExchange(ref pending.Error, wrapped, null);
            }
            if (Interlocked.Decrement(ref pending.Remaining) == 0) Complete(pending);
        }

        private void Complete(Pending pending)
        {
            try
            {
                if (pending.Error is null && !_stop.IsCancellationRequested)
                {
                    var t = Stopwatch.GetTimestamp();
                    pending.Result = pending.Builder!.Finish();
                    _loader.Stats.Add(StageTimes.Stage.Transfer, t);
                }
            }
            catch (Exception e)
            {
                pending.Error = new VgtDataException($"batch {pending.Plan.Number}: collate failed: {e.Message}", e);
            }
            finally
            {
                pending.Builder!.Dispose();
                pending.Builder = null;
                if (_stop.IsCancellationRequested) { pending.Result?.Dispose(); pending.Result = null; }
                pending.Done.Set();
            }
        }

        public void Reset() => throw new NotSupportedException();

        public void Dispose()
        {
            if (_disposed) return;
            _disposed = true;
            _stop.Cancel();
            _work.CompleteAdding();
            foreach (var w in _workers) w.Join();
            while (_inFlight.TryDequeue(out var p))
            {
                // Workers are gone: whatever they left is ours to release.
                if (p.Remaining > 0) { p.Builder?.Dispose(); p.Builder = null; }
                p.Result?.Dispose();
                p.Done.Dispose();
            }
            _work.Dispose();
            _stop.Dispose();
            _loader._active = null;
            // Blocks of batches still held by the caller come back later; the idle ones need not outlive the run.
            StagingPool.Trim();
        }
    }
}
