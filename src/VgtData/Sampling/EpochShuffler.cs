using System.Collections;

namespace VgtData.Sampling;

/// <summary>
/// The index order for TorchSharp's <c>DataLoader</c> (its <c>shuffler</c> argument), one epoch per enumeration.
/// TorchSharp enumerates the shuffler once per <c>foreach</c> over the loader; each enumeration here first sets the
/// epoch on the dataset and the sampler (as <c>DistributedSampler.set_epoch</c> would be called), then yields this
/// rank's indices of that epoch (<see cref="ISampler.EpochIndices"/>), and the next enumeration runs the next epoch.
/// Every sample TorchSharp fetches is then <c>dataset.GetSample(index, epoch)</c>: the same draws (crop offset, CFG) as
/// VgtData's own loader gives that index in that epoch, new ones in the next epoch, the same ones if the epoch is
/// run again.
/// </summary>
/// <remarks>
/// For <see cref="DefaultSampler"/> an epoch is the sampler's epoch; for <see cref="InfiniteSampler"/> it is one pass
/// over the data (the last batch of a pass may be short, as at the end of a finite epoch). A batch never mixes epochs,
/// because TorchSharp reads a batch's indices from one enumeration. The dataset holds one epoch at a time, so run one
/// enumeration at a time over it.
/// </remarks>
public sealed class EpochShuffler : IEnumerable<long>
{
    private readonly ISampler _sampler;
    private readonly IHasEpoch? _dataset;
    private int _nextEpoch;

    /// <param name="sampler">Where the order comes from.</param>
    /// <param name="dataset">The dataset whose epoch follows the enumerations (a <c>CaptionDataset</c> or a
    /// <c>ConcatDataset</c>); null leaves the dataset alone. A dataset without an epoch is refused.</param>
    /// <param name="firstEpoch">The epoch of the first enumeration (to resume a run, the epoch it stopped in).</param>
    public EpochShuffler(ISampler sampler, TorchSharp.torch.utils.data.Dataset? dataset, int firstEpoch = 0)
    {
        ArgumentNullException.ThrowIfNull(sampler);
        ArgumentOutOfRangeException.ThrowIfNegative(firstEpoch);
        _sampler = sampler;
        _dataset = dataset is null ? null
            : dataset as IHasEpoch ?? throw new ArgumentException($"{dataset.GetType().Name} has no epoch to set (a CaptionDataset or a ConcatDataset has)", nameof(dataset));
        _nextEpoch = firstEpoch;
    }

    /// <summary>The epoch the next enumeration runs.</summary>
    public int NextEpoch => _nextEpoch;

    /// <summary>Chooses the epoch of the next enumeration (for example to run one epoch again).</summary>
    public void SetEpoch(int epoch)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(epoch);
        _nextEpoch = epoch;
    }

    public IEnumerator<long> GetEnumerator()
    {
        var epoch = _nextEpoch++;
        // Set before any index is handed out, so every GetTensor of this enumeration sees this epoch.
        _dataset?.SetEpoch(epoch);
        _sampler.SetEpoch(epoch);
        return _sampler.EpochIndices(epoch).GetEnumerator();
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
