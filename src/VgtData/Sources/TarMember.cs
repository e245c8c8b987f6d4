namespace VgtData.Sources;

/// <summary>What a tar member is, from its header's type flag.</summary>
public enum TarMemberKind
{
    RegularFile,
    Directory,
    SymbolicLink,
    HardLink,
    Device,
    Fifo,
    /// <summary>Sparse files, volume labels and other types nobody should find in an image set.</summary>
    Other,
}

/// <summary>One member of a tar stream: its full name (after GNU long-name and pax path= records), kind, data size and
/// the offset of its data from the start of the (uncompressed) tar stream.</summary>
public sealed record TarMember(string Name, TarMemberKind Kind, long Size, long DataOffset, string? LinkTarget, long HeaderOffset);

/// <summary>A tar stream that cannot be read further: truncated, or a header whose checksum does not match.</summary>
public sealed class TarFormatException(string message) : IOException(message);
