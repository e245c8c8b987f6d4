using System.Diagnostics;
using System.IO.Compression;
using System.Text;
using VgtData.Preparation;
using VgtData.Sources;

namespace VgtData.Tests.Preparation;

/// <summary>
/// Bounded mutation fuzzing of the tar reader, the extractor and the tar image source: seeded, thousands of mutated
/// archives in a few seconds. Allowed outcomes are typed errors (<see cref="TarFormatException"/>, gzip's
/// <see cref="InvalidDataException"/>, part errors, refused members, <see cref="SampleException"/>) — never another
/// exception, a hang, or a file outside the output folder.
/// </summary>
public sealed class TarFuzzTests
{
    private static List<byte[]> Seeds()
    {
        var rng = new Random(5);
        byte[] Bytes(int n) { var b = new byte[n]; rng.NextBytes(b); return b; }
        var plain = new TarBuilder()
            .File("a/1.png", Bytes(700)).Entry("d/", '5').File("d/2.png", Bytes(10)).File("../up.png", Bytes(3))
            .Entry("l", '2', "/etc/passwd").Entry("h", '1', "a/1.png").File("empty", [])
            .Build();
        var fancy = new TarBuilder()
            .PaxFile("p/" + new string('x', 120) + ".png", Bytes(900))
            .GnuLongName("g/" + new string('y', 150) + ".png", Bytes(100))
            .Pax([("GNU.sparse.name", "s.png"u8.ToArray()), ("GNU.sparse.major", "1"u8.ToArray())], "GNUSparseFile.1/s.png", '0', Bytes(600))
            .RawNameFile([0xFF, 0xFE, (byte)'.', (byte)'b'], Bytes(40))
            .File("z.png", Bytes(1300))
            .Build();
        var gz = new MemoryStream();
        using (var z = new GZipStream(gz, CompressionLevel.Fastest, leaveOpen: true)) z.Write(plain);
        return [plain, fancy, gz.ToArray()];
    }

    private static byte[] Mutate(byte[] seed, Random rng)
    {
        var b = (byte[])seed.Clone();
        int edits = 1 + rng.Next(4);
        for (int e = 0; e < edits; e++)
        {
            if (b.Length == 0) break;
            switch (rng.Next(7))
            {
                case 0: b[rng.Next(b.Length)] ^= (byte)(1 << rng.Next(8)); break;
                case 1: b[rng.Next(b.Length)] = (byte)rng.Next(256); break;
                case 2: b = b[..rng.Next(b.Length)]; break;
                case 3:
                {
                    // A header number field (size, mode, checksum) overwritten with digits, base-256 or junk.
                    int header = rng.Next(Math.Max(1, b.Length / 512)) * 512;
                    int field = new[] { 124, 148, 100, 136 }[rng.Next(4)];
                    for (int i = 0; i < 12 && header + field + i < b.Length; i++)
                        b[header + field + i] = rng.Next(3) switch { 0 => (byte)('0' + rng.Next(8)), 1 => 0xFF, _ => (byte)rng.Next(256) };
                    if (rng.Next(2) == 0 && header + 124 < b.Length) b[header + 124] = (byte)(0x80 | rng.Next(2) << 6);
                    if (field != 148 && rng.Next(4) != 0) FixChecksum(b, header); // past the checksum gate, into the parsers
                    break;
                }
                case 4:
                {
                    int from = rng.Next(b.Length), len = Math.Min(rng.Next(1024), b.Length - from);
                    b = [.. b[..from], .. b[from..(from + len)], .. b[from..]];
                    break;
                }
                case 5:
                {
                    int from = rng.Next(b.Length), len = Math.Min(rng.Next(1024), b.Length - from);
                    b = [.. b[..from], .. b[(from + len)..]];
                    break;
                }
                default:
                {
                    // Type flag of some header changed to any byte.
                    int header = rng.Next(Math.Max(1, b.Length / 512)) * 512;
                    if (header + 156 < b.Length) b[header + 156] = (byte)rng.Next(256);
                    if (rng.Next(4) != 0) FixChecksum(b, header);
                    break;
                }
            }
        }
        return b;
    }

    private static void FixChecksum(byte[] b, int header)
    {
        if (header + 512 > b.Length) return;
        var h = b.AsSpan(header, 512);
        if (h.IndexOfAnyExcept((byte)0) < 0) return;
        h[148..156].Fill((byte)' ');
        int sum = 0;
        foreach (var x in h) sum += x;
        Encoding.ASCII.GetBytes(Convert.ToString(sum, 8).PadLeft(6, '0') + "\0 ").CopyTo(h[148..]);
    }

    /// <summary>Reads every member (and all its data) of a mutated archive, seekable or as a stream.</summary>
    private static void ReadAll(byte[] data, bool seekable)
    {
        Stream stream = new MemoryStream(data, writable: false);
        if (data.Length > 1 && data[0] == 0x1F && data[1] == 0x8B) stream = new GZipStream(stream, CompressionMode.Decompress);
        else if (!seekable) stream = new BufferedStream(new NonSeekable(stream));
        using var reader = new TarMemberReader(stream);
        var buffer = new byte[4096];
        int members = 0;
        try
        {
            while (reader.Next() is { } m)
            {
                Assert.True(m.Size >= 0);
                Assert.True(++members < 10_000, "reader keeps returning members");
                long total = 0;
                int n;
                while ((n = reader.ReadData(buffer)) > 0) total += n;
                Assert.Equal(m.Size, total);
            }
        }
        catch (TarFormatException) { }
        catch (InvalidDataException) { } // gzip data or CRC
    }

    [Fact]
    public void MutatedTars_Reader_OnlyTypedErrors_NoHang()
    {
        var seeds = Seeds();
        var rng = new Random(20261126);
        var clock = Stopwatch.StartNew();
        var run = Task.Run(() =>
        {
            for (int i = 0; i < 6000; i++)
            {
                var input = Mutate(seeds[i % seeds.Count], rng);
                try { ReadAll(input, seekable: i % 2 == 0); }
                catch (Exception e) when (e is not Xunit.Sdk.XunitException)
                {
                    throw new Exception($"mutation {i} (seed {i % seeds.Count}): {e.GetType().Name}: {e.Message}; input {Convert.ToHexString(input.AsSpan(0, Math.Min(input.Length, 64)))}...", e);
                }
            }
        });
        Assert.True(run.Wait(TimeSpan.FromSeconds(60)), "fuzz run did not finish in 60 s (a hang?)");
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60));
    }

    [Fact]
    public void MutatedTars_ExtractorAndTarSource_OnlyPartErrorsRefusalsAndBadSamples_NothingOutsideOut()
    {
        var seeds = Seeds();
        var rng = new Random(424242);
        using var t = new TempTree();
        var outDir = Path.Combine(t.Root, "out");
        var run = Task.Run(() =>
        {
            for (int i = 0; i < 300; i++)
            {
                var input = Mutate(seeds[i % seeds.Count], rng);
                var part = t.Raw($"m{i % 4}.tar");
                File.WriteAllBytes(part, input);
                try
                {
                    var result = TarExtractor.Run([part], new ExtractionOptions { OutputDir = outDir, Workers = 1 });
                    Assert.All(result.Present, p => Assert.False(p.Contains(".."), p));
                    if (i % 3 == 0 && input.Length > 1 && input[0] != 0x1F)
                    {
                        using var source = new TarImageSource([part]);
                        foreach (var name in source.Index.Names)
                        {
                            try { using var bytes = source.Read(name); }
                            catch (SampleException) { }
                        }
                    }
                }
                catch (Exception e) when (e is not Xunit.Sdk.XunitException)
                {
                    throw new Exception($"mutation {i}: {e.GetType().Name}: {e.Message}", e);
                }
            }
        });
        Assert.True(run.Wait(TimeSpan.FromSeconds(120)), "fuzz run did not finish in 120 s (a hang?)");
        // Only the parts, their index caches and the output folder: nothing landed beside or above --out.
        var outside = t.AllFiles().Where(f => !f.StartsWith("root/out/", StringComparison.Ordinal)
            && !(f.StartsWith("root/raw/", StringComparison.Ordinal) && (f.EndsWith(".tar") || f.Contains(".vgtdata-tarindex-"))));
        Assert.Empty(outside);
        Assert.False(Directory.Exists(Path.Combine(outDir, ExtractionTemp.FolderName)));
    }

    private sealed class NonSeekable(Stream inner) : ForwardReadStream
    {
        public override int Read(Span<byte> buffer) => inner.Read(buffer[..Math.Min(buffer.Length, 777)]);
    }
}
