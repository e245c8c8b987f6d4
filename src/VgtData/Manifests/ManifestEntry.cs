namespace VgtData.Manifests;

/// <summary>One data.json entry as the dataset sees it. Caption and annotation are null when the entry lacks them.</summary>
internal readonly record struct ManifestEntry(string Image, string? Caption, string? Annotation, int? Width, int? Height);
