using System.Buffers.Binary;

namespace VgtData.Tests.Fuzz;

/// <summary>
/// Seeded byte-level mutator: bit flips, random and "interesting" values, inserts, deletes, truncation, chunk
/// duplication, splicing with another seed and format tokens. Its own SplitMix64 keeps every mutation identical
/// across .NET versions, so (seed, iteration) reproduces one input exactly.
/// </summary>
public sealed class FuzzMutator
{
    private static readonly byte[] InterestingBytes = [0x00, 0x01, 0x02, 0x7F, 0x80, 0xFE, 0xFF, 0x0A, 0x22, 0x5C];
    private static readonly long[] InterestingInts =
    [
        0, 1, -1, 2, 16, 255, 256, 4096, 65535, 65536, 0x7FFF_FFFF, -0x8000_0000L, 0xFFFF_FFFFL, 0x1_0000_0000L,
        long.MaxValue, long.MinValue, 0x3FFF_FFFF, 0x7FFF_FFC7,
    ];

    private ulong _state;

    public FuzzMutator(ulong seed) => _state = seed;

    /// <summary>The mutator for one iteration of a run: depends only on the run's seed and the iteration number.</summary>
    public static FuzzMutator ForIteration(ulong seed, long iteration)
    {
        var m = new FuzzMutator(seed ^ (0x9E37_79B9_7F4A_7C15UL * (ulong)(iteration + 1)));
        m.Next();
        return m;
    }

    /// <summary>SplitMix64.</summary>
    public ulong Next()
    {
        var z = _state += 0x9E37_79B9_7F4A_7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58_476D_1CE4_E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D0_49BB_1331_11EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>A number in [0, n).</summary>
    public int Below(int n) => n <= 1 ? 0 : (int)(Next() % (ulong)n);

    /// <summary>Small positions and lengths more often than large ones, as real damage tends to be local.</summary>
    private int Length(int max) => max <= 0 ? 0 : Math.Min(max, 1 + Below(Below(4) == 0 ? max : Math.Min(max, 8)));

    /// <summary>
    /// 1 to <paramref name="maxMutations"/> mutations of <paramref name="input"/> (never changed in place).
    /// <paramref name="others"/> feed splicing; <paramref name="tokens"/> are format words (opcodes, JSON syntax) to insert.
    /// </summary>
    public byte[] Mutate(byte[] input, IReadOnlyList<byte[]>? others = null, IReadOnlyList<byte[]>? tokens = null, int maxMutations = 4)
    {
        var data = new List<byte>(input);
        var count = 1 + Below(maxMutations);
        for (var k = 0; k < count; k++) MutateOnce(data, others, tokens);
        return data.ToArray();
    }

    private void MutateOnce(List<byte> d, IReadOnlyList<byte[]>? others, IReadOnlyList<byte[]>? tokens)
    {
        switch (Below(11))
        {
            case 0 when d.Count > 0: // flip one bit
            {
                var i = Below(d.Count);
                d[i] ^= (byte)(1 << Below(8));
                break;
            }
            case 1 when d.Count > 0: // random byte
                d[Below(d.Count)] = (byte)Next();
                break;
            case 2 when d.Count > 0: // interesting byte
                d[Below(d.Count)] = InterestingBytes[Below(InterestingBytes.Length)];
                break;
            case 3 when d.Count > 0: // interesting integer, 1/2/4/8 bytes, either endianness
            {
                var width = 1 << Below(4);
                var at = Below(Math.Max(1, d.Count - width + 1));
                Span<byte> b = stackalloc byte[8];
                var v = InterestingInts[Below(InterestingInts.Length)];
                if (Below(2) == 0) BinaryPrimitives.WriteInt64LittleEndian(b, v);
                else BinaryPrimitives.WriteInt64BigEndian(b, v << (8 * (8 - width)));
                for (var i = 0; i < width && at + i < d.Count; i++) d[at + i] = b[i];
                break;
            }
            case 4: // insert random bytes
            {
                var at = Below(d.Count + 1);
                var n = Length(16);
                var ins = new byte[n];
                for (var i = 0; i < n; i++) ins[i] = (byte)Next();
                d.InsertRange(at, ins);
                break;
            }
            case 5 when d.Count > 0: // delete a range
            {
                var at = Below(d.Count);
                d.RemoveRange(at, Length(d.Count - at));
                break;
            }
            case 6 when d.Count > 0: // truncate
            {
                var cut = Below(d.Count);
                d.RemoveRange(cut, d.Count - cut);
                break;
            }
            case 7 when d.Count > 0: // duplicate a chunk somewhere else
            {
                var at = Below(d.Count);
                var chunk = d.GetRange(at, Length(Math.Min(64, d.Count - at)));
                d.InsertRange(Below(d.Count + 1), chunk);
                break;
            }
            case 8 when others is { Count: > 0 }: // splice: our head, another seed's tail
            {
                var other = others[Below(others.Count)];
                var cut = Below(d.Count + 1);
                var from = Below(other.Length + 1);
                d.RemoveRange(cut, d.Count - cut);
                d.AddRange(other.AsSpan(from).ToArray());
                break;
            }
            case 9 when tokens is { Count: > 0 }: // insert or overwrite with a format token
            {
                var t = tokens[Below(tokens.Count)];
                var at = Below(d.Count + 1);
                if (Below(2) == 0 || at + t.Length > d.Count) d.InsertRange(at, t);
                else for (var i = 0; i < t.Length; i++) d[at + i] = t[i];
                break;
            }
            case 10 when d.Count > 1: // swap two bytes
            {
                int a = Below(d.Count), b = Below(d.Count);
                (d[a], d[b]) = (d[b], d[a]);
                break;
            }
            default: // the chosen kind needs what this input lacks: append a random byte instead
                d.Add((byte)Next());
                break;
        }
    }
}
