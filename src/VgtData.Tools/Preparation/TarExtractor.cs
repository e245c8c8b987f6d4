using System.Buffers;
using System.Collections.Concurrent;
using System.IO.Compression;
using VgtData.Sources;
using VgtData.Storage;

namespace VgtData.Preparation;

/// <summary>
/// Extracts tar / tar.gz parts in parallel (one part per worker), safely and resumably:
/// <list type="bullet">
/// <item>only regular files are written, only below the output folder: absolute names, ".." components, NUL in a
/// name, over-long names, symlinks, hard links, devices, fifos and sparse files are refused and reported;</item>
/// <item>nothing already under the output folder is followed: each folder on a member's path is checked with lstat
/// before use, and a symlink (or a file where a folder is needed) refuses that member only;</item>
/// <item>each file is written to a short temporary name in <c>OUT/.vgtdata-tmp/</c> and renamed into place when
/// complete, so an interruption never leaves a partial file under a real name; a re-run deletes only those
/// temporaries, skips files whose size matches the member and rewrites the rest;</item>
/// <item>one member that cannot be written (name conflict, file system refusal) is reported and the part goes on;
/// only damage to the part itself (truncation, bad header, bad gzip data) stops it, as a <see cref="PartError"/>;</item>
/// <item>two members for the same path: the first in (part, member) order wins whatever the thread timing; the other
/// is reported as a name collision unless its bytes are identical.</item>
/// </list>
/// gzip-compressed parts (detected by magic bytes) are inflated with .NET's GZipStream, every gzip member to the end.
/// </summary>
internal static class TarExtractor
{
    private const int CopyBuffer = 1 << 20;

    private sealed class Claim
    {
        public long Order = long.MaxValue;
        public string Part = "";
        public string Member = "";
        public long Size;
        public bool Written;
        /// <summary>Listing in place: several members name this path, so none holds it.</summary>
        public bool Contested;
        public bool Owned => Order != long.MaxValue;
        public bool Held => Owned && !Contested;
    }

    /// <summary>Reading the part failed while a member was being written: the part is damaged, not the member.</summary>
    private sealed class PartReadException(Exception inner) : Exception(inner.Message, inner);

    public static ExtractionResult Run(IReadOnlyList<string> parts, ExtractionOptions options)
    {
        var outDir = Path.GetFullPath(options.OutputDir);
        // A part that is not a regular file (a FIFO would block, a device never ends) stops the run before anything is written.
        foreach (var part in parts) RegularFile.OpenInput(part, FileLimit.Streamed, out _).Dispose();
        bool listOnly = options.ListOnly;
        if (!listOnly) PrepareOutputFolder(outDir);
        using var outLock = listOnly ? null : RootLock.Acquire(outDir, "extract");
        var temp = listOnly ? null : ExtractionTemp.Open(outDir);

        var claims = new ConcurrentDictionary<string, Claim>(StringComparer.Ordinal);
        var refused = new ConcurrentBag<(long Order, RefusedMember Member)>();
        var errors = new ConcurrentBag<(int Part, PartError Error)>();
        int duplicates = 0;
        var label = options.PartLabel ?? (p => p);
        var token = options.Cancellation;

        void Refuse(long order, string part, string member, string reason) => refused.Add((order, new RefusedMember(part, member, reason)));

        void ExtractPart(int partIndex)
        {
            var partPath = parts[partIndex];
            var partLabel = label(partPath);
            var buffer = ArrayPool<byte>.Shared.Rent(CopyBuffer);
            long memberIndex = 0;
            try
            {
                using var stream = OpenPart(partPath, options.Progress);
                using var reader = new TarMemberReader(stream, leaveOpen: true);
                while (reader.Next() is { } m)
                {
                    token.ThrowIfCancellationRequested();
                    long order = ((long)partIndex << 32) | memberIndex++;
                    try
                    {
                        var reason = ExtractMember(reader, m, order, partLabel);
                        if (reason != null) Refuse(order, partLabel, m.Name, reason);
                    }
                    catch (Exception e) when (e is IOException or UnauthorizedAccessException && e is not TarFormatException)
                    {
                        // The file system refused this one member (e.g. a name it cannot hold): report it and go on.
                        Refuse(order, partLabel, m.Name, $"{RefusalReasons.WriteFailed}: {e.Message}");
                    }
                }
                if (!reader.EndMarkerSeen)
                    errors.Add((partIndex, new PartError(partLabel, $"part ends at offset {reader.Position} without the end-of-archive marker (cut short?)")));
            }
            catch (PartReadException e)
            {
                errors.Add((partIndex, new PartError(partLabel, e.Message)));
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // A damaged part (truncated, bad header, bad gzip data or CRC, unreadable) is reported, not fatal:
                // what was extracted before the damage stays.
                errors.Add((partIndex, new PartError(partLabel, e.Message)));
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }

            // Null when the member was handled (written, skipped, duplicate), else the refusal reason.
            string? ExtractMember(TarMemberReader reader, TarMember m, long order, string partLabel)
            {
                var relative = MemberPath.Relative(m.Name, out var refusal);
                if (relative is null) return refusal;
                switch (m.Kind)
                {
                    case TarMemberKind.Directory: return null;
                    case TarMemberKind.SymbolicLink: return RefusalReasons.Symlink;
                    case TarMemberKind.HardLink: return RefusalReasons.HardLink;
                    case TarMemberKind.Device or TarMemberKind.Fifo: return RefusalReasons.Device;
                    case TarMemberKind.Sparse: return RefusalReasons.Sparse;
                    case TarMemberKind.Other: return RefusalReasons.UnsupportedType;
                }
                var target = options.FlattenToBaseName ? MemberPath.BaseName(relative) : relative;
                if (target.Length == 0) return null;
                var finalPath = Path.Combine(outDir, target);
                if (target == ExtractionTemp.FolderName || target == RootLock.FileName || target.StartsWith(ExtractionTemp.FolderName + "/", StringComparison.Ordinal))
                    return RefusalReasons.FileFolderConflict;
                var claim = claims.GetOrAdd(target, _ => new Claim());
                if (listOnly) return ListMember(claim, order, partLabel, m);
                lock (claim)
                {
                    if (!claim.Owned)
                    {
                        var problem = SafePath.CreateFolders(outDir, Path.GetDirectoryName(target.Replace('/', Path.DirectorySeparatorChar))!.Replace(Path.DirectorySeparatorChar, '/'));
                        if (problem != null) return problem;
                        var kind = SafePath.Kind(finalPath);
                        if (kind == SafePath.EntryKind.Directory) return RefusalReasons.FileFolderConflict;
                        bool complete = kind == SafePath.EntryKind.File && new FileInfo(finalPath).Length == m.Size;
                        if (!complete)
                        {
                            // A symlink at the final name is replaced (rename never follows it), not written through.
                            var tmp = WriteTemp(reader, temp!.PathFor(order), buffer, token);
                            File.Move(tmp, finalPath, overwrite: true);
                            claim.Written = true;
                            options.Progress?.AddCount();
                            options.AfterFileWritten?.Invoke();
                        }
                        Own(claim, order, partLabel, m);
                        return null;
                    }
                    if (claim.Order < order)
                    {
                        if (claim.Size == m.Size && SameBytes(reader, finalPath, buffer)) { Interlocked.Increment(ref duplicates); return null; }
                        return RefusalReasons.NameCollision;
                    }
                    // This member comes before the one that got here first (another worker was faster): it wins.
                    var earlier = WriteTemp(reader, temp!.PathFor(order), buffer, token);
                    if (FilesEqual(earlier, finalPath))
                    {
                        File.Delete(earlier);
                        Interlocked.Increment(ref duplicates);
                    }
                    else
                    {
                        File.Move(earlier, finalPath, overwrite: true);
                        claim.Written = true;
                        Refuse(claim.Order, claim.Part, claim.Member, RefusalReasons.NameCollision);
                    }
                    Own(claim, order, partLabel, m);
                    return null;
                }
            }
        }

        // In place nothing is compared or written: a path several members name is held by none of them (the loader must
        // not guess), each refused.
        string? ListMember(Claim claim, long order, string partLabel, TarMember m)
        {
            lock (claim)
            {
                if (!claim.Owned)
                {
                    Own(claim, order, partLabel, m);
                    options.Progress?.AddCount();
                    return null;
                }
                if (!claim.Contested) Refuse(claim.Order, claim.Part, claim.Member, RefusalReasons.NameCollision);
                claim.Contested = true;
                return RefusalReasons.NameCollision;
            }
        }

        var workers = options.Workers > 0 ? options.Workers : Environment.ProcessorCount;
        try
        {
            Parallel.For(0, parts.Count, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, Math.Min(workers, parts.Count)) }, ExtractPart);
        }
        catch (AggregateException e) when (e.InnerExceptions.All(x => x is OperationCanceledException))
        {
            throw new OperationCanceledException("extraction cancelled", e, token);
        }
        finally
        {
            temp?.Close();
        }
        token.ThrowIfCancellationRequested();

        return new ExtractionResult
        {
            Parts = parts.Count,
            Extracted = claims.Values.Count(c => c.Owned && c.Written),
            SkippedExisting = listOnly ? 0 : claims.Values.Count(c => c.Owned && !c.Written),
            IdenticalDuplicates = duplicates,
            Refused = refused.OrderBy(r => r.Order).Select(r => r.Member).ToList(),
            Errors = errors.OrderBy(e => e.Part).Select(e => e.Error).ToList(),
            Present = claims.Where(kv => kv.Value.Held).Select(kv => kv.Key).ToHashSet(StringComparer.Ordinal),
            InPlace = listOnly,
            Sizes = claims.Where(kv => kv.Value.Held).ToDictionary(kv => kv.Key, kv => kv.Value.Size, StringComparer.Ordinal),
        };
    }

    /// <summary>Creates the output folder; a path that names a file (or anything but a folder) is a clear error.</summary>
    private static void PrepareOutputFolder(string outDir)
    {
        if (File.Exists(outDir)) throw new VgtDataException($"--out {outDir}: is a file, not a folder");
        try
        {
            Directory.CreateDirectory(outDir);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new VgtDataException($"--out {outDir}: cannot create the folder: {e.Message}", e);
        }
    }

    private static void Own(Claim claim, long order, string part, TarMember m)
    {
        claim.Order = order;
        claim.Part = part;
        claim.Member = m.Name;
        claim.Size = m.Size;
    }

    /// <summary>The part's tar stream: decompressed when it starts with the gzip magic bytes; reads are counted as progress.</summary>
    private static Stream OpenPart(string path, VgtData.Progress.ProgressMeter? progress)
    {
        var file = RegularFile.OpenInputStream(path, FileLimit.Streamed);
        Span<byte> magic = stackalloc byte[2];
        int n = file.Read(magic);
        file.Position = 0;
        Stream counted = new ProgressStream(file, progress);
        if (n == 2 && magic[0] == 0x1F && magic[1] == 0x8B)
            return new BufferedStream(new WholeGzip(file, new GZipStream(counted, CompressionMode.Decompress)), 1 << 16);
        return counted;
    }

    /// <summary>Copies the current member's data to <paramref name="tmp"/> (created new); a read failure is the part's.</summary>
    private static string WriteTemp(TarMemberReader reader, string tmp, byte[] buffer, CancellationToken token)
    {
        try
        {
            using (var output = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1))
            {
                int n;
                while ((n = ReadPart(reader, buffer)) > 0)
                {
                    output.Write(buffer, 0, n);
                    token.ThrowIfCancellationRequested();
                }
            }
            return tmp;
        }
        catch
        {
            File.Delete(tmp);
            throw;
        }
    }

    private static int ReadPart(TarMemberReader reader, Span<byte> buffer)
    {
        try { return reader.ReadData(buffer); }
        catch (Exception e) when (e is not OperationCanceledException) { throw new PartReadException(e); }
    }

    /// <summary>Whether the rest of the current member equals the file's bytes (consumes the member's data).</summary>
    private static bool SameBytes(TarMemberReader reader, string path, byte[] buffer)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1);
        var other = new byte[Math.Min(buffer.Length, 1 << 16)];
        while (true)
        {
            int n = ReadPart(reader, buffer.AsSpan(0, other.Length));
            if (n == 0) return file.Read(other, 0, 1) == 0;
            file.ReadExactly(other, 0, n);
            if (!buffer.AsSpan(0, n).SequenceEqual(other.AsSpan(0, n))) return false;
        }
    }

    private static bool FilesEqual(string a, string b)
    {
        var fa = new FileInfo(a);
        var fb = new FileInfo(b);
        if (!fa.Exists || !fb.Exists || fa.Length != fb.Length) return false;
        using var sa = fa.OpenRead();
        using var sb = fb.OpenRead();
        var ba = new byte[1 << 16];
        var bb = new byte[1 << 16];
        while (true)
        {
            int n = sa.ReadAtLeast(ba, ba.Length, throwOnEndOfStream: false);
            if (n == 0) return true;
            sb.ReadExactly(bb, 0, n);
            if (!ba.AsSpan(0, n).SequenceEqual(bb.AsSpan(0, n))) return false;
        }
    }

    /// <summary>
    /// GZipStream reads every gzip member, but stops without a word at bytes that do not start another member (a
    /// damaged member header, junk): at its end, whatever of the file it left unread is reported as damage. (Junk
    /// short enough to sit in its last input buffer cannot be seen from outside; gzip(1) ignores trailing junk too.)
    /// </summary>
    private sealed class WholeGzip(FileStream file, GZipStream gzip) : ForwardReadStream
    {
        public override int Read(Span<byte> buffer)
        {
            int n = gzip.Read(buffer);
            if (n == 0 && buffer.Length > 0 && file.Position < file.Length)
                throw new InvalidDataException($"{file.Length - file.Position} bytes after the last complete gzip member (ending near offset {file.Position}) are not gzip data");
            return n;
        }

        protected override void Dispose(bool disposing) { if (disposing) gzip.Dispose(); base.Dispose(disposing); }
    }

    /// <summary>Passes reads through and reports how far into the part file they got.</summary>
    private sealed class ProgressStream(FileStream inner, VgtData.Progress.ProgressMeter? progress) : Stream
    {
        private long _reported;

        private void Report()
        {
            if (progress is null) return;
            long pos = inner.Position;
            progress.Add(pos - _reported);
            _reported = pos;
        }

        public override int Read(byte[] buffer, int offset, int count) { int n = inner.Read(buffer, offset, count); Report(); return n; }
        public override int Read(Span<byte> buffer) { int n = inner.Read(buffer); Report(); return n; }
        public override long Seek(long offset, SeekOrigin origin) { long p = inner.Seek(offset, origin); Report(); return p; }
        public override bool CanRead => true;
        public override bool CanSeek => inner.CanSeek;
        public override bool CanWrite => false;
        public override long Length => inner.Length;
        public override long Position { get => inner.Position; set => Seek(value, SeekOrigin.Begin); }
        public override void Flush() { }
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        protected override void Dispose(bool disposing) { if (disposing) inner.Dispose(); base.Dispose(disposing); }
    }
}
