namespace VgtData.Sampling;

/// <summary>
/// The position every sampler keeps: an epoch and how far into it this rank is. A different epoch starts at 0, the same
/// epoch keeps the position; <see cref="Restore"/> puts both back (bounded by <see cref="MaxPosition"/>).
/// </summary>
public abstract class SamplerCursor
{
    private protected int _epoch;
    private protected long _position;

    public int Epoch => _epoch;

    public SamplerState State => new(_epoch, _position);

    /// <summary>The largest position a state may hold (an epoch's length for finite samplers).</summary>
    protected virtual long MaxPosition => long.MaxValue;

    public void SetEpoch(int epoch)
    {
        if (epoch == _epoch) return;
        _epoch = epoch;
        _position = 0;
    }

    public void Restore(SamplerState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (state.Position < 0 || state.Position > MaxPosition)
            throw new ArgumentOutOfRangeException(nameof(state), state.Position, $"position must be in [0, {MaxPosition}]");
        _epoch = state.Epoch;
        _position = state.Position;
    }
}
