using VgtData.Collate;
using VgtData.Loading;
using static TorchSharp.torch;

namespace VgtData.Tests.Loading;

/// <summary>The bench checksum must move when any byte of any batch tensor moves, and only then.</summary>
public class BatchChecksumTests
{
    public enum Part { Pixels, Latents, Tokens, Ids, Mask }

    /// <summary>A batch with all five tensors; <paramref name="flip"/> changes one byte of one of them.</summary>
    private static Batch Make(Part? flip = null, int at = 0)
    {
        var pixels = arange(2 * 3 * 4 * 4, dtype: ScalarType.Float32).reshape(2, 3, 4, 4) / 100f;
        var latents = arange(2 * 4 * 2 * 2, dtype: ScalarType.BFloat16).reshape(2, 4, 2, 2);
        var tokens = arange(2 * 6, dtype: ScalarType.Int64).reshape(2, 6);
        var ids = tensor(new long[] { 11, 12, 13, 14, 15, 0 }, new long[] { 2, 3 });
        var mask = tensor(new[] { true, true, true, true, true, false }, new long[] { 2, 3 });
        var target = flip switch
        {
            Part.Pixels => pixels, Part.Latents => latents, Part.Tokens => tokens, Part.Ids => ids, Part.Mask => mask, _ => null,
        };
        if (target is not null)
        {
            var bytes = target.bytes.ToArray();
            bytes[at % bytes.Length] ^= 1; // one bit of one byte
            target.bytes = bytes;
        }
        return new Batch
        {
            PixelValues = pixels, ImageLatents = latents, ImageTokens = tokens, InputIds = ids, AttentionMask = mask,
            BatchResolution = (4, 4), Samples = [],
        };
    }

    private static ulong Hash(params Batch[] batches)
    {
        var c = new BatchChecksum();
        foreach (var b in batches)
            using (b) c.Add(b);
        return c.Value;
    }

    [Fact]
    public void SameBatchesSameChecksum()
    {
        Assert.Equal(Hash(Make(), Make()), Hash(Make(), Make()));
        Assert.Equal(16, new BatchChecksum().Hex.Length);
    }

    [Theory]
    [InlineData(Part.Pixels, 0)]
    [InlineData(Part.Pixels, 383)]
    [InlineData(Part.Latents, 5)]
    [InlineData(Part.Tokens, 90)]
    [InlineData(Part.Ids, 0)]
    [InlineData(Part.Ids, 47)]
    [InlineData(Part.Mask, 5)]
    public void OneChangedByteInAnyTensorChangesIt(Part part, int at)
    {
        var reference = Hash(Make());
        Assert.NotEqual(reference, Hash(Make(part, at)));
        // In the second batch as well, not only the first.
        Assert.NotEqual(Hash(Make(), Make()), Hash(Make(), Make(part, at)));
    }

    [Fact]
    public void AMissingTensorOrAnotherShapeChangesIt()
    {
        var reference = Hash(Make());
        var full = Make();
        var noTokens = new Batch
        {
            PixelValues = full.PixelValues, ImageLatents = full.ImageLatents, InputIds = full.InputIds, AttentionMask = full.AttentionMask,
            BatchResolution = (4, 4), Samples = [],
        };
        Assert.NotEqual(reference, Hash(noTokens));
        full.ImageTokens!.Dispose();

        var reshaped = Make();
        var ids = reshaped.InputIds.reshape(3, 2);
        var moved = new Batch
        {
            PixelValues = reshaped.PixelValues, ImageLatents = reshaped.ImageLatents, ImageTokens = reshaped.ImageTokens,
            InputIds = ids, AttentionMask = reshaped.AttentionMask, BatchResolution = (4, 4), Samples = [],
        };
        Assert.NotEqual(reference, Hash(moved));
        reshaped.InputIds.Dispose();
    }

    [Fact]
    public void FewerOrMoreBatchesChangeIt()
    {
        Assert.NotEqual(Hash(Make()), Hash(Make(), Make()));
    }
}
