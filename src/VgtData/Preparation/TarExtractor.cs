using System.Buffers;
using System.Collections.Concurrent;
using VgtData.Sources;

namespace VgtData.Preparation;

/// <summary>
/// Extracts tar / tar.gz parts in parallel (one part per worker), safely and resumably:
/// <list type="bullet">
/// <item>only regular files are written, only below the output folder: absolute names, ".." components, symlinks,
/// hard links, devices and fifos are refused and reported;</item>
/// <item>each file is written to a temporary name beside its target and renamed when complete, so an interruption
/// never leaves a partial file under a real name; a re-run deletes the temporaries, skips files whose size matches the
/// member and rewrites the rest;</item>
/// <item>two members for the same path: the first in (part, member) order wins whatever the thread timing; the other
/// is reported as a name collision unless its bytes are identical.</item>
/// </list>
/// gzip-compressed parts (detected by magic bytes) are decompressed with SharpCompress.
/// </summary>
public static class TarExtractor
{
    private const int CopyBuffer = 1 << 20;

    private sealed class Claim
    {
        public long Order = long.MaxValue;
        public string Part = "";
        public string Member = "";
        public long Size;
        public bool Written;
        public bool Owned => Order != long.MaxValue;
    }

    public static ExtractionResult Run(IReadOnlyList<string> parts, ExtractionOptions options)
    {
        var outDir = Path.GetFullPath(options.OutputDir);
        Directory.CreateDirectory(outDir);
        AtomicFile.DeleteLeftovers(outDir);

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
                while (true)
                {
                    var m = reader.Next();
                    if (m is null)
                    {
                        // Read a compressed part to its end so the gzip trailer (CRC, length) is checked.
                        if (!stream.CanSeek) stream.CopyTo(Stream.Null);
                        break;
                    }
                    token.ThrowIfCancellationRequested();
                    long order = ((long)partIndex << 32) | memberIndex++;
                    var relative = MemberPath.Relative(m.Name, out var refusal);
                    if (relative is null) { Refuse(order, partLabel, m.Name, refusal!); continue; }
                    switch (m.Kind)
                    {
                        case TarMemberKind.Directory: continue;
                        case TarMemberKind.SymbolicLink: Refuse(order, partLabel, m.Name, RefusalReasons.Symlink); continue;
                        case TarMemberKind.HardLink: Refuse(order, partLabel, m.Name, RefusalReasons.HardLink); continue;
                        case TarMemberKind.Device or TarMemberKind.Fifo: Refuse(order, partLabel, m.Name, RefusalReasons.Device); continue;
                        case TarMemberKind.Other: Refuse(order, partLabel, m.Name, RefusalReasons.UnsupportedType); continue;
                    }
                    var target = options.FlattenToBaseName ? MemberPath.BaseName(relative) : relative;
                    if (target.Length == 0) continue;
                    var finalPath = Path.GetFullPath(Path.Combine(outDir, target));
                    if (!finalPath.StartsWith(outDir + Path.DirectorySeparatorChar, StringComparison.Ordinal))
                    {
                        Refuse(order, partLabel, m.Name, RefusalReasons.ParentTraversal);
                        continue;
                    }
                    var claim = claims.GetOrAdd(target, _ => new Claim());
                    lock (claim)
                    {
                        if (!claim.Owned)
                        {
                            var existing = new FileInfo(finalPath);
                            if (!(existing.Exists && existing.Length == m.Size))
                            {
                                WriteMember(reader, finalPath, buffer, token);
                                claim.Written = true;
                                options.Progress?.AddCount();
                                options.AfterFileWritten?.Invoke();
                            }
                            Own(claim, order, partLabel, m);
                        }
                        else if (claim.Order < order)
                        {
                            if (claim.Size == m.Size && SameBytes(reader, finalPath, buffer)) Interlocked.Increment(ref duplicates);
                            else Refuse(order, partLabel, m.Name, RefusalReasons.NameCollision);
                        }
                        else
                        {
                            // This member comes before the one that got here first (another worker was faster): it wins.
                            var tmp = WriteTemp(reader, finalPath, buffer, token);
                            if (FilesEqual(tmp, finalPath))
                            {
                                File.Delete(tmp);
                                Interlocked.Increment(ref duplicates);
                            }
                            else
                            {
                                File.Move(tmp, finalPath, overwrite: true);
                                claim.Written = true;
                                Refuse(claim.Order, claim.Part, claim.Member, RefusalReasons.NameCollision);
                            }
                            Own(claim, order, partLabel, m);
                        }
                    }
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // A damaged or hostile part (truncated, bad header, bad gzip CRC, unwritable target) is reported, not fatal:
                // what was extracted before the damage stays.
                errors.Add((partIndex, new PartError(partLabel, e.Message)));
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
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
        token.ThrowIfCancellationRequested();

        return new ExtractionResult
        {
            Parts = parts.Count,
            Extracted = claims.Values.Count(c => c.Owned && c.Written),
            SkippedExisting = claims.Values.Count(c => c.Owned && !c.Written),
            IdenticalDuplicates = duplicates,
            Refused = refused.OrderBy(r => r.Order).Select(r => r.Member).ToList(),
            Errors = errors.OrderBy(e => e.Part).Select(e => e.Error).ToList(),
            Present = claims.Where(kv => kv.Value.Owned).Select(kv => kv.Key).ToHashSet(StringComparer.Ordinal),
        };
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
        var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
        Span<byte> magic = stackalloc byte[2];
        int n = file.Read(magic);
        file.Position = 0;
        Stream counted = new ProgressStream(file, progress);
        if (n == 2 && magic[0] == 0x1F && magic[1] == 0x8B)
            return new SharpCompress.Compressors.Deflate.GZipStream(counted, SharpCompress.Compressors.CompressionMode.Decompress);
        return counted;
    }

    private static void WriteMember(TarMemberReader reader, string finalPath, byte[] buffer, CancellationToken token)
    {
        var tmp = WriteTemp(reader, finalPath, buffer, token);
        File.Move(tmp, finalPath, overwrite: true);
    }

    private static string WriteTemp(TarMemberReader reader, string finalPath, byte[] buffer, CancellationToken token)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(finalPath)!);
        var tmp = AtomicFile.TempPathFor(finalPath);
        try
        {
            using (var output = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1))
            {
                int n;
                while ((n = reader.ReadData(buffer)) > 0)
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

    /// <summary>Whether the rest of the current member equals the file's bytes (consumes the member's data).</summary>
    private static bool SameBytes(TarMemberReader reader, string path, byte[] buffer)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1);
        var other = new byte[Math.Min(buffer.Length, 1 << 16)];
        while (true)
        {
            int n = reader.ReadData(buffer.AsSpan(0, other.Length));
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
