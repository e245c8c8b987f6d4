namespace VgtData.Images;

/// <summary>A crop rectangle in Pillow's (left, upper, right, lower) convention.</summary>
internal readonly record struct CropBox(int Left, int Upper, int Right, int Lower)
{
    public int Width => Right - Left;
    public int Height => Lower - Upper;

    /// <summary>The anchor's <c>crop2square</c>: a square along the long side at <paramref name="offset"/>
    /// (drawn uniformly from [0, long − short]); a square image is left whole.</summary>
    public static CropBox Square(int width, int height, int offset)
    {
        if (width == height) return new CropBox(0, 0, width, height);
        int side = Math.Min(width, height);
        int range = Math.Max(width, height) - side;
        if (offset < 0 || offset > range) throw new ArgumentOutOfRangeException(nameof(offset), $"offset {offset} outside [0, {range}]");
        return width > height ? new CropBox(offset, 0, offset + side, side) : new CropBox(0, offset, side, offset + side);
    }

    /// <summary>How many square offsets a crop2square of this size can take (long − short + 1).</summary>
    public static int SquareOffsets(int width, int height) => Math.Abs(width - height) + 1;
}
