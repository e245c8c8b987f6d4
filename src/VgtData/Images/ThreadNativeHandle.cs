namespace VgtData.Images;

/// <summary>
/// A native object one thread keeps for reuse (a libdeflate decompressor, a TurboJPEG handle), held in a
/// <c>[ThreadStatic]</c> field: when the thread ends the field's reference goes with it, and the finalizer frees the
/// native object, so loaders that start and stop worker threads (a resume, a new epoch's loader) do not leak one per
/// thread.
/// </summary>
internal sealed unsafe class ThreadNativeHandle
{
    private readonly delegate* unmanaged<IntPtr, void> _free;

    public IntPtr Value { get; }

    public ThreadNativeHandle(IntPtr value, delegate* unmanaged<IntPtr, void> free)
    {
        Value = value;
        _free = free;
    }

    ~ThreadNativeHandle() => _free(Value);
}
