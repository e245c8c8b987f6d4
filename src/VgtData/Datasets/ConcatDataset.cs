using VgtData.Sampling;
using static TorchSharp.torch;

namespace VgtData.Datasets;

/// <summary>
/// torch's ConcatDataset: several datasets end to end (<c>cumulative_sizes</c>), each sample tagged with its source.
/// It is also a TorchSharp dataset: <see cref="GetTensor"/> serves the member's sample drawn with the current
/// <see cref="Epoch"/>, and <see cref="SetEpoch"/> is passed on to every member that has an epoch.
/// </summary>
public sealed class ConcatDataset : utils.data.Dataset, ISampleDataset, IHasEpoch
{
    private readonly IReadOnlyList<ISampleDataset> _datasets;
    private volatile int _epoch;

    public ConcatDataset(IReadOnlyList<ISampleDataset> datasets)
    {
        if (datasets.Count == 0) throw new VgtDataException("ConcatDataset needs at least one dataset");
        _datasets = datasets;
        CumulativeSizes = ConcatIndex.CumulativeSizes(datasets.Select(d => d.Count).ToList());
        Failures = new SampleFailureLog();
        var sizes = datasets.Select(d => d.SampleSize).Distinct().ToList();
        SampleSize = sizes.Count == 1 ? sizes[0] : sizes.FirstOrDefault(s => s != null);
    }

    public IReadOnlyList<ISampleDataset> Datasets => _datasets;

    /// <summary>torch's <c>cumulative_sizes</c>: the running totals of the member sizes.</summary>
    public long[] CumulativeSizes { get; }

    int ISampleDataset.Count => checked((int)CumulativeSizes[^1]);

    public override long Count => CumulativeSizes[^1];

    /// <summary>The members' failure logs stay authoritative; this one is unused and stays empty.</summary>
    public SampleFailureLog Failures { get; }

    public long TotalFailures => _datasets.Sum(d => d.Failures.Failures);

    public (int Height, int Width)? SampleSize { get; }

    public StageTimes? Stats
    {
        get => _datasets[0].Stats;
        set { foreach (var d in _datasets) d.Stats = value; }
    }

    /// <summary>The epoch <see cref="GetTensor"/> draws with (0 until <see cref="SetEpoch"/> is called).</summary>
    public int Epoch => _epoch;

    /// <summary>Sets the epoch here and on every member that has one (like <c>DistributedSampler.set_epoch</c>).</summary>
    public void SetEpoch(int epoch)
    {
        _epoch = epoch;
        foreach (var d in _datasets) (d as IHasEpoch)?.SetEpoch(epoch);
    }

    public CaptionSample GetSample(int index, int epoch = 0)
    {
        var (dataset, local) = ConcatIndex.Locate(CumulativeSizes, index);
        var sample = _datasets[dataset].GetSample(local, epoch);
        sample.Source = dataset;
        return sample;
    }

    public void ReadAhead(ReadOnlySpan<int> indices)
    {
        foreach (var index in indices)
        {
            if ((uint)index >= (uint)Count) continue;
            var (dataset, local) = ConcatIndex.Locate(CumulativeSizes, index);
            _datasets[dataset].ReadAhead([local]);
        }
    }

    /// <summary>The member's <c>__getitem__</c> dict for concatenated <paramref name="index"/>, drawn with <see cref="Epoch"/>.</summary>
    public override Dictionary<string, Tensor> GetTensor(long index)
    {
        using var sample = GetSample(checked((int)index), _epoch);
        return sample.ToTensors();
    }

    public string Describe(int index)
    {
        var (dataset, local) = ConcatIndex.Locate(CumulativeSizes, index);
        return _datasets[dataset].Describe(local);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
            foreach (var d in _datasets) (d as IDisposable)?.Dispose();
        base.Dispose(disposing);
    }
}
