using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace VgtData.Storage;

/// <summary>
/// Opens a file for reading only when it is a regular file, and says what it is otherwise. On Linux the file is opened
/// non-blocking (a FIFO never waits for a writer) and its type and size come from <c>fstat</c> on that descriptor, so
/// nothing can be swapped in between the check and the read. Elsewhere, .NET's own checks are used. Every file the
/// program reads goes through here: images and a sample's other files (a refusal is a <see cref="SampleException"/>),
/// and configs, manifests, templates, tar parts and upload files (a <see cref="UnreadableFileException"/>).
/// </summary>
internal static class RegularFile
{
    /// <summary>Opens an image; throws <see cref="SampleException"/> with its own reason for a missing file, a directory,
    /// a FIFO, a device or socket, and a file over <paramref name="maxBytes"/> (<c>dataset.max_file_mb</c>).</summary>
    public static SafeFileHandle Open(string path, long maxBytes, out long length) =>
        Open(path, Math.Min(maxBytes, Array.MaxLength), "dataset.max_file_mb", out length);

    /// <summary>As <see cref="Open(string, long, out long)"/>; <paramref name="limitName"/> says in the refusal how the
    /// limit is set.</summary>
    public static SafeFileHandle Open(string path, long maxBytes, string limitName, out long length)
    {
        // A UTF-16 path with a lone surrogate has no file-system name: it would be opened as U+FFFD, another file.
        if (LoneSurrogates.IndexOf(path) is int at and >= 0)
            throw new SampleException(SampleFailureReason.MissingFile, path, $"the path holds a {LoneSurrogates.Describe(path, at)}, which UTF-8 cannot encode");
        if (OperatingSystem.IsLinux() && (RuntimeInformation.ProcessArchitecture is Architecture.X64 or Architecture.Arm64))
            return OpenLinux(path, maxBytes, limitName, out length);
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
        CheckSize(path, length, maxBytes, limitName, handle);
        return handle;
    }

    /// <summary>Opens a file that is not part of a sample (a config, manifest, tar part, ...): the same checks, refused
    /// with an <see cref="UnreadableFileException"/> naming the file and the reason.</summary>
    public static SafeFileHandle OpenInput(string path, FileLimit limit, out long length)
    {
        try
        {
            return Open(path, limit.Bytes, limit.Name, out length);
        }
        catch (SampleException e)
        {
            throw new UnreadableFileException(path, SampleException.ReasonName(e.Reason), e.Detail);
        }
    }

    /// <summary>A non-sample file as a stream (for files read in pieces: manifests, tar parts, annotations).</summary>
    public static FileStream OpenInputStream(string path, FileLimit limit, int bufferSize = 1 << 16, FileOptions options = FileOptions.SequentialScan)
    {
        var handle = OpenInput(path, limit, out _);
        // The descriptor was opened non-blocking; for a regular file that changes nothing.
        return new FileStream(handle, FileAccess.Read, bufferSize, isAsync: false);
    }

    /// <summary>A non-sample file's bytes, at most <paramref name="limit"/> (and never more than an array holds).</summary>
    public static byte[] ReadAllInput(string path, FileLimit limit)
    {
        using var handle = OpenInput(path, limit with { Bytes = Math.Min(limit.Bytes, Array.MaxLength) }, out long length);
        return ReadAll(handle, length);
    }

    /// <summary>A non-sample file as text: UTF-8, or what its byte-order mark says, as <see cref="File.ReadAllText(string)"/>.</summary>
    public static string ReadAllInputText(string path, FileLimit limit) => Decode(ReadAllInput(path, limit));

    /// <summary>A sample's file other than its image (annotation, latents): refusals are <see cref="SampleException"/>s with
    /// that file's own reasons, <paramref name="missing"/> when it cannot be opened and <paramref name="unreadable"/> when
    /// it is not a regular file or is over <paramref name="maxBytes"/> (the detail says which).</summary>
    public static byte[] ReadAllSampleFile(string path, long maxBytes, SampleFailureReason missing, SampleFailureReason unreadable)
    {
        SafeFileHandle handle;
        long length;
        try
        {
            handle = Open(path, maxBytes, out length);
        }
        catch (SampleException e)
        {
            throw new SampleException(e.Reason == SampleFailureReason.MissingFile ? missing : unreadable, path, e.Detail);
        }
        using (handle) return ReadAll(handle, length);
    }

    /// <summary>UTF-8 text, a byte-order mark honoured (UTF-8's dropped; a UTF-16 or UTF-32 one selects that encoding).</summary>
    public static string Decode(ReadOnlySpan<byte> bytes)
    {
        // The common case, per annotation read: plain UTF-8, decoded straight from the buffer with no stream or copy.
        if (bytes.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF])) return System.Text.Encoding.UTF8.GetString(bytes[3..]);
        if (bytes.Length < 2 || !(bytes[0] is 0xFE or 0xFF || bytes[..2].SequenceEqual((ReadOnlySpan<byte>)[0, 0])))
            return System.Text.Encoding.UTF8.GetString(bytes);
        using var reader = new StreamReader(new MemoryStream(bytes.ToArray(), writable: false), System.Text.Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
        return reader.ReadToEnd();
    }

    // The size fstat gave is the most read: a file that grows meanwhile is not followed.
    private static byte[] ReadAll(SafeFileHandle handle, long length)
    {
        var bytes = new byte[length];
        int n = 0;
        while (n < bytes.Length)
        {
            int r = RandomAccess.Read(handle, bytes.AsSpan(n), n);
            if (r == 0) break;
            n += r;
        }
        return n == bytes.Length ? bytes : bytes[..n];
    }

    private const int O_RDONLY = 0, O_NONBLOCK = 0x800, O_CLOEXEC = 0x80000;
    private const uint S_IFLNK = 0xA000, S_IFMT = 0xF000, S_IFREG = 0x8000, S_IFDIR = 0x4000, S_IFIFO = 0x1000, S_IFCHR = 0x2000, S_IFBLK = 0x6000, S_IFSOCK = 0xC000;
    private const int ENOENT = 2, EACCES = 13, ENOTDIR = 20, ELOOP = 40, ENAMETOOLONG = 36;

    [DllImport("libc", EntryPoint = "open", SetLastError = true)]
    private static extern int NativeOpen([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags);

    [DllImport("libc", EntryPoint = "fstat", SetLastError = true)]
    private static extern unsafe int NativeFstat(int fd, byte* stat);

    [DllImport("libc", EntryPoint = "__fxstat", SetLastError = true)]
    private static extern unsafe int NativeFxstat(int version, int fd, byte* stat);

    [DllImport("libc", EntryPoint = "lstat", SetLastError = true)]
    private static extern unsafe int NativeLstat([MarshalAs(UnmanagedType.LPUTF8Str)] string path, byte* stat);

    [DllImport("libc", EntryPoint = "__lxstat", SetLastError = true)]
    private static extern unsafe int NativeLxstat(int version, [MarshalAs(UnmanagedType.LPUTF8Str)] string path, byte* stat);

    private static bool _useFxstat, _useLxstat;

    // As Fstat: glibc before 2.33 exports lstat only as __lxstat.
    private static unsafe int Lstat(string path, byte* stat)
    {
        if (!_useLxstat)
        {
            try { return NativeLstat(path, stat); }
            catch (EntryPointNotFoundException) { _useLxstat = true; }
        }
        return NativeLxstat(RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 1 : 0, path, stat);
    }

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

    private static unsafe SafeFileHandle OpenLinux(string path, long maxBytes, string limitName, out long length)
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
            if (TypeName(mode) is { } what) throw NotAFile(path, what);
            CheckSize(path, length, maxBytes, limitName, handle);
            return handle;
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    /// <summary>Null for a regular file, else what the mode says it is ("is a FIFO (named pipe)").</summary>
    private static string? TypeName(uint mode) => (mode & S_IFMT) switch
    {
        S_IFREG => null,
        S_IFDIR => "is a directory",
        S_IFIFO => "is a FIFO (named pipe)",
        S_IFCHR => "is a character device",
        S_IFBLK => "is a block device",
        S_IFSOCK => "is a socket",
        S_IFLNK => "is a symbolic link",
        _ => $"is not a regular file (mode {Convert.ToString(mode, 8)})",
    };

    /// <summary>What is at <paramref name="path"/> itself, a symbolic link not followed; <paramref name="what"/> says it in
    /// words for anything but a regular file or nothing ("is a symbolic link", "is a character device"). For checks
    /// before a write or during a walk.</summary>
    public static unsafe PathType Examine(string path, out string what)
    {
        what = "";
        if (OperatingSystem.IsLinux() && (RuntimeInformation.ProcessArchitecture is Architecture.X64 or Architecture.Arm64)
            && !path.Contains('\0') && LoneSurrogates.IndexOf(path) < 0)
        {
            byte* stat = stackalloc byte[256];
            if (Lstat(path, stat) != 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                if (errno is ENOENT or ENOTDIR) return PathType.Missing;
                what = $"cannot be examined ({Marshal.GetPInvokeErrorMessage(errno)})";
                return PathType.Other;
            }
            uint mode = *(uint*)(stat + (RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 24 : 16));
            what = TypeName(mode) ?? "";
            return (mode & S_IFMT) switch { S_IFREG => PathType.Regular, S_IFDIR => PathType.Directory, S_IFLNK => PathType.Symlink, _ => PathType.Other };
        }
        var info = new FileInfo(path);
        if (info.LinkTarget is not null) { what = "is a symbolic link"; return PathType.Symlink; }
        if (Directory.Exists(path)) { what = "is a directory"; return PathType.Directory; }
        return info.Exists ? PathType.Regular : PathType.Missing;
    }

    /// <summary>Whether <paramref name="path"/> (not followed) is still the file open as <paramref name="fd"/>: false once it
    /// was removed or replaced. Linux only.</summary>
    internal static unsafe bool IsSameFile(int fd, string path)
    {
        // st_dev and st_ino are the first two 8-byte fields on x86-64 and arm64 alike.
        byte* open = stackalloc byte[256];
        byte* named = stackalloc byte[256];
        if (Fstat(fd, open) != 0 || Lstat(path, named) != 0) return false;
        return *(ulong*)open == *(ulong*)named && *(ulong*)(open + 8) == *(ulong*)(named + 8);
    }

    private static void CheckSize(string path, long length, long maxBytes, string limitName, SafeFileHandle handle)
    {
        if (length <= maxBytes) return;
        handle.Dispose();
        throw new SampleException(SampleFailureReason.FileTooLarge, path, $"file is {length} bytes, over the limit of {maxBytes} bytes ({limitName})");
    }

    private static SampleException NotAFile(string path, string what) => new(SampleFailureReason.NotAFile, path, what);
}

/// <summary>What <see cref="RegularFile.Examine"/> found at a path (a symbolic link is not followed).</summary>
internal enum PathType { Missing, Regular, Directory, Symlink, Other }
