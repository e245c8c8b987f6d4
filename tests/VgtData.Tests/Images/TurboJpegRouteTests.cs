using System.Runtime.InteropServices;
using SixLabors.ImageSharp.PixelFormats;
using VgtData.Images;
using VgtData.Tests.Fixtures;
using VgtData.Tests.Images.Fuzz;
using Xunit.Abstractions;

namespace VgtData.Tests.Images;

/// <summary>The two libjpeg-turbo routes of <see cref="LibjpegTurboDecoder"/>, the system's TurboJPEG and libvips, give the
/// same answer: the same pixels for every file both decode, and the same verdict (decoded, or refused for the same reason)
/// on thousands of damaged files. The Pillow golden tests run each route on its own (PillowJpegTests, JpegDraftTests).
/// Run alone: libvips keeps one error buffer per process, and a reason is read from its text, so another test's damaged
/// file failing at the same moment could change a refusal's reason (truncated or undecodable), never its verdict.</summary>
[Collection(nameof(SerialJpegCollection))]
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
            var decoder = ImageDecoder.Shared;
            using var image = draft > 0 ? decoder.DecodeDraft(input, "case", Limits, draft, draft, rows) : decoder.Decode(input, "case", Limits, rows);
            int keep = Math.Min(rows, image.Height);   // the routes may give more rows than asked for, never fewer
            var pixels = image.Pixels.ToArray();
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
    [InlineData(8, 1, 8, true)]    // each side alone at its smallest: 1/4 gives 2 px, 1/8 the 1 px asked for
    [InlineData(1, 8, 8, true)]
    [InlineData(2, 1, 2, true)]    // 1 px asked for: 7/8 to 5/8 of 2 px still round up to 2
    [InlineData(1, 2, 2, true)]
    public void TurboJpegIsUsedOnlyWhereItDecodesAtPillowsScale(int width, int height, int scale, bool expected)
    {
        Skip.IfNot(TurboJpeg.IsAvailable, "libturbojpeg.so.0 is not installed (Debian: libturbojpeg0)");
        Assert.Equal(expected, TurboJpeg.DecodesAtScale(width, height, scale));
    }
}

/// <summary>The per-thread native objects (TurboJPEG handles, libdeflate decompressors) are freed when their thread ends,
/// so a process that starts and stops loader workers again and again does not keep one per thread it ever had.</summary>
[Collection(nameof(SerialJpegCollection))]
public sealed class ThreadNativeHandleTests
{
    [SkippableFact]
    public void EachThreadsHandlesAreReusedAndFreedWhenTheThreadEnds()
    {
        Skip.IfNot(TurboJpeg.IsAvailable && Libdeflate.IsAvailable, "libturbojpeg.so.0 or libdeflate.so.0 is not installed (Debian: libturbojpeg0, libdeflate0)");
        var jpeg = FuzzSeeds.Jpeg(null)[0];
        var zlib = TestImages.Zlib(new byte[1000]);
        var handles = new System.Collections.Concurrent.ConcurrentBag<WeakReference>();
        var threads = Enumerable.Range(0, 8).Select(n => new Thread(() =>
        {
            var pixels = new byte[48 * 40 * 3];
            Assert.True(TurboJpeg.Decode(jpeg, pixels, 48, 40));
            var first = TurboJpeg.ThreadHandle;
            Assert.True(TurboJpeg.Decode(jpeg, pixels, 48, 40));
            Assert.Same(first, TurboJpeg.ThreadHandle);   // made once per thread, then reused
            Assert.Equal(Libdeflate.Result.Success, Libdeflate.Inflate(zlib, new byte[1000], out _));
            // Long weak references: alive until the finalizer (which frees the native object) has run.
            handles.Add(new WeakReference(first, trackResurrection: true));
            handles.Add(new WeakReference(Libdeflate.ThreadDecompressor, trackResurrection: true));
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());
        Assert.Equal(16, handles.Count);
        Assert.Equal(16, handles.Select(h => h.Target).Distinct().Count());   // one of each per thread

        for (int i = 0; i < 50 && handles.Any(h => h.IsAlive); i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            Thread.Sleep(10);
        }
        Assert.True(handles.All(h => !h.IsAlive), $"{handles.Count(h => h.IsAlive)} of 16 handles outlived their threads");
    }
}

/// <summary>A handle's finalizer hands its value to its free function, once.</summary>
public sealed unsafe class ThreadNativeHandleFinalizerTests
{
    private static readonly System.Collections.Concurrent.ConcurrentBag<IntPtr> Freed = [];

    [System.Runtime.InteropServices.UnmanagedCallersOnly]
    private static void RecordFree(IntPtr value) => Freed.Add(value);

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static void MakeAndDrop(IntPtr value) => _ = new ThreadNativeHandle(value, &RecordFree);

    [Fact]
    public void TheFinalizerFreesTheValue()
    {
        var values = Enumerable.Range(0, 5).Select(i => (IntPtr)(0x7000_0000 + 16 * i)).ToArray();
        foreach (var v in values) MakeAndDrop(v);
        for (int i = 0; i < 50 && !values.All(Freed.Contains); i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }
        foreach (var v in values) Assert.Equal(1, Freed.Count(f => f == v));
    }
}

/// <summary>Runs alone: libvips' error buffer and the count of native handles are process-wide.</summary>
[CollectionDefinition(nameof(SerialJpegCollection), DisableParallelization = true)]
public sealed class SerialJpegCollection;
