namespace VgtData.Storage;

/// <summary>
/// An object-storage address: <c>s3://bucket/prefix</c>, or petrel's <c>cluster:s3://bucket/prefix</c> where
/// <see cref="Cluster"/> names a section of the ceph_config file. <see cref="Key"/> has no leading slash.
/// </summary>
internal sealed record S3Location(string? Cluster, string Bucket, string Key)
{
    private const string Scheme = "s3://";

    /// <summary>Whether <paramref name="text"/> is an s3:// address (with or without a cluster name).</summary>
    public static bool IsUrl(string? text) => text is not null && SchemeAt(text) >= 0;

    /// <summary>Parses an address; throws <see cref="VgtDataException"/> naming what is wrong.</summary>
    public static S3Location Parse(string text)
    {
        int at = SchemeAt(text);
        if (at < 0) throw new VgtDataException($"'{text}' is not an s3:// address (expected s3://bucket/prefix or cluster:s3://bucket/prefix)");
        string? cluster = at == 0 ? null : text[..(at - 1)];
        var rest = text[(at + Scheme.Length)..];
        int slash = rest.IndexOf('/');
        var bucket = slash < 0 ? rest : rest[..slash];
        var key = slash < 0 ? "" : rest[(slash + 1)..];
        if (bucket.Length == 0) throw new VgtDataException($"'{text}': no bucket name after s3://");
        return new S3Location(cluster, bucket, key);
    }

    /// <summary>This location with <paramref name="relative"/> appended as a path below it.</summary>
    public S3Location Append(string relative)
    {
        relative = relative.Replace('\\', '/').TrimStart('/');
        if (relative.StartsWith("./", StringComparison.Ordinal)) relative = relative[2..];
        if (Key.Length == 0) return this with { Key = relative };
        return this with { Key = Key.EndsWith('/') ? Key + relative : Key + "/" + relative };
    }

    /// <summary>The key as a prefix for listing: empty, or ending in '/'.</summary>
    public string KeyPrefix => Key.Length == 0 || Key.EndsWith('/') ? Key : Key + "/";

    public override string ToString() => (Cluster is null ? "" : Cluster + ":") + Scheme + Bucket + (Key.Length == 0 ? "" : "/" + Key);

    // "s3://" at the start, or after a cluster name made of letters, digits, '-', '_' and '.'.
    private static int SchemeAt(string text)
    {
        int at = text.IndexOf(Scheme, StringComparison.OrdinalIgnoreCase);
        if (at == 0) return 0;
        if (at < 2 || text[at - 1] != ':') return -1;
        for (int i = 0; i < at - 1; i++)
            if (!(char.IsAsciiLetterOrDigit(text[i]) || text[i] is '-' or '_' or '.')) return -1;
        return at;
    }
}
