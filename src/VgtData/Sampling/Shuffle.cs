namespace VgtData.Sampling;

/// <summary>
/// The deterministic random numbers every sampler uses: SplitMix64 (Steele, Lea and Flood 2014) seeded from
/// (seed, domain, stream...), unbiased bounded integers by Lemire's multiply-and-reject, and an in-place
/// Fisher-Yates shuffle. The same inputs give the same permutation on every machine and .NET version.
/// It does not reproduce torch.randperm: orders differ from PyTorch/mmengine with the same seed, though the
/// distribution (uniform permutations) is the same.
/// </summary>
internal struct SplitMix64
{
    private const ulong Gamma = 0x9E3779B97F4A7C15UL;
    private ulong _state;

    public SplitMix64(ulong seed) => _state = seed;

    /// <summary>The SplitMix64 output function, also used to hash seeds together.</summary>
    public static ulong Mix(ulong z)
    {
        unchecked
        {
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            return z ^ (z >> 31);
        }
    }

    /// <summary>A generator seed from a user seed, a domain (which sampler/purpose) and stream numbers (epoch, pass...).</summary>
    public static ulong Seed(int seed, ulong domain, params ReadOnlySpan<long> streams)
    {
        var h = unchecked(Mix((ulong)(long)seed + Gamma) ^ Mix(domain + Gamma + Gamma));
        foreach (var s in streams) h = unchecked(Mix(h + Gamma + (ulong)s));
        return h;
    }

    public ulong Next() => Mix(unchecked(_state += Gamma));

    /// <summary>Uniform in [0, n), n &gt; 0, without modulo bias.</summary>
    public ulong NextBelow(ulong n)
    {
        var threshold = unchecked(0UL - n) % n; // 2^64 mod n: low products below it are rejected
        while (true)
        {
            var high = Math.BigMul(Next(), n, out var low);
            if (low >= threshold) return high;
        }
    }

    /// <summary>Uniform in [0, 1) with 53 random bits.</summary>
    public double NextDouble() => (Next() >> 11) * (1.0 / (1UL << 53));
}

internal static class Shuffle
{
    internal const ulong DefaultSamplerDomain = 0x44656661756C7453UL;   // "DefaultS"
    internal const ulong InfiniteSamplerDomain = 0x496E66696E697465UL;  // "Infinite"
    internal const ulong MultiSourceDomain = 0x4D756C7469537263UL;      // "MultiSrc"
    internal const ulong MultiSourcePickDomain = 0x4D756C74695069UL;    // "MultiPi"
    internal const ulong FixedBatchDomain = 0x4669786564426174UL;       // "FixedBat"

    /// <summary>0..size-1 in an order fixed by <paramref name="rngSeed"/> (Fisher-Yates, last element first).</summary>
    public static int[] Permutation(int size, ulong rngSeed)
    {
        var p = new int[size];
        for (var i = 0; i < size; i++) p[i] = i;
        var rng = new SplitMix64(rngSeed);
        for (var i = size - 1; i > 0; i--)
        {
            var j = (int)rng.NextBelow((ulong)i + 1);
            (p[i], p[j]) = (p[j], p[i]);
        }
        return p;
    }

    public static int[] Identity(int size)
    {
        var p = new int[size];
        for (var i = 0; i < size; i++) p[i] = i;
        return p;
    }
}
