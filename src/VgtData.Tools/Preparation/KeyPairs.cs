namespace VgtData.Preparation;

/// <summary>Groups files or members by key (the name without its extension) into an image and its caption file, as
/// img2dataset and webdataset-style tars lay them out (<c>KEY.jpg</c> + <c>KEY.json|txt</c>).</summary>
internal static class KeyPairs
{
    /// <summary>The image extensions a pair may have (img2dataset's encode formats).</summary>
    public static readonly string[] ImageExtensions = [".jpg", ".jpeg", ".png", ".webp"];

    public static bool IsImage(string name) => ImageExtensions.Contains(Path.GetExtension(name).ToLowerInvariant());

    /// <summary>Keys in ordinal order, each with its images (ordinal order) and its caption item; other files are ignored.</summary>
    public static SortedDictionary<string, (List<T> Images, T? Caption)> Group<T>(IEnumerable<T> items, Func<T, string> name, string captionExtension)
        where T : class
    {
        var keys = new SortedDictionary<string, (List<T> Images, T? Caption)>(StringComparer.Ordinal);
        foreach (var item in items)
        {
            var n = name(item);
            var ext = Path.GetExtension(n).ToLowerInvariant();
            bool isImage = ImageExtensions.Contains(ext);
            if (!isImage && ext != captionExtension) continue;
            var key = n[..^ext.Length];
            var slot = keys.TryGetValue(key, out var s) ? s : ([], null);
            if (isImage) slot.Images.Add(item);
            else slot.Caption = item;
            keys[key] = slot;
        }
        foreach (var (images, _) in keys.Values) images.Sort((a, b) => string.CompareOrdinal(name(a), name(b)));
        return keys;
    }
}
