namespace VgtData.Images;

/// <summary>The anchor's <c>image.crop(box).resize((width, height))</c>: Pillow's default filter (bicubic, antialiased
/// when shrinking), reproduced bit for bit by <see cref="PillowResampler"/>.</summary>
internal static class SquareResize
{
    /// <summary>Resizes the <paramref name="box"/> region of <paramref name="image"/> to width × height straight into a
    /// pooled HWC buffer. The image is read in place and left unchanged.</summary>
    public static RgbImage Apply(RgbImage image, CropBox box, int width, int height)
    {
        var result = new RgbImage(width, height);
        try
        {
            PillowResampler.Resample(image, box, result.Pixels, width, height);
            return result;
        }
        catch
        {
            result.Dispose();
            throw;
        }
    }
}
