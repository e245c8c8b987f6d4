using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Win32.SafeHandles;
using VgtData.Storage;

namespace VgtData.Preparation;

/// <summary>
/// One run at a time on a folder that <c>prepare</c>, <c>extract</c> or an upload writes: an exclusive <c>flock</c> on
/// <c>ROOT/.vgtdata.lock</c>, taken without waiting and held until <see cref="Dispose"/> (the kernel drops it when the
/// process ends, however it ends, so a killed run never leaves the root locked). The file holds the holder's PID, which
/// a refused run names, and is removed on release (a killed run leaves it, unlocked, and the next run takes it).
/// </summary>
internal sealed class RootLock : IDisposable
{
    public const string FileName = ".vgtdata.lock";

    private readonly SafeFileHandle _handle;
    private readonly string _path;

    private RootLock(SafeFileHandle handle, string path)
    {
        _handle = handle;
        _path = path;
    }

    /// <summary>Takes the lock on <paramref name="root"/> (which must exist) for <paramref name="what"/> ("prepare", "extract", "upload").</summary>
    /// <exception cref="RootLockedException">another run holds it.</exception>
    public static RootLock Acquire(string root, string what)
    {
        var path = Path.Combine(root, FileName);
        if (Storage.RegularFile.Examine(path, out var kind) is not (Storage.PathType.Missing or Storage.PathType.Regular))
            throw new VgtDataException($"{path}: {kind}, not the lock file; move it away");
        if (!OperatingSystem.IsLinux() || RuntimeInformation.ProcessArchitecture is not (Architecture.X64 or Architecture.Arm64))
            return AcquireManaged(path, root, what);
        // A holder removes the file before it unlocks: a lock taken on a file no longer at the path is worth nothing, so retry.
        for (int attempt = 0; ; attempt++)
        {
            int fd = NativeOpen(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0x1A4 /* 0644 */);
            if (fd < 0)
                throw new VgtDataException($"{path}: cannot open the lock file ({Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())})");
            var handle = new SafeFileHandle(fd, ownsHandle: true);
            if (Flock(fd, LOCK_EX | LOCK_NB) != 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                handle.Dispose();
                if (errno != EWOULDBLOCK)
                    throw new VgtDataException($"{path}: cannot lock it ({Marshal.GetPInvokeErrorMessage(errno)})");
                throw new RootLockedException(root, what, HolderOf(path));
            }
            if (!Storage.RegularFile.IsSameFile(fd, path))
            {
                handle.Dispose();
                if (attempt < 16) continue;
                throw new VgtDataException($"{path}: the lock file keeps being replaced; is another program removing it?");
            }
            try
            {
                RandomAccess.SetLength(handle, 0);
                RandomAccess.Write(handle, Encoding.ASCII.GetBytes($"{Environment.ProcessId}\n"), 0);
            }
            catch (IOException)
            {
                // The PID is for the message of a refused run only; the lock itself is held.
            }
            return new RootLock(handle, path);
        }
    }

    /// <summary>Removes the lock file, then unlocks (in that order, so a run that opened the old file sees it replaced).</summary>
    public void Dispose()
    {
        if (_handle.IsClosed) return;
        try { File.Delete(_path); } catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        _handle.Dispose();
    }

    private static RootLock AcquireManaged(string path, string root, string what)
    {
        FileStream stream;
        try
        {
            stream = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException)
        {
            throw new RootLockedException(root, what, null);
        }
        stream.SetLength(0);
        stream.Write(Encoding.ASCII.GetBytes($"{Environment.ProcessId}\n"));
        stream.Flush();
        return new RootLock(stream.SafeFileHandle, path);
    }

    /// <summary>The PID written by the holder; null when it cannot be read (it may not have written it yet).</summary>
    private static int? HolderOf(string path)
    {
        int fd = NativeOpen(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0);
        if (fd < 0) return null;
        using var handle = new SafeFileHandle(fd, ownsHandle: true);
        var buffer = new byte[32];
        int n;
        try { n = RandomAccess.Read(handle, buffer, 0); }
        catch (IOException) { return null; }
        return int.TryParse(Encoding.ASCII.GetString(buffer, 0, n).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out int pid) ? pid : null;
    }

    private const int O_RDONLY = 0, O_RDWR = 2, O_CREAT = 0x40, O_NONBLOCK = 0x800, O_CLOEXEC = 0x80000;
    private static readonly int O_NOFOLLOW = RuntimeInformation.ProcessArchitecture == Architecture.Arm64 ? 0x8000 : 0x20000;
    private const int LOCK_EX = 2, LOCK_NB = 4, EWOULDBLOCK = 11;

    [DllImport("libc", EntryPoint = "open", SetLastError = true)]
    private static extern int NativeOpen([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags, int mode);

    [DllImport("libc", EntryPoint = "flock", SetLastError = true)]
    private static extern int Flock(int fd, int operation);
}

/// <summary>Another <c>prepare</c>, <c>extract</c> or upload run holds the folder (exit code 75, docs/exit-codes.md).</summary>
public sealed class RootLockedException : VgtDataException
{
    internal RootLockedException(string root, string what, int? holder)
        : base($"{root}: another run is using this folder (PID {(holder is int pid ? pid.ToString(CultureInfo.InvariantCulture) : "unknown")} holds " +
               $"{Path.Combine(root, RootLock.FileName)}); {what} refused, nothing written; rerun when it has finished")
    {
        HolderPid = holder;
    }

    /// <summary>The PID of the run holding the lock, when it could be read.</summary>
    public int? HolderPid { get; }
}
