namespace VgtData.Datasets;

/// <summary>
/// The random draws of one sample (CFG coin, crop offset, replacement choice) come from a small generator keyed by
/// (seed, epoch, index, stream): the same key always gives the same draws, whatever thread or worker asks.
/// </summary>
internal struct SampleRandom
{
    private ulong _state;

    public SampleRandom(long seed, long epoch, long index, ulong stream = 0)
    {
        _state = Mix((ulong)seed ^ 0x9E3779B97F4A7C15UL);
        _state = Mix(_state ^ (ulong)epoch);
        _state = Mix(_state ^ (ulong)index);
        _state = Mix(_state ^ stream);
    }

    /// <summary>splitmix64's finaliser: a good 64-bit mixing function.</summary>
    public static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    public ulong NextUInt64()
    {
        _state += 0x9E3779B97F4A7C15UL;
        return Mix(_state);
    }

    /// <summary>Uniform in [0, 1) with 53 bits, like Python's random.random().</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Uniform in [0, exclusiveMax) without modulo bias.</summary>
    public int NextInt(int exclusiveMax)
    {
        if (exclusiveMax <= 0) throw new ArgumentOutOfRangeException(nameof(exclusiveMax));
        ulong bound = (ulong)exclusiveMax;
        ulong limit = ulong.MaxValue - ulong.MaxValue % bound;
        ulong r;
        do r = NextUInt64(); while (r >= limit);
        return (int)(r % bound);
    }
}
