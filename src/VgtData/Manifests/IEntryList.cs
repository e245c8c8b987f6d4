namespace VgtData.Manifests;

/// <summary>
/// The entries a dataset reads, whatever holds them (a data.json table; webdataset shard groups, <c>Sources.WebDatasetShards</c>):
/// how many, and each one's image path and caption or annotation. A new entry format is one class implementing this
/// plus its row in <see cref="EntryLists"/> (or, for a format that needs image sources, in the config's
/// <c>PipelineFactory</c>, since this stage cannot name them); the dataset, samplers and validation do not change.
/// </summary>
internal interface IEntryList
{
    /// <summary>Where the entries came from (file or folder), for messages.</summary>
    string Source { get; }

    int Count { get; }

    /// <summary>Entry <paramref name="index"/>; an index outside [0, Count) is an <see cref="IndexOutOfRangeException"/>.</summary>
    ManifestEntry this[int index] { get; }

    /// <summary>Only the image path of entry <paramref name="index"/> (read-ahead and messages need no caption).</summary>
    string ImageOf(int index);
}

/// <summary>Opens the entry list a <c>data_path</c> names: one row per format.</summary>
internal static class EntryLists
{
    /// <summary>A data.json (a JSON array), a <c>.jsonl</c> file, or a folder of <c>*.json</c>; <paramref name="limit"/> is
    /// <c>train_number_samples</c>.</summary>
    public static IEntryList Open(string dataPath, string capSource, int? limit) => Manifest.Load(dataPath, capSource, limit);
}
