using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.PixelFormats;
using VgtData.Images;
using VgtData.Tests.Images.Fuzz;

namespace VgtData.Tests.Images;

/// <summary>The PNG row decoder gives the same pixels and the same verdicts with libdeflate as with zlib-ng.</summary>
public sealed class LibdeflateTests
{
    private static readonly ImageLimits Limits = ImageLimits.Default with { MinImageSize = 0 };

    private static byte[] Decode(byte[] png, int rows, bool libdeflate)
    {
        bool was = Libdeflate.Enabled;
        Libdeflate.Enabled = libdeflate;
        try
        {
            using var image = new FastDecoder().Decode(png, "x.png", Limits, rows);
            var bytes = new byte[image.Width * image.Height * 3];
            image.CopyPixelDataTo(System.Runtime.InteropServices.MemoryMarshal.Cast<byte, Rgb24>(bytes.AsSpan()));
            return bytes;
        }
        finally
        {
            Libdeflate.Enabled = was;
        }
    }

    [SkippableFact]
    public void SamePixelsAsZlibNg()
    {
        Skip.IfNot(Libdeflate.IsAvailable, "libdeflate.so.0 is not installed (Debian: libdeflate0)");
        foreach (var png in FuzzSeeds.Png())
            foreach (int rows in new[] { int.MaxValue, 7, 1 })
                Assert.Equal(Decode(png, rows, libdeflate: false), Decode(png, rows, libdeflate: true));
    }

    [SkippableFact]
    public void SameVerdictsOnDamagedData()
    {
        Skip.IfNot(Libdeflate.IsAvailable, "libdeflate.so.0 is not installed (Debian: libdeflate0)");
        var seeds = FuzzSeeds.Png();
        for (int i = 0; i < 600; i++)
        {
            var rng = new Random(i);
            var input = ImageMutator.Mutate(seeds[i % seeds.Count], rng);
            int rows = rng.Next(2) == 0 ? int.MaxValue : 1 + rng.Next(40);
            string Verdict(bool libdeflate)
            {
                try { return Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(Decode(input, rows, libdeflate))); }
                catch (SampleException e) { return e.Reason.ToString(); }
            }
            Assert.True(Verdict(false) == Verdict(true), $"case {i}: zlib-ng and libdeflate disagree");
        }
    }
}
