using VgtData.Sampling;

namespace VgtData.Loading;

/// <summary>One planned batch: the indices, the epoch their random draws use, and the sampler state after them.</summary>
internal sealed record PlannedBatch(long Number, int[] Indices, int[] Epochs, SamplerState After);

/// <summary>Turns a sampler (of indices or of whole batches) into a sequence of planned batches.</summary>
internal sealed class BatchPlan
{
    private readonly IEnumerator<PlannedBatch> _batches;

    public BatchPlan(object sampler, int datasetSize, DataLoaderOptions options, long firstNumber)
    {
        Sampler = sampler;
        _batches = sampler switch
        {
            IBatchSampler b => FromBatchSampler(b, firstNumber).GetEnumerator(),
            ISampler s => FromSampler(s, options, firstNumber).GetEnumerator(),
            _ => throw new ArgumentException($"{sampler.GetType().Name} is neither an ISampler nor an IBatchSampler"),
        };
    }

    public object Sampler { get; }

    public PlannedBatch? Next() => _batches.MoveNext() ? _batches.Current : null;

    private static IEnumerable<PlannedBatch> FromSampler(ISampler sampler, DataLoaderOptions options, long number)
    {
        var indices = new List<int>(options.BatchSize);
        var epochs = new List<int>(options.BatchSize);
        // Each index keeps its own draw epoch: a batch may straddle the end of a pass.
        foreach (var draw in sampler.Draws())
        {
            indices.Add(checked((int)draw.Index));
            epochs.Add(draw.DrawEpoch);
            if (indices.Count == options.BatchSize)
            {
                yield return new PlannedBatch(number++, indices.ToArray(), epochs.ToArray(), sampler.State);
                indices.Clear();
                epochs.Clear();
            }
        }
        if (indices.Count > 0 && !options.DropLast)
            yield return new PlannedBatch(number, indices.ToArray(), epochs.ToArray(), sampler.State);
    }

    private static IEnumerable<PlannedBatch> FromBatchSampler(IBatchSampler sampler, long number)
    {
        foreach (var batch in sampler.BatchDraws())
            yield return new PlannedBatch(number++, batch.Select(d => checked((int)d.Index)).ToArray(),
                batch.Select(d => d.DrawEpoch).ToArray(), sampler.State);
    }
}
