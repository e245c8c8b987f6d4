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
            ISampler s => FromSampler(s, datasetSize, options, firstNumber).GetEnumerator(),
            _ => throw new ArgumentException($"{sampler.GetType().Name} is neither an ISampler nor an IBatchSampler"),
        };
    }

    public object Sampler { get; }

    public PlannedBatch? Next() => _batches.MoveNext() ? _batches.Current : null;

    private static IEnumerable<PlannedBatch> FromSampler(ISampler sampler, int size, DataLoaderOptions options, long number)
    {
        var indices = new List<int>(options.BatchSize);
        var epochs = new List<int>(options.BatchSize);
        foreach (var index in sampler.Indices())
        {
            indices.Add(checked((int)index));
            epochs.Add(DrawEpoch(sampler, size));
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

    // The epoch a sample's random draws use: the pass over the data for an infinite sampler (so an index seen again
    // gets new crops and CFG draws), the sampler's epoch for a finite one.
    private static int DrawEpoch(ISampler sampler, int size) => sampler switch
    {
        InfiniteSampler inf => checked((int)((inf.Rank + (inf.State.Position - 1) * inf.WorldSize) / size)),
        _ => sampler.Epoch,
    };

    private static IEnumerable<PlannedBatch> FromBatchSampler(IBatchSampler sampler, long number)
    {
        foreach (var batch in sampler.Batches())
        {
            var state = sampler.State;
            // Each multi-source batch is its own draw: key the samples' draws by the batch position.
            var epoch = checked((int)state.Position);
            yield return new PlannedBatch(number++, batch.Select(i => checked((int)i)).ToArray(),
                Enumerable.Repeat(epoch, batch.Length).ToArray(), state);
        }
    }
}
