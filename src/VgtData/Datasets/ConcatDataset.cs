using VgtData.Loading;
using VgtData.Sampling;

namespace VgtData.Datasets;

/// <summary>torch's ConcatDataset: several datasets end to end (<c>cumulative_sizes</c>), each sample tagged with its source.</summary>
public sealed class ConcatDataset : ISampleDataset, IHasSampleSize, IDisposable
{
    private readonly IReadOnlyList<ISampleDataset> _datasets;

    public ConcatDataset(IReadOnlyList<ISampleDataset> datasets)
    {
        if (datasets.Count == 0) throw new VgtDataException("ConcatDataset needs at least one dataset");
        _datasets = datasets;
        CumulativeSizes = ConcatIndex.CumulativeSizes(datasets.Select(d => d.Count).ToList());
        Failures = new SampleFailureLog();
        var sizes = datasets.Select(d => (d as IHasSampleSize)?.SampleSize).Distinct().ToList();
        SampleSize = sizes.Count == 1 ? sizes[0] : sizes.FirstOrDefault(s => s != null);
    }

    public IReadOnlyList<ISampleDataset> Datasets => _datasets;

    /// <summary>torch's <c>cumulative_sizes</c>: the running totals of the member sizes.</summary>
    public long[] CumulativeSizes { get; }

    public int Count => checked((int)CumulativeSizes[^1]);

    /// <summary>The members' failure logs stay authoritative; this one is unused and stays empty.</summary>
    public SampleFailureLog Failures { get; }

    public long TotalFailures => _datasets.Sum(d => d.Failures.Failures);

    public (int Height, int Width)? SampleSize { get; }

    public PipelineStats? Stats
    {
        get => _datasets[0].Stats;
        set { foreach (var d in _datasets) d.Stats = value; }
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

    public string Describe(int index)
    {
        var (dataset, local) = ConcatIndex.Locate(CumulativeSizes, index);
        return _datasets[dataset].Describe(local);
    }

    public void Dispose()
    {
        foreach (var d in _datasets) (d as IDisposable)?.Dispose();
    }
}
