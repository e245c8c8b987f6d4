namespace VgtData.Images;

/// <summary>
/// A native object one thread keeps for reuse (a libdeflate decompressor, a TurboJPEG handle), held in a
/// <c>[ThreadStatic]</c> field: when the thread ends the field's reference goes with it, and the finalizer frees the
/// native object, so loaders that start and stop worker threads (a resume, a new epoch's loader) do not leak one per
/// thread.
/// </summary>
internal sealed unsafe class ThreadNativeHandle
{
    private static long _live;
    private readonly delegate* unmanaged<IntPtr, void> _free;

    public IntPtr Value { get; }

    /// <summary>How many are allocated and not yet freed, in this process (tests).</summary>
    public static long Live => Interlocked.Read(ref _live);

    public ThreadNativeHandle(IntPtr value, delegate* unmanaged<IntPtr, void> free)
    {
        Value = value;
        _free = free;
        Interlocked.Increment(ref _live);
    }

    ~ThreadNativeHandle()
    {
        _free(Value);
        Interlocked.Decrement(ref _live);
    }
}
