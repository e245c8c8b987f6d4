namespace VgtData.Sampling;

/// <summary>
/// Something whose output depends on the current epoch, like a PyTorch sampler with <c>set_epoch</c>. Datasets
/// implement it for TorchSharp's DataLoader, whose <c>GetTensor(index)</c> carries no epoch.
/// </summary>
internal interface IHasEpoch
{
    /// <summary>The epoch in use.</summary>
    int Epoch { get; }

    /// <summary>Selects the epoch used from now on.</summary>
    void SetEpoch(int epoch);
}
