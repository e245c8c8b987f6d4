using System.IO.Compression;
using System.Text;
using VgtData.Latents;

namespace VgtData.Tests.Latents;

/// <summary>
/// Latent zip bombs: a small .pt whose entry declares (and deflates to) a huge size. Before, the reader grew its buffer
/// to the declared size (a 1.8 MB file drove RSS past 3 GB); now no entry is read past 64 times the archive's real size
/// or, for a storage, past the bytes the tensor's storage claims.
/// </summary>
public sealed class LatentBombTests
{
    /// <summary>A torch.save layout whose named entry is <paramref name="zeros"/> zero bytes, deflated.</summary>
    private static byte[] Bomb(byte[] pickle, string deflatedEntry, long zeros)
    {
        var ms = new MemoryStream();
        using (var zip = new ZipArchive(ms, ZipArchiveMode.Create, leaveOpen: true))
        {
            void Add(string name, byte[] bytes, long zeroCount)
            {
                var entry = zip.CreateEntry(name, zeroCount > 0 ? CompressionLevel.SmallestSize : CompressionLevel.NoCompression);
                using var s = entry.Open();
                s.Write(bytes);
                var block = new byte[1 << 20];
                for (long left = zeroCount; left > 0; left -= block.Length) s.Write(block, 0, (int)Math.Min(block.Length, left));
            }
            Add("archive/data.pkl", deflatedEntry == "archive/data.pkl" ? [] : pickle, deflatedEntry == "archive/data.pkl" ? zeros : 0);
            Add("archive/data/0", [], deflatedEntry == "archive/data/0" ? zeros : 0);
            Add("archive/version", Encoding.ASCII.GetBytes("3\n"), 0);
        }
        return ms.ToArray();
    }

    private static byte[] FloatTensor(long numel) =>
        new PickleWriter().Proto().Tensor("FloatStorage", "0", numel, 0, [numel], [1]).Stop().ToArray();

    private static (Exception? Error, long Allocated) Load(byte[] file, Action<TorchSharp.torch.Tensor>? check = null)
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        try
        {
            using var t = TorchSaveReader.Load(new MemoryStream(file, writable: false), "bomb.pt");
            check?.Invoke(t);
            return (null, GC.GetAllocatedBytesForCurrentThread() - before);
        }
        catch (VgtDataException e)
        {
            return (e, GC.GetAllocatedBytesForCurrentThread() - before);
        }
    }

    [Fact]
    public void AStorageClaimingFarMoreThanTheArchiveIsRefusedUnread()
    {
        const long numel = 64L << 20;   // 256 MiB of float32, deflated to a few hundred KB
        var file = Bomb(FloatTensor(numel), "archive/data/0", numel * 4);
        Assert.True(file.Length < 2 << 20, $"the bomb is {file.Length} bytes");
        var (error, allocated) = Load(file);
        Assert.Equal($"bomb.pt: storage 'archive/data/0' claims {numel} x FloatStorage ({numel * 4} bytes), more than 64x the archive's {file.Length} bytes",
            Assert.IsType<VgtDataException>(error).Message);
        Assert.True(allocated < 16 << 20, $"{allocated} bytes allocated");
    }

    [Fact]
    public void AStorageEntryDeclaringMoreThanTheTensorNeedsIsReadOnlyThatFar()
    {
        // The tensor claims 4 floats; the entry declares (and holds) 128 MiB of zeros.
        var file = Bomb(FloatTensor(4), "archive/data/0", 128L << 20);
        var (error, allocated) = Load(file, t => Assert.Equal(new float[4], t.data<float>().ToArray()));
        Assert.Null(error);
        Assert.True(allocated < 16 << 20, $"{allocated} bytes allocated");
    }

    [Fact]
    public void AnExpandingPickleIsRefusedUnread()
    {
        var file = Bomb([], "archive/data.pkl", 128L << 20);
        var (error, allocated) = Load(file);
        Assert.Equal($"bomb.pt: archive entry archive/data.pkl declares {128L << 20} bytes, more than 64x the archive's {file.Length} bytes",
            Assert.IsType<VgtDataException>(error).Message);
        Assert.True(allocated < 16 << 20, $"{allocated} bytes allocated");
    }

    [Fact]
    public void AFileOnDiskGoesThroughTheSameBound()
    {
        const long numel = 64L << 20;
        var path = Path.Combine(Path.GetTempPath(), $"vgtdata-bomb-{Guid.NewGuid():N}.pt");
        var file = Bomb(FloatTensor(numel), "archive/data/0", numel * 4);
        File.WriteAllBytes(path, file);
        try
        {
            var e = Assert.Throws<VgtDataException>(() => TorchSaveReader.Load(path));
            Assert.Equal($"{path}: storage 'archive/data/0' claims {numel} x FloatStorage ({numel * 4} bytes), more than 64x the archive's {file.Length} bytes", e.Message);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
