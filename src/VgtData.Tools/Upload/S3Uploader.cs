using System.Diagnostics;
using System.Globalization;
using VgtData.Preparation;
using VgtData.Progress;
using VgtData.Storage;
using VgtData.Sources;

namespace VgtData.Upload;

/// <summary>
/// Uploads a prepared dataset folder (data.json, images, tar parts, latents) below an s3:// prefix, keeping relative
/// paths, so that <c>ceph_folder</c> = the prefix reads it. Resumable: a file is skipped when the bucket already holds an
/// object of the same size whose ETag is the file's MD5 or its multipart form (<see cref="LocalETag"/>); the
/// <see cref="UploadJournal"/> spares re-reading files unchanged since they were uploaded. Files larger than one part go
/// up as multipart uploads streamed from disk, one part at a time, so memory stays bounded whatever their size. An
/// interrupted multipart upload is resumed, not restarted: the journal holds its upload id and each stored part's ETag
/// (recorded as soon as the part is stored), so the rerun sends the next part with the same id. We keep that list
/// ourselves rather than asking the server (ListParts), which not every S3-compatible server implements (s3rver does
/// not); if the server no longer knows the upload (aborted, expired by a lifecycle rule), the file starts over. Top-level
/// manifests (*.json, *.jsonl) go up last, so a reader never finds a data.json naming images that are not there yet.
/// </summary>
internal static class S3Uploader
{
    /// <summary>Folder names below the dataset that are never uploaded: extraction temporaries.</summary>
    private static readonly string[] ExcludedFolders = [ExtractionTemp.FolderName, UploadJournal.FolderName, PartStamp.FolderName];

    /// <summary>
    /// Uploads every file below <paramref name="folder"/> to <paramref name="target"/>. Checks the endpoint and
    /// credentials first (one line on failure). Objects below the prefix that have no local file are left alone.
    /// </summary>
    /// <exception cref="S3AccessException">the endpoint refused the credentials.</exception>
    /// <exception cref="VgtDataException">no such folder, no such bucket, endpoint unreachable, a file changed while uploading.</exception>
    /// <exception cref="S3UnavailableException">an upload still failed after every retry.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancel"/> fired; what was uploaded stays and a rerun resumes.</exception>
    public static async Task<UploadReport> UploadAsync(S3Store store, string folder, S3Location target, UploadOptions options,
        CancellationToken cancel = default)
    {
        if (!Directory.Exists(folder)) throw new VgtDataException($"{folder}: no such folder to upload");
        if (options.Concurrency < 1) throw new ArgumentOutOfRangeException(nameof(options), "Concurrency must be at least 1");
        if (options.PartSize < 1) throw new ArgumentOutOfRangeException(nameof(options), "PartSize must be at least 1");
        var clock = Stopwatch.StartNew();
        using var folderLock = RootLock.Acquire(Path.GetFullPath(folder), "upload");
        var notUploaded = new List<SkippedEntry>();
        var files = LocalFiles(folder, notUploaded);
        store.Probe(target);
        var remote = new Dictionary<string, S3ObjectInfo>(StringComparer.Ordinal);
        var prefix = target.KeyPrefix;
        foreach (var o in store.List(target with { Key = prefix })) remote[o.Key[prefix.Length..]] = o;

        using var journal = UploadJournal.Open(folder, store.EndpointName, target);
        int uploaded = 0, skipped = 0, multipart = 0;
        long bytesUploaded = 0, bytesSkipped = 0;
        using var meter = options.ProgressWriter is { } writer
            ? new ProgressMeter(writer, options.ProgressIsTerminal, files.Sum(f => f.Size), s => string.Create(CultureInfo.InvariantCulture,
                $"upload: {s.Count}/{files.Count} files, {s.Fraction * 100,5:0.0}% of {ProgressMeter.FormatBytes(s.Total)}, {ProgressMeter.FormatBytes((long)s.RatePerSecond)}/s, ETA {s.EtaText}"))
            : null;
        // Manifests wait for everything else: a reader of the prefix sees either the old data.json or a complete dataset.
        foreach (var batch in new[] { files.Where(f => !f.IsManifest).ToList(), files.Where(f => f.IsManifest).ToList() })
        {
            await Parallel.ForEachAsync(batch, new ParallelOptions { MaxDegreeOfParallelism = options.Concurrency, CancellationToken = cancel },
                async (file, token) =>
                {
                    var location = target.Append(file.Relative);
                    if (remote.TryGetValue(file.Relative, out var there) && await IsSameAsync(file, there, journal, PartSizeFor(file.Size, options.PartSize), token).ConfigureAwait(false))
                    {
                        Interlocked.Increment(ref skipped);
                        Interlocked.Add(ref bytesSkipped, file.Size);
                        meter?.Add(file.Size);
                        meter?.AddCount();
                        options.Observer?.Invoke(new UploadEvent(file.Relative, UploadStep.Skipped));
                        return;
                    }
                    long partSize = PartSizeFor(file.Size, options.PartSize);
                    bool inParts = file.Size > partSize;
                    string etag;
                    try
                    {
                        etag = inParts
                            ? await PutInPartsAsync(store, location, file, partSize, options.Observer, journal, meter, token).ConfigureAwait(false)
                            : await store.PutFileAsync(location, file.FullPath, token).ConfigureAwait(false);
                    }
                    catch (Amazon.Runtime.AmazonServiceException e) when (!token.IsCancellationRequested)
                    {
                        // A refusal the retries cannot fix (a 4xx other than refused credentials): one line naming the object.
                        throw new VgtDataException($"{location}: {store.EndpointName} answered {(int)e.StatusCode} {e.ErrorCode} uploading {file.FullPath}: {e.Message}", e);
                    }
                    catch (S3UnavailableException e) when (!token.IsCancellationRequested)
                    {
                        // Every retry failed: the line names the endpoint, as the reading side's does.
                        throw new VgtDataException($"{location}: uploading {file.FullPath} to {store.EndpointName} failed: {e.Message}", e);
                    }
                    if (!inParts) meter?.Add(file.Size);
                    var now = new FileInfo(file.FullPath);
                    if (now.Length != file.Size || now.LastWriteTimeUtc != file.MtimeUtc)
                        throw new VgtDataException($"{file.FullPath}: changed while it was uploaded to {location}; rerun to upload it again");
                    journal.Record(file.Relative, file.Size, file.MtimeUtc, etag);
                    Interlocked.Increment(ref uploaded);
                    Interlocked.Add(ref bytesUploaded, file.Size);
                    if (inParts) Interlocked.Increment(ref multipart);
                    meter?.AddCount();
                    options.Observer?.Invoke(new UploadEvent(file.Relative, UploadStep.Uploaded));
                }).ConfigureAwait(false);
        }
        return new UploadReport(target, files.Count, uploaded, skipped, bytesUploaded, bytesSkipped, multipart, clock.Elapsed) { NotUploaded = notUploaded };
    }

    /// <summary>Same size, and the object's ETag is the one recorded for the unchanged file or one of its content hashes.</summary>
    private static async Task<bool> IsSameAsync(LocalFile file, S3ObjectInfo there, UploadJournal journal, long partSize, CancellationToken token)
    {
        if (there.Size != file.Size) return false;
        if (journal.ETagFor(file.Relative, file.Size, file.MtimeUtc) is { } recorded && recorded == S3Store.UnquoteETag(there.ETag)) return true;
        var local = await LocalETag.ComputeAsync(file.FullPath, partSize, token).ConfigureAwait(false);
        if (!local.Matches(there.ETag)) return false;
        journal.Record(file.Relative, file.Size, file.MtimeUtc, there.ETag);
        return true;
    }

    private static async Task<string> PutInPartsAsync(S3Store store, S3Location location, LocalFile file, long partSize,
        Action<UploadEvent>? observer, UploadJournal journal, ProgressMeter? meter, CancellationToken token)
    {
        var pending = journal.PendingFor(file.Relative, file.Size, file.MtimeUtc, partSize, out var stale);
        if (stale is not null)
        {
            // Started for an earlier version of the file: its parts are of no use.
            await store.TryAbortMultipartAsync(location, stale).ConfigureAwait(false);
            journal.Forget(file.Relative);
        }
        try
        {
            return await SendPartsAsync(store, location, file, partSize, observer, journal, meter, pending, token).ConfigureAwait(false);
        }
        catch (Amazon.S3.AmazonS3Exception e) when (pending is not null && e.ErrorCode is "NoSuchUpload" or "InvalidPart")
        {
            // The server no longer has the upload we were resuming: start this file over, once.
            journal.Forget(file.Relative);
            return await SendPartsAsync(store, location, file, partSize, observer, journal, meter, null, token).ConfigureAwait(false);
        }
    }

    private static async Task<string> SendPartsAsync(S3Store store, S3Location location, LocalFile file, long partSize,
        Action<UploadEvent>? observer, UploadJournal journal, ProgressMeter? meter, UploadJournal.PendingUpload? pending, CancellationToken token)
    {
        var uploadId = pending?.UploadId ?? await store.StartMultipartAsync(location, token).ConfigureAwait(false);
        var etags = new List<string>(pending?.PartETags ?? []);
        long counted = Math.Min(etags.Count * partSize, file.Size);
        meter?.Add(counted);
        try
        {
            for (long offset = etags.Count * partSize; offset < file.Size; offset += partSize)
            {
                long length = Math.Min(partSize, file.Size - offset);
                int number = etags.Count + 1;
                var etag = await store.UploadPartAsync(location, uploadId, number, file.FullPath, offset, length, token).ConfigureAwait(false);
                etags.Add(etag);
                journal.RecordPart(file.Relative, file.Size, file.MtimeUtc, partSize, uploadId, number, etag);
                meter?.Add(length);
                counted += length;
                observer?.Invoke(new UploadEvent(file.Relative, UploadStep.Part, number));
            }
            return await store.CompleteMultipartAsync(location, uploadId, etags, token).ConfigureAwait(false);
        }
        catch
        {
            // The parts stay for the next run (the journal has them), but this run's progress no longer counts them.
            meter?.Add(-counted);
            throw;
        }
    }

    /// <summary>S3 allows at most 10,000 parts: beyond 10,000 × the part size (625 GiB at 64 MiB), parts grow to the
    /// next whole MiB that fits.</summary>
    internal static long PartSizeFor(long size, long partSize)
    {
        const int maxParts = 10_000;
        if (size <= partSize * maxParts) return partSize;
        long needed = (size + maxParts - 1) / maxParts;
        return (needed + (1 << 20) - 1) / (1 << 20) * (1 << 20);
    }

    private readonly record struct LocalFile(string FullPath, string Relative, long Size, DateTime MtimeUtc, bool IsManifest);

    /// <summary>
    /// Regular files below <paramref name="folder"/> in path order, without temporaries, the journal and the lock file. The
    /// walk never follows a symbolic link (one to a file could name anything outside the folder, one to a folder could
    /// loop): links, FIFOs, devices and sockets are listed in <paramref name="notUploaded"/> instead, and nothing is
    /// opened, so nothing can block.
    /// </summary>
    private static List<LocalFile> LocalFiles(string folder, List<SkippedEntry> notUploaded)
    {
        var options = new EnumerationOptions { RecurseSubdirectories = false, AttributesToSkip = 0, IgnoreInaccessible = false };
        var files = new List<LocalFile>();
        var folders = new Stack<string>();
        folders.Push(Path.GetFullPath(folder));
        while (folders.Count > 0)
        {
            var dir = folders.Pop();
            foreach (var path in Directory.EnumerateFileSystemEntries(dir, "*", options))
            {
                var relative = Path.GetRelativePath(folder, path).Replace(Path.DirectorySeparatorChar, '/');
                switch (RegularFile.Examine(path, out var what))
                {
                    case PathType.Missing:
                        continue;
                    case PathType.Directory:
                        if (!ExcludedFolders.Contains(Path.GetFileName(path), StringComparer.Ordinal)) folders.Push(path);
                        continue;
                    case PathType.Regular:
                        break;
                    default:
                        notUploaded.Add(new SkippedEntry(relative, what));
                        continue;
                }
                if (relative == RootLock.FileName) continue;
                var info = new FileInfo(path);
                bool manifest = !relative.Contains('/') && (relative.EndsWith(".json", StringComparison.OrdinalIgnoreCase)
                    || relative.EndsWith(".jsonl", StringComparison.OrdinalIgnoreCase));
                files.Add(new LocalFile(info.FullName, relative, info.Length, info.LastWriteTimeUtc, manifest));
            }
        }
        notUploaded.Sort((a, b) => string.CompareOrdinal(a.Relative, b.Relative));
        files.Sort((a, b) => string.CompareOrdinal(a.Relative, b.Relative));
        return files;
    }
}
