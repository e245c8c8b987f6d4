namespace VgtData.Datasets;

/// <summary>A dataset whose samples all have one pixel size (height, width); null when it serves latents or tokens.</summary>
internal interface IHasSampleSize
{
    (int Height, int Width)? SampleSize { get; }
}
