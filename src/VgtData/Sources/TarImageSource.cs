using Microsoft.Win32.SafeHandles;
using VgtData.Storage;

namespace VgtData.Sources;

/// <summary>
/// Images read straight from uncompressed tar parts, no extraction: a <see cref="TarIndex"/> maps member names to
/// (part, offset, length) and reads are positional (<see cref="RandomAccess.Read(SafeFileHandle, Span{byte}, long)"/>)
/// on one handle per part, so any number of threads can read at once.
/// </summary>
internal sealed class TarImageSource : IImageSource, ITarMembers
{
    private readonly SafeFileHandle[] _handles;
    private readonly string _description;

    public TarImageSource(IReadOnlyList<string> parts) : this(parts, Describe(parts)) { }

    private TarImageSource(IReadOnlyList<string> parts, string description)
    {
        if (parts.Count == 0) throw new VgtDataException($"no tar parts: {description}");
        _description = description;
        Index = TarIndex.LoadOrBuild(parts);
        _handles = new SafeFileHandle[Index.Parts.Count];
        try
        {
            for (int i = 0; i < _handles.Length; i++)
                _handles[i] = RegularFile.OpenInput(Index.Parts[i].Path, FileLimit.Streamed, out _);
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>The parts matching <paramref name="pattern"/> (e.g. "raw/text_to_image_part_*.tar") below <paramref name="baseDir"/>.</summary>
    public static TarImageSource FromGlob(string baseDir, string pattern)
    {
        var parts = TarPartGlob.Expand(baseDir, pattern);
        var description = Path.Combine(baseDir, pattern);
        if (parts.Count == 0) throw new VgtDataException($"no tar parts match {description}");
        return new TarImageSource(parts, description);
    }

    public TarIndex Index { get; }

    public string Describe(string imageFile) =>
        Index.TryFind(imageFile, out var e, out var member) ? $"{Index.Parts[e.Part].Path}:{member}" : $"{_description}:{imageFile}";

    public bool Exists(string imageFile) => Index.TryFind(imageFile, out _);

    public PooledBytes Read(string imageFile) => Read(Index.Find(imageFile, _description), imageFile, -1);

    /// <summary>The bytes of index member <paramref name="member"/> (webdataset shards address members by key, not path).</summary>
    public PooledBytes ReadMember(int member) => Read(Index.EntryAt(member), null, member);

    public string PartName(int part) => Index.Parts[part].Path;

    // The member is named (a second lookup) only when a read fails.
    private PooledBytes Read(TarIndexEntry entry, string? imageFile, int member)
    {
        string Where() => imageFile is null ? this.DescribeMember(member) : Describe(imageFile);
        if (entry.Length > int.MaxValue)
            throw new SampleException(SampleFailureReason.TooManyPixels, Where(), $"member is {entry.Length} bytes");
        var handle = _handles[entry.Part];
        Span<byte> header = stackalloc byte[512];
        int got;
        try { got = RandomAccess.Read(handle, header, entry.Offset - 512); }
        catch (IOException e) { throw new SampleException(SampleFailureReason.Truncated, Where(), $"cannot read the tar part: {e.Message}", inner: e); }
        if (got != 512 || TarIndex.HashHeader(header) != entry.HeaderHash)
            throw new SampleException(SampleFailureReason.MissingFile, Where(),
                $"the tar part changed after it was indexed (member header at offset {entry.Offset - 512} differs); restart to re-index");
        var bytes = new PooledBytes((int)entry.Length);
        try
        {
            int read = 0;
            while (read < entry.Length)
            {
                int n = RandomAccess.Read(handle, bytes.Array.AsSpan(read, (int)entry.Length - read), entry.Offset + read);
                if (n == 0) break;
                read += n;
            }
            if (read < entry.Length)
                throw new SampleException(SampleFailureReason.Truncated, Where(), $"part ends after {read} of {entry.Length} bytes");
            return bytes;
        }
        catch
        {
            bytes.Dispose();
            throw;
        }
    }

    private static string Describe(IReadOnlyList<string> parts) =>
        parts.Count switch { 0 => "(no parts)", 1 => parts[0], _ => $"{parts[0]} (+{parts.Count - 1} more parts)" };

    public void Dispose()
    {
        if (_handles is null) return;
        foreach (var h in _handles) h?.Dispose();
    }
}
