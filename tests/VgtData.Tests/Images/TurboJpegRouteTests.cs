using System.Runtime.InteropServices;
using SixLabors.ImageSharp.PixelFormats;
using VgtData.Images;
using VgtData.Tests.Images.Fuzz;
using Xunit.Abstractions;

namespace VgtData.Tests.Images;

/// <summary>The two libjpeg-turbo routes of <see cref="LibjpegTurboDecoder"/>, the system's TurboJPEG and libvips, give the
/// same answer: the same pixels for every file both decode, and the same verdict (decoded, or refused for the same reason)
/// on thousands of damaged files. The Pillow golden tests run each route on its own (PillowJpegTests, JpegDraftTests).
/// Run alone: libvips keeps one error buffer per process, and a reason is read from its text, so another test's damaged
/// file failing at the same moment could change a refusal's reason (truncated or undecodable), never its verdict.</summary>
[CollectionDefinition(nameof(TurboJpegRouteTests), DisableParallelization = true)]
[Collection(nameof(TurboJpegRouteTests))]
public sealed class TurboJpegRouteTests(ITestOutputHelper output)
{
    private static readonly ImageLimits Limits = ImageLimits.Default with { MinImageSize = 0, MaxDecodeBytes = 16 << 20 };

    private static void SkipUnlessBothRoutes()
    {
        Skip.IfNot(LibjpegTurboDecoder.IsAvailable, $"libvips is not available: {LibjpegTurboDecoder.UnavailableReason}");
        Skip.IfNot(TurboJpeg.IsAvailable, "libturbojpeg.so.0 is not installed (Debian: libturbojpeg0); only the libvips route runs here");
    }

    private static (string Verdict, byte[]? Pixels) Outcome(byte[] input, bool turbo, int draft, int rows)
    {
        bool was = TurboJpeg.Enabled;
        TurboJpeg.Enabled = turbo;
        try
        {
            var decoder = new LibjpegTurboDecoder();
            using var image = draft > 0 ? decoder.DecodeDraft(input, "case", Limits, draft, draft, rows) : decoder.Decode(input, "case", Limits, rows);
            int keep = Math.Min(rows, image.Height);   // the routes may give more rows than asked for, never fewer
            var pixels = new byte[image.Width * image.Height * 3];
            image.CopyPixelDataTo(MemoryMarshal.Cast<byte, Rgb24>(pixels.AsSpan()));
            return ($"decoded {image.Width}x{keep}", pixels.AsSpan(0, image.Width * keep * 3).ToArray());
        }
        catch (SampleException e)
        {
            return ($"refused: {SampleException.ReasonName(e.Reason)}", null);
        }
        finally
        {
            TurboJpeg.Enabled = was;
        }
    }

    [SkippableFact]
    public void BothRoutesGiveTheSameVerdictAndPixelsOnDamagedFiles()
    {
        SkipUnlessBothRoutes();
        var seeds = FuzzSeeds.Jpeg(SharedData.Root);
        int decoded = 0, refused = 0;
        var disagreements = new List<string>();
        for (int i = 0; i < 1500; i++)
        {
            var rng = new Random(7_000_003 + i);
            var input = i < seeds.Count ? seeds[i] : ImageMutator.Mutate(seeds[i % seeds.Count], rng);
            int rows = rng.Next(3) == 0 ? 1 + rng.Next(64) : int.MaxValue;
            int draft = rng.Next(3) == 0 ? 4 + rng.Next(40) : 0;
            var turbo = Outcome(input, true, draft, rows);
            var vips = Outcome(input, false, draft, rows);
            if (turbo.Pixels != null) decoded++; else refused++;
            if (turbo.Verdict != vips.Verdict)
                disagreements.Add($"case {i} (seed {i % seeds.Count}, draft {draft}): TurboJPEG {turbo.Verdict}, libvips {vips.Verdict}");
            else if (turbo.Pixels != null && !turbo.Pixels.AsSpan().SequenceEqual(vips.Pixels))
                disagreements.Add($"case {i} (seed {i % seeds.Count}, draft {draft}): the pixels differ");
        }
        output.WriteLine($"{decoded} decoded, {refused} refused, {disagreements.Count} disagreements");
        Assert.True(disagreements.Count == 0, string.Join("\n", disagreements.Take(20)));
        Assert.True(decoded > 100 && refused > 100, $"{decoded} decoded, {refused} refused: the mutants do not cover both verdicts");
    }

    [SkippableTheory]
    [InlineData(1024, 1024, 1, true)]
    [InlineData(1024, 1024, 2, true)]
    [InlineData(1024, 1536, 8, true)]
    [InlineData(33, 25, 2, true)]
    [InlineData(5, 5, 2, true)]
    [InlineData(3, 3, 2, false)]   // 5/8 of 3 px rounds up to 2 px too, and TurboJPEG tries 5/8 before 1/2
    [InlineData(3, 100, 2, true)]  // 5/8 fits the width but not the height
    [InlineData(1, 1, 8, false)]   // every factor up to 1 gives 1 px
    public void TurboJpegIsUsedOnlyWhereItDecodesAtPillowsScale(int width, int height, int scale, bool expected)
    {
        Skip.IfNot(TurboJpeg.IsAvailable, "libturbojpeg.so.0 is not installed (Debian: libturbojpeg0)");
        Assert.Equal(expected, TurboJpeg.DecodesAtScale(width, height, scale));
    }
}

/// <summary>The per-thread native objects (TurboJPEG handles, libdeflate decompressors) are freed when their thread ends,
/// so a process that starts and stops loader workers again and again does not keep one per thread it ever had.</summary>
[Collection(nameof(TurboJpegRouteTests))]
public sealed class ThreadNativeHandleTests
{
    [SkippableFact]
    public void EachThreadsHandleIsFreedWhenTheThreadEnds()
    {
        Skip.IfNot(TurboJpeg.IsAvailable, "libturbojpeg.so.0 is not installed (Debian: libturbojpeg0)");
        var jpeg = FuzzSeeds.Jpeg(null)[0];
        long before = ThreadNativeHandle.Live;
        using var decoded = new CountdownEvent(8);
        using var release = new ManualResetEventSlim();
        var threads = Enumerable.Range(0, 8).Select(n => new Thread(() =>
        {
            var pixels = new byte[48 * 40 * 3 * 2];
            Assert.Equal(TurboJpeg.Outcome.Decoded, TurboJpeg.Decode(jpeg, pixels, 48, 40, out _));
            Assert.Equal(TurboJpeg.Outcome.Decoded, TurboJpeg.Decode(jpeg, pixels, 48, 40, out _));   // the same handle again
            decoded.Signal();
            release.Wait();
        })).ToList();
        threads.ForEach(t => t.Start());
        Assert.True(decoded.Wait(TimeSpan.FromSeconds(30)), "the decoding threads did not finish");
        Assert.Equal(before + 8, ThreadNativeHandle.Live);   // one per thread, kept while the thread lives
        release.Set();
        threads.ForEach(t => t.Join());

        for (int i = 0; i < 50 && ThreadNativeHandle.Live > before; i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            Thread.Sleep(10);
        }
        Assert.Equal(before, ThreadNativeHandle.Live);
    }
}
