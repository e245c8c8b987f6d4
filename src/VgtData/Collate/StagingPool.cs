using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace VgtData.Collate;

/// <summary>
/// Host memory for batch tensors, reused from batch to batch. A fresh libtorch tensor per batch is a 64-byte-aligned
/// malloc whose freed hole the next, equally large aligned request cannot reuse, so glibc's heap grows by most of a
/// batch every step in a long run; here every batch tensor is a <c>from_blob</c> view of a pinned block from this pool,
/// and libtorch hands the block back (through the deleter) only when the last tensor sharing its storage is released,
/// so a view a caller keeps past the batch's disposal stays valid.
/// </summary>
/// <remarks>
/// Blocks live on the pinned object heap, so they never touch glibc's heap and the GC returns them to the system
/// after <see cref="Trim"/>. Sizes are bucketed (powers of two below 1 MiB, whole pages above), so the handful of
/// shapes a loader uses (one per resolution, token lengths rounded up) map to a handful of buckets.
/// </remarks>
internal static unsafe class StagingPool
{
    private const int Alignment = 64;
    private const long SmallLimit = 1 << 20;
    private const int MinBlock = 4096;

    /// <summary>Free blocks kept per size: more than the batches a loader keeps in flight plus the ones being used.</summary>
    internal const int MaxFreePerSize = 32;

    private sealed class Block(byte[] array, nint data, long capacity)
    {
        public readonly byte[] Array = array;
        public readonly nint Data = data;
        public readonly long Capacity = capacity;
    }

    private static readonly object Sync = new();
    private static readonly Dictionary<long, Stack<Block>> Free = new();
    private static readonly Dictionary<nint, Block> Lent = new();
    private static long _created;

    /// <summary>Blocks currently backing a live tensor.</summary>
    public static int LentCount { get { lock (Sync) return Lent.Count; } }

    /// <summary>Blocks allocated since the process started (reuse keeps this flat).</summary>
    public static long CreatedCount => Interlocked.Read(ref _created);

    /// <summary>Bytes held in free blocks, waiting for reuse.</summary>
    public static long FreeBytes
    {
        get { lock (Sync) return Free.Sum(kv => kv.Key * kv.Value.Count); }
    }

    /// <summary>
    /// A contiguous CPU tensor of <paramref name="shape"/> over a pooled block, uninitialised. Dispose it (and every
    /// view of it) as usual; the block goes back to the pool when libtorch frees the storage.
    /// </summary>
    public static Tensor Rent(ReadOnlySpan<long> shape, ScalarType dtype)
    {
        long elements = 1;
        foreach (var d in shape)
        {
            if (d < 0) throw new ArgumentOutOfRangeException(nameof(shape), $"negative dimension {d}");
            elements = checked(elements * d);
        }
        long bytes = checked(elements * ElementSize(dtype));
        var block = Take(BucketSize(bytes));
        nint handle;
        fixed (long* dims = shape)
        {
            handle = THSTensor_new(block.Data, &Release, dims, shape.Length, (sbyte)dtype, (sbyte)dtype, (int)DeviceType.CPU, -1, 0);
        }
        if (handle == 0)
        {
            Return(block.Data);
            torch.CheckForErrors();
            throw new VgtDataException($"could not create a [{string.Join(",", shape.ToArray())}] {dtype} staging tensor");
        }
        return Tensor.UnsafeCreateTensor(handle);
    }

    /// <summary>Drops every free block (the GC returns their memory); blocks still in use come back as usual.</summary>
    public static void Trim()
    {
        lock (Sync) Free.Clear();
    }

    internal static long BucketSize(long bytes)
    {
        if (bytes <= MinBlock) return MinBlock;
        if (bytes < SmallLimit) return (long)BitOperations.RoundUpToPowerOf2((ulong)bytes);
        return (bytes + 4095) & ~4095L;
    }

    private static Block Take(long capacity)
    {
        lock (Sync)
        {
            if (Free.TryGetValue(capacity, out var stack) && stack.Count > 0)
            {
                var reused = stack.Pop();
                Lent.Add(reused.Data, reused);
                return reused;
            }
        }
        if (capacity > Array.MaxLength - Alignment)
            throw new VgtDataException($"a batch tensor of {capacity} bytes is larger than one host block can be ({Array.MaxLength - Alignment} bytes)");
        // Pinned-heap arrays never move, so their address can back a tensor for as long as the pool holds them.
        var array = GC.AllocateUninitializedArray<byte>((int)capacity + Alignment, pinned: true);
        nint start = (nint)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(array));
        nint aligned = (start + Alignment - 1) & ~(nint)(Alignment - 1);
        var block = new Block(array, aligned, capacity);
        Interlocked.Increment(ref _created);
        lock (Sync) Lent.Add(aligned, block);
        return block;
    }

    private static void Return(nint data)
    {
        lock (Sync)
        {
            if (!Lent.Remove(data, out var block)) return;
            if (!Free.TryGetValue(block.Capacity, out var stack)) Free[block.Capacity] = stack = new Stack<Block>();
            if (stack.Count < MaxFreePerSize) stack.Push(block);
        }
    }

    // libtorch calls this from whichever thread releases the storage's last reference.
    [UnmanagedCallersOnly]
    private static void Release(nint data) => Return(data);

    private static int ElementSize(ScalarType dtype) => dtype switch
    {
        ScalarType.Byte or ScalarType.Int8 or ScalarType.Bool => 1,
        ScalarType.Int16 or ScalarType.Float16 or ScalarType.BFloat16 => 2,
        ScalarType.Int32 or ScalarType.Float32 => 4,
        ScalarType.Int64 or ScalarType.Float64 or ScalarType.ComplexFloat32 => 8,
        ScalarType.ComplexFloat64 => 16,
        _ => throw new ArgumentException($"no staging for dtype {dtype}", nameof(dtype)),
    };

    // TorchSharp's own entry point for tensors over caller memory (torch::from_blob with a deleter); its managed
    // wrapper only takes arrays, whose deleter we could not observe.
    [DllImport("LibTorchSharp")]
    private static extern nint THSTensor_new(nint data, delegate* unmanaged<nint, void> deleter, long* sizes, int length,
        sbyte scalarType, sbyte dtype, int deviceType, int deviceIndex, byte requiresGrad);
}
