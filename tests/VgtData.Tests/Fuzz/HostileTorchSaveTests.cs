using System.Buffers.Binary;
using System.Diagnostics;
using System.Text;
using VgtData.Latents;
using VgtData.Tests.Latents;

namespace VgtData.Tests.Fuzz;

/// <summary>
/// Hand-made hostile .pt files of the kinds the fuzzer steers towards: forged sizes, self-referential or huge pickles.
/// Each must be refused with a <see cref="VgtDataException"/>, quickly and without a large allocation.
/// </summary>
public sealed class HostileTorchSaveTests
{
    private static readonly byte[] OneFloat = BitConverter.GetBytes(1f);

    private static VgtDataException Refused(byte[] archive, long maxAllocated = 8 << 20)
    {
        var before = GC.GetAllocatedBytesForCurrentThread();
        var clock = Stopwatch.StartNew();
        var e = Assert.Throws<VgtDataException>(() => TorchSaveReader.Load(new MemoryStream(archive), "hostile.pt").Dispose());
        Assert.InRange(GC.GetAllocatedBytesForCurrentThread() - before, 0, maxAllocated);
        Assert.InRange(clock.Elapsed.TotalSeconds, 0, 5);
        return e;
    }

    [Fact]
    public void ZipEntryDeclaringTwoGigabytesIsNotAllocated()
    {
        var archive = TorchSaveBuilder.Tensor("FloatStorage", OneFloat, 1, 0, [1], [1]);
        // Forge the uncompressed size of archive/data.pkl in the central directory (what ZipArchive trusts).
        var name = Encoding.ASCII.GetBytes("archive/data.pkl");
        var central = archive.AsSpan().IndexOf("PK\x01\x02"u8);
        while (!archive.AsSpan(central + 46, name.Length).SequenceEqual(name))
            central += 4 + archive.AsSpan(central + 4).IndexOf("PK\x01\x02"u8);
        BinaryPrimitives.WriteUInt32LittleEndian(archive.AsSpan(central + 24), 0x7FFF_FF00);
        var e = Refused(archive);
        Assert.Contains("archive/data.pkl", e.Message);
    }

    [Fact]
    public void StrideZeroViewOfOneElementCannotBecomeAGigabyte()
    {
        var e = Refused(TorchSaveBuilder.Tensor("FloatStorage", OneFloat, 1, 0, [1 << 14, 1 << 14], [0, 0]));
        Assert.Contains("repeats a storage of 1 elements", e.Message);
    }

    [Fact]
    public void SizesWhoseProductOverflowsAreRefused()
    {
        var e = Refused(TorchSaveBuilder.Tensor("FloatStorage", OneFloat, 1, 0, [0x7FFF_FFFF, 0x7FFF_FFFF, 0x7FFF_FFFF], [0, 0, 0]));
        Assert.Contains("do not fit 64-bit", e.Message);
    }

    [Fact]
    public void StorageCountWhoseByteSizeOverflowsIsRefused()
    {
        // numel 2^62 of 8-byte elements: the byte count does not fit 64 bits.
        var p = new PickleWriter().Proto().Tensor("LongStorage", "0", 0x1234_5678, 0, [1], [1]).Stop().ToArray();
        var at = p.AsSpan().IndexOf(new byte[] { (byte)'J', 0x78, 0x56, 0x34, 0x12 });
        var big = new byte[] { 0x8a, 8, 0, 0, 0, 0, 0, 0, 0, 0x40 }; // LONG1 2^62
        var forged = p[..at].Concat(big).Concat(p[(at + 5)..]).ToArray();
        var e = Refused(TorchSaveBuilder.Archive(forged, ("0", new byte[8])));
        Assert.Contains("do not fit 64-bit", e.Message);
    }

    [Fact]
    public void DictHoldingItselfAsKeyIsRefusedAsUnhashable()
    {
        // d = {}; d[d] = None: Python refuses it (unhashable); describing it must not recurse forever.
        var pickle = new byte[] { 0x80, 2, (byte)'}', (byte)'q', 0, (byte)'h', 0, (byte)'N', (byte)'s', (byte)'.' };
        var e = Refused(TorchSaveBuilder.Archive(pickle));
        Assert.Contains("unhashable", e.Message);
    }

    [Fact]
    public void DictWithManyKeysIsReadInLinearTime()
    {
        // SETITEMS with 200,000 distinct int keys (2 MB of pickle): quadratic key lookup would take minutes.
        var s = new MemoryStream();
        s.Write([0x80, 2, (byte)'}', (byte)'(']);
        for (var i = 0; i < 200_000; i++)
        {
            s.WriteByte((byte)'J');
            s.Write(BitConverter.GetBytes(i));
            s.WriteByte((byte)'N');
        }
        s.Write([(byte)'u', (byte)'.']);
        var e = Refused(TorchSaveBuilder.Archive(s.ToArray()), maxAllocated: 256 << 20);
        Assert.Contains("a dict with 200000 entries", e.Message);
    }

    [Theory]
    [InlineData(64)]
    [InlineData(65)]
    [InlineData(1000)]
    public void ManyDimensionsLoadOrAreRefused(int rank)
    {
        var ones = Enumerable.Repeat(1L, rank).ToArray();
        var archive = TorchSaveBuilder.Tensor("FloatStorage", OneFloat, 1, 0, ones, ones);
        try
        {
            using var t = TorchSaveReader.Load(new MemoryStream(archive), "hostile.pt");
            Assert.Equal(rank, t.dim());
            Assert.Equal(1f, t.reshape(1).item<float>());
        }
        catch (VgtDataException e)
        {
            Assert.Contains("hostile.pt", e.Message);
        }
    }
}
