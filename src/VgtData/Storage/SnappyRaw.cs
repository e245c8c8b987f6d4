namespace VgtData.Storage;

/// <summary>Snappy data that cannot be decompressed: truncated, a copy reaching before the start, a length past the
/// output.</summary>
internal sealed class SnappyException(string message) : Exception(message);

/// <summary>
/// A decompressor for raw Snappy blocks (Google's format description: a varint of the uncompressed length, then literals
/// and back-references), as parquet's SNAPPY codec stores pages. Every literal and copy is checked against the input
/// left and the output declared, so damaged data stops with <see cref="SnappyException"/> naming the offset; the output
/// never grows past the length the caller expects.
/// </summary>
internal static class SnappyRaw
{
    /// <summary>The uncompressed length the block declares.</summary>
    public static int DeclaredLength(ReadOnlySpan<byte> input, out int preamble)
    {
        ulong value = 0;
        for (int i = 0; i < 5; i++)
        {
            if (i >= input.Length) throw new SnappyException("truncated: the block ends inside its length");
            byte b = input[i];
            value |= (ulong)(b & 0x7f) << (7 * i);
            if ((b & 0x80) == 0)
            {
                if (value > int.MaxValue) throw new SnappyException($"declared length {value} is over 2 GiB");
                preamble = i + 1;
                return (int)value;
            }
        }
        throw new SnappyException("declared length is longer than 5 bytes");
    }

    /// <summary>Decompresses <paramref name="input"/> into <paramref name="output"/>, which must be exactly the declared
    /// length. With <paramref name="checkpoints"/>, records where decoding can start again without what came before
    /// (<see cref="SnappyCheckpoint"/>).</summary>
    public static void Decompress(ReadOnlySpan<byte> input, Span<byte> output, List<SnappyCheckpoint>? checkpoints = null)
    {
        int length = DeclaredLength(input, out int at);
        if (length != output.Length)
            throw new SnappyException($"declared length {length}, expected {output.Length}");
        Decode(input, at, output, checkpoints);
    }

    /// <summary>Decodes the elements of a block from a checkpoint on (<paramref name="elements"/> starts at one, and ends
    /// at another or the block's end) into exactly <paramref name="output"/>.</summary>
    public static void DecompressFrom(ReadOnlySpan<byte> elements, Span<byte> output) => Decode(elements, 0, output, null);

    /// <summary>Checkpoints are taken at element starts on multiples of this many output bytes: the fragments that
    /// Google's compressor (the one parquet writers use) compresses independently.</summary>
    public const int CheckpointEvery = 1 << 16;

    private static void Decode(ReadOnlySpan<byte> input, int at, Span<byte> output, List<SnappyCheckpoint>? checkpoints)
    {
        int o = 0;
        while (at < input.Length)
        {
            if (checkpoints is not null && (o & (CheckpointEvery - 1)) == 0 && (checkpoints.Count == 0 || checkpoints[^1].Output < o))
                checkpoints.Add(new SnappyCheckpoint(o, at));
            int tagAt = at;
            byte tag = input[at++];
            int kind = tag & 3;
            if (kind == 0)
            {
                int n = tag >> 2;
                if (n >= 60)
                {
                    int bytes = n - 59;
                    if (at + bytes > input.Length) throw new SnappyException($"truncated: literal length at input byte {tagAt}");
                    uint wide = 0;
                    for (int i = 0; i < bytes; i++) wide |= (uint)input[at + i] << (8 * i);
                    at += bytes;
                    if (wide >= int.MaxValue) throw new SnappyException($"literal length overflows at input byte {tagAt}");
                    n = (int)wide;
                }
                int len = n + 1;
                if (len > input.Length - at) throw new SnappyException($"truncated: literal of {len} bytes at input byte {tagAt}, {input.Length - at} left");
                if (len > output.Length - o) throw new SnappyException($"literal of {len} bytes at input byte {tagAt} runs past the declared length {output.Length}");
                input.Slice(at, len).CopyTo(output[o..]);
                at += len;
                o += len;
                continue;
            }
            int copy, offset;
            if (kind == 1)
            {
                if (at + 1 > input.Length) throw new SnappyException($"truncated: copy at input byte {tagAt}");
                copy = 4 + ((tag >> 2) & 7);
                offset = ((tag >> 5) << 8) | input[at];
                at += 1;
            }
            else if (kind == 2)
            {
                if (at + 2 > input.Length) throw new SnappyException($"truncated: copy at input byte {tagAt}");
                copy = 1 + (tag >> 2);
                offset = input[at] | (input[at + 1] << 8);
                at += 2;
            }
            else
            {
                if (at + 4 > input.Length) throw new SnappyException($"truncated: copy at input byte {tagAt}");
                copy = 1 + (tag >> 2);
                uint wide = (uint)(input[at] | (input[at + 1] << 8) | (input[at + 2] << 16)) | ((uint)input[at + 3] << 24);
                if (wide > int.MaxValue) throw new SnappyException($"copy offset {wide} at input byte {tagAt} reaches before the start");
                offset = (int)wide;
                at += 4;
            }
            if (offset == 0 || offset > o)
                throw new SnappyException($"copy offset {offset} at input byte {tagAt} reaches before the start (output at {o})");
            // A copy reaching back past a checkpoint makes it one decoding cannot start from.
            while (checkpoints is { Count: > 0 } && checkpoints[^1].Output > o - offset) checkpoints.RemoveAt(checkpoints.Count - 1);
            if (copy > output.Length - o)
                throw new SnappyException($"copy of {copy} bytes at input byte {tagAt} runs past the declared length {output.Length}");
            if (offset >= copy) output.Slice(o - offset, copy).CopyTo(output[o..]);
            else
            {
                // Overlapping: the copy repeats the last `offset` bytes.
                for (int i = 0; i < copy; i++) output[o + i] = output[o - offset + i];
            }
            o += copy;
        }
        if (o != output.Length) throw new SnappyException($"truncated: {o} of the declared {output.Length} bytes");
    }
}

/// <summary>A place in a snappy block where decoding can start again: the element at input byte <see cref="Input"/>
/// begins output byte <see cref="Output"/>, and no later copy reaches back before it.</summary>
internal readonly record struct SnappyCheckpoint(int Output, int Input);
