using System.Buffers.Binary;
using System.Diagnostics;
using System.IO.Hashing;
using VgtData.Images;

namespace VgtData.Tests.Images.Fuzz;

/// <summary>
/// Seeded mutation fuzzing for the image decoders: each input is a valid seed file with a few random edits (bit flips,
/// interesting bytes, cuts, splices, length fields, inserted and deleted runs), and for PNGs, half the time, chunk CRCs
/// rewritten so the damage reaches the inflater and unfilter instead of stopping at the CRC check. Deterministic for a
/// seed. Shared by the bounded tests (ImageFuzzTests) and the long-run program (benchmarks/ImageFuzz).
/// </summary>
internal static class ImageMutator
{
    private static readonly byte[] Interesting = [0x00, 0x01, 0x7F, 0x80, 0xFE, 0xFF, 0x10, 0x20, 0x40];

    public static byte[] Mutate(byte[] seed, Random rng)
    {
        if (IsPng(seed) && rng.Next(3) == 0) return MutateImageData(seed, rng);
        var data = new List<byte>(seed);
        int edits = 1 + rng.Next(rng.Next(2) == 0 ? 2 : 8);
        for (int e = 0; e < edits && data.Count > 0; e++)
        {
            int at = rng.Next(data.Count);
            switch (rng.Next(8))
            {
                case 0: data[at] ^= (byte)(1 << rng.Next(8)); break;
                case 1: data[at] = Interesting[rng.Next(Interesting.Length)]; break;
                case 2: data[at] = (byte)rng.Next(256); break;
                case 3: data.RemoveRange(at, data.Count - at); break;                                   // cut short
                case 4: data.RemoveRange(at, Math.Min(data.Count - at, 1 + rng.Next(64))); break;       // delete a run
                case 5:
                {
                    int from = rng.Next(data.Count), n = Math.Min(data.Count - from, 1 + rng.Next(64));
                    data.InsertRange(at, data.GetRange(from, n));                                          // splice a copy
                    break;
                }
                case 6:
                    if (at + 4 <= data.Count)                                                              // a 16/32-bit field
                    {
                        uint v = rng.Next(4) switch { 0 => 0, 1 => 0xFFFFFFFF, 2 => (uint)rng.Next(1 << 16), _ => (uint)rng.Next() };
                        for (int i = 0; i < (rng.Next(2) == 0 ? 2 : 4); i++) data[at + i] = (byte)(v >> (8 * i));
                    }
                    break;
                default:
                {
                    var run = new byte[1 + rng.Next(32)];
                    rng.NextBytes(run);
                    data.InsertRange(at, run);
                    break;
                }
            }
        }
        var bytes = data.ToArray();
        if (IsPng(bytes) && rng.Next(2) == 0) FixPngCrcs(bytes);
        return bytes;
    }

    /// <summary>Edits bytes inside the PNG's image data only and keeps every CRC right: damage the inflater and the
    /// unfilter see, in a file whose structure is intact.</summary>
    private static byte[] MutateImageData(byte[] png, Random rng)
    {
        var bytes = (byte[])png.Clone();
        var payload = new List<(int Start, int Length)>();
        for (long pos = 8; pos + 12 <= bytes.Length;)
        {
            int length = (int)BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan((int)pos));
            if (bytes.AsSpan((int)pos + 4, 4).SequenceEqual("IDAT"u8) && length > 0) payload.Add(((int)pos + 8, length));
            pos += 12L + length;
        }
        if (payload.Count == 0) return bytes;
        for (int e = 1 + rng.Next(4); e > 0; e--)
        {
            var (start, length) = payload[rng.Next(payload.Count)];
            int at = start + rng.Next(length);
            bytes[at] = rng.Next(3) switch { 0 => (byte)(bytes[at] ^ (1 << rng.Next(8))), 1 => Interesting[rng.Next(Interesting.Length)], _ => (byte)rng.Next(256) };
        }
        FixPngCrcs(bytes);
        return bytes;
    }

    public static bool IsPng(ReadOnlySpan<byte> b) => b.Length >= 8 && b[0] == 0x89 && b[1] == (byte)'P' && b[2] == (byte)'N' && b[3] == (byte)'G';

    /// <summary>Rewrites the stored CRC of every whole chunk to match its (possibly edited) type and data.</summary>
    public static void FixPngCrcs(byte[] png)
    {
        long pos = 8;
        while (pos + 12 <= png.Length)
        {
            uint length = BinaryPrimitives.ReadUInt32BigEndian(png.AsSpan((int)pos));
            long end = pos + 12 + length;
            if (end > png.Length) return;
            BinaryPrimitives.WriteUInt32BigEndian(png.AsSpan((int)(end - 4)), Crc32.HashToUInt32(png.AsSpan((int)pos + 4, 4 + (int)length)));
            pos = end;
        }
    }

    /// <summary>What a fuzz run saw.</summary>
    public sealed class Result
    {
        public int Decoded, Refused;
        public readonly Dictionary<SampleFailureReason, int> Reasons = [];
        public readonly List<string> Unexpected = [];
        public TimeSpan Slowest;
        public int SlowestCase = -1;
    }

    /// <summary>
    /// Decodes <paramref name="count"/> mutants of the seeds (mutant i from seed i mod n, its own Random(seed, i)), whole or
    /// down to a random row, a quarter of them in draft mode. A <see cref="SampleException"/> or <see cref="VgtDataException"/> is a refusal; any other
    /// exception is recorded as unexpected with the case number that reproduces it.
    /// </summary>
    public static Result Run(IImageDecoder decoder, IReadOnlyList<byte[]> seeds, int count, int seed, ImageLimits limits,
        Func<bool>? stop = null)
    {
        var result = new Result();
        for (int i = 0; i < count && !(stop?.Invoke() ?? false); i++)
        {
            var rng = new Random(unchecked(seed * 1_000_003 + i));   // not HashCode: it is salted per process
            var input = Mutate(seeds[i % seeds.Count], rng);
            int rows = rng.Next(3) == 0 ? 1 + rng.Next(64) : int.MaxValue;
            int draft = rng.Next(4) == 0 ? 4 + rng.Next(40) : 0;   // a quarter of the inputs through draft mode
            long start = Stopwatch.GetTimestamp();
            try
            {
                using var image = draft > 0
                    ? decoder.DecodeDraft(input, $"case{i}", limits, draft, draft, rows)
                    : decoder.Decode(input, $"case{i}", limits, rows);
                if (image.Width <= 0 || image.Height <= 0) result.Unexpected.Add($"case {i}: decoded to {image.Width}x{image.Height}");
                _ = image.Row(image.Height - 1)[^1];
                result.Decoded++;
            }
            catch (SampleException e)
            {
                result.Refused++;
                result.Reasons[e.Reason] = result.Reasons.GetValueOrDefault(e.Reason) + 1;
            }
            catch (VgtDataException)
            {
                result.Refused++;
            }
            catch (Exception e)
            {
                result.Unexpected.Add($"case {i} (seed {i % seeds.Count}): {e.GetType().Name}: {e.Message}");
            }
            var took = Stopwatch.GetElapsedTime(start);
            if (took > result.Slowest) { result.Slowest = took; result.SlowestCase = i; }
        }
        return result;
    }
}
