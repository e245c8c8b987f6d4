namespace VgtData.Sources;

/// <summary>The check every listing <c>vgtdata prepare</c> leaves beside parts read in place (<c>images.parquet.json</c>,
/// <c>images.tarparts.json</c>) makes of each part when the source opens, local or in a bucket.</summary>
internal static class PreparedParts
{
    /// <summary>Refuses a listed part at <paramref name="where"/> that is absent (<paramref name="size"/> null) or whose
    /// size is not the <paramref name="expected"/> one recorded in the listing at <paramref name="listing"/>.</summary>
    public static void CheckSize(string where, long? size, long expected, string listing)
    {
        if (size is null) throw new VgtDataException($"{where}: missing (listed in {listing}); rerun vgtdata prepare");
        if (size != expected)
            throw new VgtDataException($"{where}: {size} bytes, {expected} when {listing[(listing.LastIndexOf('/') + 1)..]} was written; " +
                "the part changed, rerun vgtdata prepare");
    }
}
