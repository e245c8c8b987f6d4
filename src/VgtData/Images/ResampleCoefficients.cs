using System.Collections.Concurrent;

namespace VgtData.Images;

/// <summary>
/// The per-axis weights of Pillow's 8-bit BICUBIC resize (<c>Resample.c</c>, Pillow 9.4): for every output index the
/// first input index, the number of taps and the taps' weights, as doubles and as the 22-bit fixed-point integers the
/// 8-bit passes use. Immutable once built; <see cref="For"/> shares them between threads.
/// </summary>
internal sealed class ResampleCoefficients
{
    /// <summary>Fractional bits of the fixed-point weights: 32 − 8 − 2.</summary>
    public const int PrecisionBits = 32 - 8 - 2;

    /// <summary>Pillow's BICUBIC support (the kernel is zero from |x| = 2 on).</summary>
    public const double BicubicSupport = 2.0;

    private const int CacheLimit = 64;
    private static readonly ConcurrentDictionary<(int, double, double, int), ResampleCoefficients> Cache = new();

    private short[]? _horizontalPairs;

    private ResampleCoefficients(int inSize, double in0, double in1, int outSize)
    {
        InSize = inSize;
        In0 = in0;
        In1 = in1;
        OutSize = outSize;

        double scale = (in1 - in0) / outSize;
        double filterScale = Math.Max(scale, 1.0);
        double support = BicubicSupport * filterScale;
        KSize = (int)Math.Ceiling(support) * 2 + 1;
        double ss = 1.0 / filterScale;

        Bounds = new int[outSize * 2];
        Weights = new double[outSize * KSize];
        Fixed = new int[outSize * KSize];
        for (int xx = 0; xx < outSize; xx++)
        {
            double center = in0 + (xx + 0.5) * scale;
            int xmin = (int)(center - support + 0.5); // C's (int): truncation toward zero
            if (xmin < 0) xmin = 0;
            int xmax = (int)(center + support + 0.5);
            if (xmax > inSize) xmax = inSize;
            int count = xmax - xmin;
            var k = Weights.AsSpan(xx * KSize, KSize);
            double sum = 0.0;
            for (int x = 0; x < count; x++)
            {
                double w = Bicubic((x + xmin - center + 0.5) * ss);
                k[x] = w;
                sum += w;
            }
            if (sum != 0.0)
                for (int x = 0; x < count; x++) k[x] /= sum;
            // The rest of the row stays 0.
            Bounds[xx * 2] = xmin;
            Bounds[xx * 2 + 1] = Math.Max(count, 0);
        }

        const double one = 1 << PrecisionBits;
        for (int i = 0; i < Weights.Length; i++)
        {
            double w = Weights[i];
            Fixed[i] = w < 0 ? (int)(-0.5 + w * one) : (int)(0.5 + w * one);
        }
    }

    public int InSize { get; }
    public double In0 { get; }
    public double In1 { get; }
    public int OutSize { get; }

    /// <summary>Taps reserved per output index (<c>ceil(support)·2 + 1</c>); those past <see cref="Count"/> are 0.</summary>
    public int KSize { get; }

    /// <summary>(first input index, tap count) per output index, interleaved.</summary>
    internal int[] Bounds { get; }

    /// <summary>Normalized weights, <see cref="KSize"/> per output index.</summary>
    internal double[] Weights { get; }

    /// <summary>The weights in fixed point with <see cref="PrecisionBits"/> fractional bits, <see cref="KSize"/> per output index.</summary>
    internal int[] Fixed { get; }

    public int First(int outIndex) => Bounds[outIndex * 2];
    public int Count(int outIndex) => Bounds[outIndex * 2 + 1];
    public ReadOnlySpan<double> WeightsOf(int outIndex) => Weights.AsSpan(outIndex * KSize, Count(outIndex));
    public ReadOnlySpan<int> FixedOf(int outIndex) => Fixed.AsSpan(outIndex * KSize, Count(outIndex));

    /// <summary>Groups of 4 taps per output index in <see cref="HorizontalPairs"/>.</summary>
    internal int Groups => (KSize + 3) / 4;

    /// <summary>
    /// The fixed-point weights laid out for the AVX2 horizontal pass. Each weight w is split exactly as
    /// w = hi·2^15 + lo with lo in [0, 2^15) and hi small, so both halves fit int16 and pmaddwd can multiply them by
    /// 8-bit pixels; Σ p·w = (Σ p·hi) &lt;&lt; 15 + Σ p·lo holds modulo 2^32, so the int32 sum is the one Pillow computes.
    /// Per output index and group of taps t..t+3: 16 int16 of lo — (lo_t, lo_t+1) four times, then (lo_t+2, lo_t+3)
    /// four times — then the same 16 for hi.
    /// </summary>
    internal short[] HorizontalPairs => _horizontalPairs ??= BuildHorizontalPairs();

    private short[] BuildHorizontalPairs()
    {
        int groups = Groups;
        var pairs = new short[OutSize * groups * 32];
        for (int xx = 0; xx < OutSize; xx++)
        {
            var k = Fixed.AsSpan(xx * KSize, KSize);
            for (int g = 0; g < groups; g++)
            {
                var block = pairs.AsSpan((xx * groups + g) * 32, 32);
                for (int half = 0; half < 2; half++)
                {
                    int t0 = g * 4 + half * 2, t1 = t0 + 1;
                    int w0 = t0 < KSize ? k[t0] : 0, w1 = t1 < KSize ? k[t1] : 0;
                    for (int r = 0; r < 4; r++)
                    {
                        int at = half * 8 + r * 2;
                        block[at] = (short)(w0 & 0x7FFF);
                        block[at + 1] = (short)(w1 & 0x7FFF);
                        block[16 + at] = checked((short)(w0 >> 15));
                        block[16 + at + 1] = checked((short)(w1 >> 15));
                    }
                }
            }
        }
        return pairs;
    }

    /// <summary>Pillow's bicubic kernel, a = −0.5, in Pillow's order of operations.</summary>
    public static double Bicubic(double x)
    {
        const double a = -0.5;
        if (x < 0.0) x = -x;
        if (x < 1.0) return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
        if (x < 2.0) return (((x - 5) * x + 8) * x - 4) * a;
        return 0.0;
    }

    /// <summary>The coefficients for an axis of <paramref name="inSize"/> pixels whose [<paramref name="in0"/>,
    /// <paramref name="in1"/>) is resized to <paramref name="outSize"/> pixels. Cached (thread-safe).</summary>
    public static ResampleCoefficients For(int inSize, double in0, double in1, int outSize)
    {
        if (inSize < 1) throw new ArgumentOutOfRangeException(nameof(inSize));
        if (outSize < 1) throw new ArgumentOutOfRangeException(nameof(outSize));
        var key = (inSize, in0, in1, outSize);
        if (Cache.TryGetValue(key, out var c)) return c;
        c = new ResampleCoefficients(inSize, in0, in1, outSize);
        if (Cache.Count >= CacheLimit) Cache.Clear(); // a loader sees few distinct sizes; keep the cache small regardless
        return Cache.GetOrAdd(key, c);
    }
}
