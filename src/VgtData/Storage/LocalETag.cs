using System.Security.Cryptography;

namespace VgtData.Storage;

/// <summary>
/// The ETags a local file would have in a bucket: the MD5 of its bytes (a single PUT, and what s3rver stores for
/// multipart objects too) and, when it is larger than one part, S3's multipart form — the MD5 of the parts' binary MD5s
/// followed by "-N" — for the given part size. Both lower-case hex, unquoted.
/// </summary>
internal readonly record struct LocalETag(string Md5, string? Multipart)
{
    /// <summary>Whether an object's ETag (quoted or not) is one of this file's forms.</summary>
    public bool Matches(string remoteETag)
    {
        var etag = S3Store.UnquoteETag(remoteETag);
        return etag == Md5 || (Multipart is not null && etag == Multipart);
    }

    /// <summary>Reads the file once, hashing the whole and each <paramref name="partSize"/> part.</summary>
    public static async Task<LocalETag> ComputeAsync(string path, long partSize, CancellationToken cancel = default)
    {
        using var whole = IncrementalHash.CreateHash(HashAlgorithmName.MD5);
        using var part = IncrementalHash.CreateHash(HashAlgorithmName.MD5);
        using var partDigests = new MemoryStream();
        var buffer = new byte[1 << 20];
        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan | FileOptions.Asynchronous);
        long length = stream.Length, inPart = 0;
        int parts = 0;
        while (true)
        {
            // Never read across a part boundary, so each part's digest covers exactly its bytes.
            int want = (int)Math.Min(buffer.Length, partSize - inPart);
            int n = await stream.ReadAsync(buffer.AsMemory(0, want), cancel).ConfigureAwait(false);
            if (n == 0) break;
            whole.AppendData(buffer, 0, n);
            part.AppendData(buffer, 0, n);
            inPart += n;
            if (inPart == partSize)
            {
                partDigests.Write(part.GetHashAndReset());
                parts++;
                inPart = 0;
            }
        }
        if (inPart > 0)
        {
            partDigests.Write(part.GetHashAndReset());
            parts++;
        }
        var md5 = Convert.ToHexStringLower(whole.GetHashAndReset());
        if (length <= partSize) return new LocalETag(md5, null);
        return new LocalETag(md5, Convert.ToHexStringLower(MD5.HashData(partDigests.ToArray())) + "-" + parts);
    }
}
