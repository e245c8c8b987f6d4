using System.IO.Compression;
using System.Text;
using TorchSharp;
using static TorchSharp.torch;
using VgtData.Storage;

namespace VgtData.Latents;

/// <summary>
/// Reads one tensor written by Python <c>torch.save(tensor, path)</c> (the zip format, torch 1.6 and later) without
/// Python: <c>&lt;archive&gt;/data.pkl</c> is run by a small pickle machine that knows only the few globals a plain
/// tensor needs, and the storage bytes come from <c>&lt;archive&gt;/data/&lt;key&gt;</c>. Storage offset and strides are
/// honoured; the result is always a contiguous CPU tensor of the saved dtype and shape.
/// Anything else (a dict of tensors, a module, an unknown global or storage type, the legacy non-zip format,
/// truncated data) is a <see cref="VgtDataException"/> naming the file and what was found.
/// </summary>
internal static class TorchSaveReader
{
    /// <summary>Loads the tensor in the file at <paramref name="path"/>.</summary>
    public static Tensor Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        FileStream stream;
        try
        {
            stream = Storage.RegularFile.OpenInputStream(path, Storage.FileLimit.Streamed);
        }
        catch (Storage.UnreadableFileException e)
        {
            throw new VgtDataException($"{path}: cannot open tensor file: {e.Why}", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new VgtDataException($"{path}: cannot open tensor file: {e.Message}", e);
        }
        using (stream) return Load(stream, path);
    }

    /// <summary>Loads the tensor in <paramref name="stream"/>; <paramref name="nameForErrors"/> names it in messages.</summary>
    public static Tensor Load(Stream stream, string nameForErrors)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var name = nameForErrors ?? "<stream>";
        if (!BitConverter.IsLittleEndian) throw new VgtDataException($"{name}: reading tensors needs a little-endian machine");

        Stream seekable = stream;
        if (!stream.CanSeek)
        {
            var copy = new MemoryStream();
            stream.CopyTo(copy);
            copy.Position = 0;
            seekable = copy;
        }
        CheckMagic(seekable, name);

        try
        {
            long archiveBytes = seekable.Length - seekable.Position;
            using var zip = new ZipArchive(seekable, ZipArchiveMode.Read, leaveOpen: true);
            return LoadFromZip(zip, name, archiveBytes);
        }
        catch (VgtDataException)
        {
            throw;
        }
        catch (PickleException e)
        {
            throw new VgtDataException($"{name}: not a plain torch.save(tensor) file: {e.Message}", e);
        }
        catch (OverflowException e)
        {
            throw new VgtDataException($"{name}: tensor sizes, strides or storage size do not fit 64-bit arithmetic", e);
        }
        catch (Exception e) when (e is InvalidDataException or IOException or EndOfStreamException)
        {
            throw new VgtDataException($"{name}: unreadable torch.save archive: {e.Message}", e);
        }
    }

    private static void CheckMagic(Stream s, string name)
    {
        var start = s.Position;
        Span<byte> head = stackalloc byte[4];
        var n = 0;
        while (n < head.Length)
        {
            var r = s.Read(head[n..]);
            if (r == 0) break;
            n += r;
        }
        s.Position = start;
        if (n == 4 && head[0] == (byte)'P' && head[1] == (byte)'K' && head[2] == 3 && head[3] == 4) return;
        if (n == 0) throw new VgtDataException($"{name}: empty file, not a torch.save archive");
        if (head[0] == 0x80)
            throw new VgtDataException(
                $"{name}: legacy (non-zip) torch.save format is not supported; re-save it with torch >= 1.6 " +
                "without _use_new_zipfile_serialization=False");
        throw new VgtDataException($"{name}: not a torch.save file (no zip header; starts with {Convert.ToHexString(head[..n])})");
    }

    /// <summary>How many times its archive's size one entry may decompress to. torch.save stores entries uncompressed
    /// (1×); a re-zipped file may deflate, but a few megabytes never become gigabytes.</summary>
    internal const int MaxExpansion = 64;

    private static Tensor LoadFromZip(ZipArchive zip, string name, long archiveBytes)
    {
        long entryLimit = checked(Math.Max(archiveBytes, 1) * MaxExpansion);
        ZipArchiveEntry? pkl = null;
        foreach (var e in zip.Entries)
        {
            var parts = e.FullName.Split('/');
            if (parts.Length == 2 && parts[1] == "data.pkl")
            {
                if (pkl != null) throw new VgtDataException($"{name}: more than one data.pkl in the archive ({pkl.FullName}, {e.FullName})");
                pkl = e;
            }
        }
        if (pkl == null)
        {
            var listing = string.Join(", ", zip.Entries.Take(10).Select(e => e.FullName));
            throw new VgtDataException($"{name}: zip archive has no <archive>/data.pkl, so it is not a torch.save file (entries: {listing})");
        }
        var prefix = pkl.FullName[..^"data.pkl".Length];

        var byteOrder = zip.GetEntry(prefix + "byteorder");
        if (byteOrder != null)
        {
            var order = Encoding.ASCII.GetString(ReadAll(byteOrder, name, entryLimit, archiveBytes)).Trim();
            if (order != "little") throw new VgtDataException($"{name}: storages are saved '{order}'-endian; only little-endian is supported");
        }

        var result = PickleMachine.Run(ReadAll(pkl, name, entryLimit, archiveBytes));
        if (result is not TensorRef t)
            throw new VgtDataException(
                $"{name}: expected a single tensor saved with torch.save(tensor), found {PickleMachine.Describe(result)}");

        var (dtype, elem) = DType(t.Storage.StorageType, name);
        var dataEntry = zip.GetEntry(prefix + "data/" + t.Storage.Key)
            ?? throw new VgtDataException($"{name}: storage '{prefix}data/{t.Storage.Key}' is missing from the archive");
        var need = checked(t.Storage.Numel * elem);
        if (need > entryLimit)
            throw new VgtDataException(
                $"{name}: storage '{dataEntry.FullName}' claims {t.Storage.Numel} x {t.Storage.StorageType} ({need} bytes), more than {MaxExpansion}x the archive's {archiveBytes} bytes");
        // Only the bytes the tensor's storage needs are read, whatever size the entry declares.
        var storage = ReadAll(dataEntry, name, need, archiveBytes, storageLimit: true);
        if (storage.LongLength < need)
            throw new VgtDataException(
                $"{name}: storage '{dataEntry.FullName}' is truncated: {storage.LongLength} bytes, but {t.Storage.Numel} x {t.Storage.StorageType} needs {need}");

        var bytes = Gather(storage, t, elem, name);
        return MakeTensor(bytes, t.Size, dtype);
    }

    /// <summary>The most a stride-0 or overlapping view may expand to (a plain contiguous tensor is bounded by its storage).</summary>
    private const long MaxRepeatedViewBytes = 16 << 20;

    private static (ScalarType Type, int ElementSize) DType(string storageType, string name) => storageType switch
    {
        "FloatStorage" => (ScalarType.Float32, 4),
        "DoubleStorage" => (ScalarType.Float64, 8),
        "HalfStorage" => (ScalarType.Float16, 2),
        "BFloat16Storage" => (ScalarType.BFloat16, 2),
        "LongStorage" => (ScalarType.Int64, 8),
        "IntStorage" => (ScalarType.Int32, 4),
        "ShortStorage" => (ScalarType.Int16, 2),
        "CharStorage" => (ScalarType.Int8, 1),
        "ByteStorage" => (ScalarType.Byte, 1),
        "BoolStorage" => (ScalarType.Bool, 1),
        _ => throw new VgtDataException($"{name}: unsupported storage type torch.{storageType}"),
    };

    /// <summary>Copies the view (offset, size, stride) out of the storage bytes into a contiguous row-major buffer.</summary>
    private static byte[] Gather(byte[] storage, TensorRef t, int elem, string name)
    {
        var size = t.Size;
        var stride = t.Stride;
        long count = 1;
        foreach (var s in size)
        {
            if (s < 0) throw new VgtDataException($"{name}: negative tensor size [{string.Join(", ", size)}]");
            count = checked(count * s);
        }
        if (t.StorageOffset < 0) throw new VgtDataException($"{name}: negative storage offset {t.StorageOffset}");
        foreach (var s in stride)
            if (s < 0) throw new VgtDataException($"{name}: negative stride [{string.Join(", ", stride)}]");
        if (count == 0) return [];

        long last = t.StorageOffset;
        for (var d = 0; d < size.Length; d++) last = checked(last + (size[d] - 1) * stride[d]);
        if (last >= t.Storage.Numel)
            throw new VgtDataException(
                $"{name}: tensor view (offset {t.StorageOffset}, size [{string.Join(", ", size)}], stride [{string.Join(", ", stride)}]) " +
                $"reaches element {last} of a storage of {t.Storage.Numel}");
        if (checked(count * elem) > Array.MaxLength) throw new VgtDataException($"{name}: tensor of {count} elements is too large");
        // Only a view that repeats elements (stride 0, overlaps) can outgrow its storage: a few bytes must not become gigabytes.
        if (count > t.Storage.Numel && count * elem > MaxRepeatedViewBytes)
            throw new VgtDataException(
                $"{name}: tensor view (size [{string.Join(", ", size)}], stride [{string.Join(", ", stride)}]) repeats a storage of " +
                $"{t.Storage.Numel} elements into {count}; more than {MaxRepeatedViewBytes >> 20} MiB that way is refused");

        var outBytes = new byte[count * elem];
        if (IsContiguous(size, stride))
        {
            Buffer.BlockCopy(storage, checked((int)(t.StorageOffset * elem)), outBytes, 0, outBytes.Length);
            return outBytes;
        }

        // Odometer over all dimensions but the last; the innermost run is copied element by element
        // (or as one block when its stride is 1).
        var rank = size.Length;
        var inner = size[rank - 1];
        var innerStride = stride[rank - 1];
        var index = new long[rank - 1];
        long dst = 0;
        while (true)
        {
            long src = t.StorageOffset;
            for (var d = 0; d < rank - 1; d++) src += index[d] * stride[d];
            if (innerStride == 1)
            {
                Buffer.BlockCopy(storage, (int)(src * elem), outBytes, (int)dst, (int)(inner * elem));
                dst += inner * elem;
            }
            else
            {
                for (long i = 0; i < inner; i++)
                {
                    Buffer.BlockCopy(storage, (int)((src + i * innerStride) * elem), outBytes, (int)dst, elem);
                    dst += elem;
                }
            }
            var k = rank - 2;
            while (k >= 0 && ++index[k] == size[k])
            {
                index[k] = 0;
                k--;
            }
            if (k < 0) break;
        }
        return outBytes;
    }

    private static bool IsContiguous(long[] size, long[] stride)
    {
        long expected = 1;
        for (var d = size.Length - 1; d >= 0; d--)
        {
            if (size[d] != 1 && stride[d] != expected) return false;
            expected *= size[d];
        }
        return true;
    }

    private static Tensor MakeTensor(byte[] bytes, long[] size, ScalarType dtype)
    {
        var t = empty(size, dtype: dtype);
        if (bytes.Length > 0) t.bytes = bytes;
        return t;
    }

    /// <summary>The entry's bytes, at most <paramref name="limit"/>: an entry declaring more is refused unread (or, for a
    /// storage, read only up to what the tensor needs).</summary>
    private static byte[] ReadAll(ZipArchiveEntry entry, string name, long limit, long archiveBytes, bool storageLimit = false)
    {
        var declared = entry.Length;
        if (declared > limit && !storageLimit)
            throw new VgtDataException(
                $"{name}: archive entry {entry.FullName} declares {declared} bytes, more than {MaxExpansion}x the archive's {archiveBytes} bytes");
        declared = Math.Min(declared, limit);
        if (declared > Array.MaxLength) throw new VgtDataException($"{name}: archive entry {entry.FullName} is too large");
        // The declared size is only a claim: grow the buffer as bytes arrive, so a forged header costs nothing.
        var buf = new byte[Math.Min(declared, 1 << 20)];
        using var s = entry.Open();
        var n = 0;
        while (n < declared)
        {
            if (n == buf.Length) Array.Resize(ref buf, (int)Math.Min(declared, 2L * buf.Length));
            var r = s.Read(buf, n, buf.Length - n);
            if (r == 0) break;
            n += r;
        }
        if (n != declared)
            throw new VgtDataException($"{name}: archive entry {entry.FullName} is truncated: {n} of {declared} bytes");
        return buf;
    }
}
