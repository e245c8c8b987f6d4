using VgtData.Storage;

namespace VgtData.Sources;

/// <summary>Indexed tar parts whose members are read by index (local files or a bucket), for webdataset shards.</summary>
internal interface ITarMembers : IDisposable
{
    TarIndex Index { get; }

    /// <summary>Part <paramref name="part"/> as messages name it: its path or s3:// address.</summary>
    string PartName(int part);

    /// <summary>The bytes of index member <paramref name="member"/>; a <see cref="SampleException"/> naming it when unreadable.</summary>
    PooledBytes ReadMember(int member);
}

internal static class TarMembers
{
    /// <summary>"part:member", as messages name a member.</summary>
    public static string DescribeMember(this ITarMembers parts, int member) =>
        $"{parts.PartName(parts.Index.EntryAt(member).Part)}:{parts.Index.NameAt(member)}";
}
