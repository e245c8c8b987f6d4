using System.Buffers.Binary;
using System.Globalization;
using System.IO.Hashing;
using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace VgtData.Manifests;

/// <summary>
/// A node's record that an index file passed its checksum, so the ranks and workers that open it after the first do not
/// hash the whole file again. Kept in the node's temporary folder (<c>TMPDIR/vgtdata-UID/checked/</c>, a folder only its
/// owner can write; a shared dataset folder would have every node overwrite the others' records), one small file per
/// index path holding the file's identity when it was checked: boot id, device, inode, size, mtime and ctime (all with
/// nanoseconds), and its header checksum. Any write to the file changes its ctime, a rename or copy changes its inode,
/// and a reboot changes the boot id, so each of them makes the next open hash the file again. A file is recorded only
/// once its ctime is <see cref="Settle"/> old: a write in the same clock tick as the check could otherwise leave the ctime
/// unchanged. Linux only (statx); elsewhere every open hashes.
/// </summary>
internal static unsafe class CheckedStamp
{
    /// <summary>How old a file's last change must be before a check of it is recorded (file-system timestamps are taken
    /// from a clock that ticks coarsely, up to a second on some file systems).</summary>
    internal static TimeSpan Settle { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>The folder the records live in (tests point it elsewhere).</summary>
    internal static string? Folder { get; set; }

    private static readonly Lazy<string> BootId = new(() =>
    {
        try
        {
            return File.ReadAllText("/proc/sys/kernel/random/boot_id").Trim();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return "";
        }
    });

    /// <summary>The identity of the open file <paramref name="handle"/> and its last change (UTC); null where it cannot
    /// be read (not Linux, no statx).</summary>
    public static (string Identity, DateTime Changed)? Of(SafeFileHandle handle)
    {
        if (!OperatingSystem.IsLinux() || Statx(handle, "", out var s) != 0) return null;
        var identity = string.Create(CultureInfo.InvariantCulture,
            $"{BootId.Value} {s.DevMajor}:{s.DevMinor} {s.Inode} {s.Size} {s.Mtime} {s.Ctime}");
        return (identity, DateTime.UnixEpoch.AddTicks(s.CtimeSeconds * TimeSpan.TicksPerSecond + s.CtimeNanos / 100));
    }

    /// <summary>Whether this node checked the file at <paramref name="path"/> when it had <paramref name="identity"/> and
    /// held <paramref name="checksum"/> in its header.</summary>
    public static bool Holds(string path, string identity, ulong checksum)
    {
        if (RecordPath(path) is not { } record) return false;
        try
        {
            using var handle = File.OpenHandle(record);
            var buffer = new byte[512];
            int n = RandomAccess.Read(handle, buffer, 0);
            return n < buffer.Length && Encoding.UTF8.GetString(buffer, 0, n) == Line(identity, checksum);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>Records that the file at <paramref name="path"/> passed its checksum with <paramref name="identity"/>;
    /// nothing when its last change is too recent or the record cannot be written (the next open hashes again).</summary>
    public static void Record(string path, string identity, DateTime changed, ulong checksum)
    {
        if (DateTime.UtcNow - changed < Settle || RecordPath(path) is not { } record) return;
        var temp = $"{record}.{Environment.ProcessId}.tmp";
        try
        {
            File.WriteAllText(temp, Line(identity, checksum));
            File.Move(temp, record, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            try { File.Delete(temp); } catch (Exception d) when (d is IOException or UnauthorizedAccessException) { }
        }
    }

    private static string Line(string identity, ulong checksum) => $"vgtidx-checked 1 {identity} {checksum:x16}\n";

    /// <summary>The record's path for an index path, in a folder this user owns and only this user can write; null when
    /// there is no such folder.</summary>
    internal static string? RecordPath(string indexPath, string? folder = null)
    {
        if (!OperatingSystem.IsLinux()) return null;
        folder ??= Folder ?? Path.Combine(Path.GetTempPath(), $"vgtdata-{Geteuid()}", "checked");
        const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
        try
        {
            var parent = Path.GetDirectoryName(Path.GetFullPath(folder))!;
            if (!Directory.Exists(parent)) Directory.CreateDirectory(parent, OwnerOnly);
            Directory.CreateDirectory(folder, OwnerOnly);
            // Someone else's folder (made first in a shared /tmp) could hold forged records: use it only if it is ours and
            // no one else may write there, nor replace it (its parent is ours or root's, and others' writes there are
            // limited to their own entries by the sticky bit, as in /tmp).
            if (!Private(folder, allowSticky: false) || !Private(parent, allowSticky: true)) return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
        var hash = XxHash64.HashToUInt64(Encoding.UTF8.GetBytes(Path.GetFullPath(indexPath)));
        return Path.Combine(folder, hash.ToString("x16", CultureInfo.InvariantCulture));
    }

    private static bool Private(string folder, bool allowSticky)
    {
        const int GroupOrOtherWrite = 0x12, Sticky = 0x200;   // S_IWGRP | S_IWOTH, S_ISVTX
        return Statx(null, folder, out var s) == 0 && (s.Uid == Geteuid() || (allowSticky && s.Uid == 0))
            && ((s.Mode & GroupOrOtherWrite) == 0 || (allowSticky && (s.Mode & Sticky) != 0));
    }

    private readonly record struct Stat(uint Uid, ushort Mode, ulong Inode, ulong Size, long CtimeSeconds, uint CtimeNanos,
        string Mtime, string Ctime, uint DevMajor, uint DevMinor);

    private const int AtFdCwd = -100, AtEmptyPath = 0x1000, AtSymlinkNoFollow = 0x100;
    private const uint StatxBasicStats = 0x7ff;

    /// <summary>statx of an open file (<paramref name="handle"/>, empty path) or of a path (not following a last symlink).
    /// struct statx has one layout on every Linux architecture.</summary>
    private static int Statx(SafeFileHandle? handle, string path, out Stat stat)
    {
        stat = default;
        var buffer = stackalloc byte[256];
        int result;
        try
        {
            if (handle is null) result = statx(AtFdCwd, path, AtSymlinkNoFollow, StatxBasicStats, buffer);
            else
            {
                bool added = false;
                handle.DangerousAddRef(ref added);
                try
                {
                    result = statx((int)handle.DangerousGetHandle(), "", AtEmptyPath, StatxBasicStats, buffer);
                }
                finally
                {
                    if (added) handle.DangerousRelease();
                }
            }
        }
        catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException)
        {
            return -1;
        }
        if (result != 0) return result;
        var b = new ReadOnlySpan<byte>(buffer, 256);
        static string Time(ReadOnlySpan<byte> t) => string.Create(CultureInfo.InvariantCulture,
            $"{BinaryPrimitives.ReadInt64LittleEndian(t)}.{BinaryPrimitives.ReadUInt32LittleEndian(t[8..]):D9}");
        stat = new Stat(
            Uid: BinaryPrimitives.ReadUInt32LittleEndian(b[20..]),
            Mode: BinaryPrimitives.ReadUInt16LittleEndian(b[28..]),
            Inode: BinaryPrimitives.ReadUInt64LittleEndian(b[32..]),
            Size: BinaryPrimitives.ReadUInt64LittleEndian(b[40..]),
            CtimeSeconds: BinaryPrimitives.ReadInt64LittleEndian(b[96..]),
            CtimeNanos: BinaryPrimitives.ReadUInt32LittleEndian(b[104..]),
            Mtime: Time(b[112..]),
            Ctime: Time(b[96..]),
            DevMajor: BinaryPrimitives.ReadUInt32LittleEndian(b[136..]),
            DevMinor: BinaryPrimitives.ReadUInt32LittleEndian(b[140..]));
        return 0;
    }

    [DllImport("libc", SetLastError = true, EntryPoint = "statx")]
    private static extern int statx(int dirfd, [MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags, uint mask, byte* buffer);

    [DllImport("libc", EntryPoint = "geteuid")]
    private static extern uint Geteuid();
}
