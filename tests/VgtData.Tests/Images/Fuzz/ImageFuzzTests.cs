using VgtData.Images;
using Xunit.Abstractions;

namespace VgtData.Tests.Images.Fuzz;

/// <summary>Bounded, seeded mutation fuzzing of the PNG row decoder, the JPEG route and the GIF decoder through the default
/// decoder: thousands of damaged files, each either decoded or refused with a typed error; no other exception, no hang,
/// no crash. The long run is benchmarks/ImageFuzz.</summary>
public sealed class ImageFuzzTests(ITestOutputHelper output)
{
    // Small limits keep a mutated header from asking for a large (slow, but legitimate) decode.
    private static readonly ImageLimits Limits = ImageLimits.Default with { MinImageSize = 0, MaxDecodeBytes = 16 << 20 };

    private void Fuzz(string what, List<byte[]> seeds, int count, int seed, bool zlibOnly = false)
    {
        var decoder = ImageDecoder.Shared;
        foreach (var s in seeds)
        {
            using var ok = decoder.Decode(s, "seed", Limits);   // every seed is valid to begin with
        }
        var run = Task.Run(() =>
        {
            if (zlibOnly) Libdeflate.Enabled = false;   // this worker thread only
            return ImageMutator.Run(decoder, seeds, count, seed, Limits);
        });
        Assert.True(run.Wait(TimeSpan.FromSeconds(120)), $"{what}: the fuzz run did not finish (a decode hangs)");
        var r = run.Result;
        output.WriteLine($"{what}: {count} mutants of {seeds.Count} seeds: {r.Decoded} decoded, {r.Refused} refused " +
            $"({string.Join(", ", r.Reasons.OrderByDescending(p => p.Value).Select(p => $"{SampleException.ReasonName(p.Key)} {p.Value}"))}); " +
            $"slowest {r.Slowest.TotalMilliseconds:0.0} ms (case {r.SlowestCase})");
        Assert.True(r.Unexpected.Count == 0, $"{what}: {r.Unexpected.Count} untyped failures:\n" + string.Join("\n", r.Unexpected.Take(10)));
        Assert.True(r.Refused > count / 10, $"{what}: only {r.Refused} of {count} mutants refused; the mutator is not biting");
    }

    [Fact]
    public void PngRowDecoderRefusesDamageWithTypedErrors() => Fuzz("png", FuzzSeeds.Png(), 3000, 1);

    [Fact]
    public void PngRowDecoderWithoutLibdeflateRefusesDamageWithTypedErrors() => Fuzz("png (zlib-ng)", FuzzSeeds.Png(), 2000, 1, zlibOnly: true);

    [Fact]
    public void ZlibErrorCodesAreTypedErrors()
    {
        // benchmarks/ImageFuzz found these: zlib-ng failing with ZLibException (an IOException), not InvalidDataException.
        foreach (var (seed, lastCase) in new[] { (56433, 475), (80190, 1789) })
        {
            var r = Task.Run(() =>
            {
                Libdeflate.Enabled = false;
                return ImageMutator.Run(ImageDecoder.Shared, FuzzSeeds.Png(), lastCase + 1, seed, Limits);
            }).Result;
            Assert.True(r.Unexpected.Count == 0, string.Join("\n", r.Unexpected));
        }
    }

    [SkippableFact]
    public void JpegRouteRefusesDamageWithTypedErrors()
    {
        Skip.IfNot(LibjpegTurboDecoder.IsAvailable, $"libvips is not available: {LibjpegTurboDecoder.UnavailableReason}");
        Fuzz("jpeg", FuzzSeeds.Jpeg(SharedData.Root), 3000, 2);
    }

    [Fact]
    public void GifDecoderRefusesDamageWithTypedErrors() => Fuzz("gif", FuzzSeeds.Gif(Path.Combine(SharedData.RepoRoot, "tests", "VgtData.Tests", "Images", "Transparency")), 2000, 3);
}
