using VgtData.Storage;

namespace VgtData.Sources;

/// <summary>What a tar member is, from its header's type flag.</summary>
internal enum TarMemberKind
{
    RegularFile,
    Directory,
    SymbolicLink,
    HardLink,
    Device,
    Fifo,
    /// <summary>A GNU sparse file (old GNU type 'S' or pax GNU.sparse.* records): its data blocks hold a sparse map and
    /// the non-hole pieces, not the file's bytes.</summary>
    Sparse,
    /// <summary>Volume labels, multi-volume continuations and other types nobody should find in an image set.</summary>
    Other,
}

/// <summary>One member of a tar stream: its full name (after GNU long-name and pax path= records), kind, data size and
/// the offset of its data from the start of the (uncompressed) tar stream.</summary>
/// <remarks>Names that are not valid UTF-8 are escaped so that distinct byte names stay distinct strings: each byte
/// that is not part of a valid UTF-8 sequence becomes <c>%XX</c> and a literal '%' becomes <c>%25</c>
/// (<see cref="NameEscaped"/> says whether that happened).</remarks>
internal sealed record TarMember(string Name, TarMemberKind Kind, long Size, long DataOffset, string? LinkTarget, long HeaderOffset)
{
    /// <summary>The raw name was not valid UTF-8 and <see cref="Name"/> is its escaped form.</summary>
    public bool NameEscaped { get; init; }
}

/// <summary>A tar stream that cannot be read further: truncated, or a header whose checksum does not match.</summary>
internal sealed class TarFormatException(string message) : IOException(message);
