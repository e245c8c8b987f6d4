using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace VgtData.Sources;

/// <summary>
/// Opens a file for reading only when it is a regular file, and says what it is otherwise. On Linux the file is opened
/// non-blocking (a FIFO never waits for a writer) and its type and size come from <c>fstat</c> on that descriptor, so
/// nothing can be swapped in between the check and the read. Elsewhere, .NET's own checks are used.
/// </summary>
internal static class RegularFile
{
    /// <summary>Opens <paramref name="path"/>; throws <see cref="SampleException"/> with its own reason for a missing file,
    /// a directory, a FIFO, a device or socket, and a file over <paramref name="maxBytes"/>.</summary>
    public static SafeFileHandle Open(string path, long maxBytes, out long length)
    {
        if (OperatingSystem.IsLinux() && (RuntimeInformation.ProcessArchitecture is Architecture.X64 or Architecture.Arm64))
            return OpenLinux(path, maxBytes, out length);
        if (Directory.Exists(path)) throw NotAFile(path, "is a directory");
        SafeFileHandle handle;
        try
        {
            handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read, FileOptions.SequentialScan);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new SampleException(SampleFailureReason.MissingFile, path, "no such file");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SampleException(SampleFailureReason.MissingFile, path, e.Message);
        }
        length = RandomAccess.GetLength(handle);
        CheckSize(path, length, maxBytes, handle);
        return handle;
    }

    private const int O_RDONLY = 0, O_NONBLOCK = 0x800, O_CLOEXEC = 0x80000;
    private const uint S_IFMT = 0xF000, S_IFREG = 0x8000, S_IFDIR = 0x4000, S_IFIFO = 0x1000, S_IFCHR = 0x2000, S_IFBLK = 0x6000, S_IFSOCK = 0xC000;
    private const int ENOENT = 2, EACCES = 13, ENOTDIR = 20, ELOOP = 40, ENAMETOOLONG = 36;

    [DllImport("libc", EntryPoint = "open", SetLastError = true)]
    private static extern int NativeOpen([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags);

    [DllImport("libc", EntryPoint = "fstat", SetLastError = true)]
    private static extern unsafe int NativeFstat(int fd, byte* stat);

    [DllImport("libc", EntryPoint = "__fxstat", SetLastError = true)]
    private static extern unsafe int NativeFxstat(int version, int fd, byte* stat);

    private static bool _useFxstat;

    // glibc before 2.33 exports fstat only as __fxstat(version, fd, buf).
    private static unsafe int Fstat(int fd, byte* stat)
    {
        if (!_useFxstat)
        {
            try { return NativeFstat(fd, stat); }
            catch (EntryPointNotFoundException) { _useFxstat = true; }
        }
        return NativeFxstat(RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 1 : 0, fd, stat);
    }

    private static unsafe SafeFileHandle OpenLinux(string path, long maxBytes, out long length)
    {
        if (path.Contains('\0')) throw new SampleException(SampleFailureReason.MissingFile, path, "the path contains a NUL character");
        int fd = NativeOpen(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
        if (fd < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            // A directory opens read-only; anything else that fails is named by its errno.
            throw new SampleException(SampleFailureReason.MissingFile, path, errno switch
            {
                ENOENT => "no such file",
                ENOTDIR => "a folder on the path is not a folder",
                EACCES => "permission denied",
                ELOOP => "too many levels of symbolic links",
                ENAMETOOLONG => "the path is too long",
                _ => $"cannot open it ({Marshal.GetPInvokeErrorMessage(errno)})",
            });
        }
        var handle = new SafeFileHandle(fd, ownsHandle: true);
        try
        {
            // struct stat: 144 bytes on x86-64, 128 on arm64; 256 covers both.
            byte* stat = stackalloc byte[256];
            int rc = Fstat(fd, stat);
            if (rc != 0)
                throw new SampleException(SampleFailureReason.MissingFile, path, $"cannot stat it ({Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())})");
            bool x64 = RuntimeInformation.ProcessArchitecture == Architecture.X64;
            uint mode = *(uint*)(stat + (x64 ? 24 : 16));
            length = *(long*)(stat + 48);
            switch (mode & S_IFMT)
            {
                case S_IFREG: break;
                case S_IFDIR: throw NotAFile(path, "is a directory");
                case S_IFIFO: throw NotAFile(path, "is a FIFO (named pipe)");
                case S_IFCHR: throw NotAFile(path, "is a character device");
                case S_IFBLK: throw NotAFile(path, "is a block device");
                case S_IFSOCK: throw NotAFile(path, "is a socket");
                default: throw NotAFile(path, $"is not a regular file (mode {mode:o})");
            }
            CheckSize(path, length, maxBytes, handle);
            return handle;
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    private static void CheckSize(string path, long length, long maxBytes, SafeFileHandle handle)
    {
        if (length <= maxBytes && length <= Array.MaxLength) return;
        handle.Dispose();
        throw new SampleException(SampleFailureReason.FileTooLarge, path,
            $"file is {length} bytes, over the limit of {Math.Min(maxBytes, Array.MaxLength)} bytes (dataset.max_file_mb)");
    }

    private static SampleException NotAFile(string path, string what) => new(SampleFailureReason.NotAFile, path, what);
}
