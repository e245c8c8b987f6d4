using SixLabors.ImageSharp.PixelFormats;
using VgtData.Datasets;
using VgtData.Images;
using VgtData.Sources;
using VgtData.Tests.Fixtures;
using VgtData.Storage;

namespace VgtData.Tests.Datasets;

/// <summary>Each kind of bad entry: the exact reason, the log entry, and a deterministic replacement.</summary>
public sealed class BadSampleTests : IDisposable
{
    private const int Good = 4;   // entries 0..3 are good, entry 4 is the bad one
    private const int Bad = Good;
    private readonly TestImages _dir = new();

    public BadSampleTests()
    {
        for (int i = 0; i < Good; i++) _dir.WriteNoisePng($"g{i}.png", 96, 96, seed: i);
    }

    public void Dispose() => _dir.Dispose();

    private void WriteManifest(object badEntry)
    {
        var entries = Enumerable.Range(0, Good).Select(i => (object)new { image = $"g{i}.png", caption = $"good {i}" }).ToList();
        entries.Add(badEntry);
        _dir.WriteManifest("data.json", entries);
    }

    /// <summary>Asserts that entry <see cref="Bad"/> fails with <paramref name="reason"/> at <paramref name="path"/>,
    /// is replaced by a good entry, and that the replacement depends only on the seed.</summary>
    private void AssertReplaced(SampleFailureReason reason, string path, CaptionDatasetOptions? options = null)
    {
        options ??= _dir.Options();
        int[] replacements = new int[6];
        for (int seed = 0; seed < replacements.Length; seed++)
        {
            using var ds = new CaptionDataset(options with { Seed = seed });
            using var s = ds.GetSample(Bad);
            Assert.Equal(Bad, s.Index);
            Assert.InRange(s.SourceIndex, 0, Good - 1);
            Assert.Equal($"g{s.SourceIndex}.png", s.ImageFile);

            var recorded = ds.Failures.Recorded;
            Assert.NotEmpty(recorded);
            Assert.All(recorded, f =>
            {
                Assert.Equal(Bad, f.Index);
                Assert.Equal(path, f.Path);
                Assert.Equal(reason, f.Reason);
            });
            Assert.Equal(recorded.Count, ds.Failures.CountsByReason[reason]);
            Assert.Contains(path, recorded[0].ToString());
            Assert.Contains(SampleException.ReasonName(reason), recorded[0].ToString());

            // Same seed, fresh dataset: the same replacement, byte for byte.
            using var again = new CaptionDataset(options with { Seed = seed });
            using var s2 = again.GetSample(Bad);
            Assert.Equal(s.SourceIndex, s2.SourceIndex);
            Assert.Equal(s.InputIds, s2.InputIds);
            Assert.Equal(s.Pixels!.Pixels.ToArray(), s2.Pixels!.Pixels.ToArray());
            replacements[seed] = s.SourceIndex;
        }
        Assert.True(replacements.Distinct().Count() > 1, $"six seeds all replaced entry {Bad} by {replacements[0]}");
    }

    private static SampleException DecodeFails(byte[] bytes, ImageLimits? limits = null) =>
        Assert.Throws<SampleException>(() => ImageDecoder.Shared.Decode(bytes, "x", limits ?? ImageLimits.Default).Dispose());

    [Fact]
    public void MissingFile()
    {
        WriteManifest(new { image = "nowhere/missing.png", caption = "x" });
        AssertReplaced(SampleFailureReason.MissingFile, _dir.PathOf("nowhere/missing.png"));
    }

    [Fact]
    public void GarbageBytesAreUndecodable()
    {
        var garbage = new byte[3000];
        new Random(1).NextBytes(garbage);
        _dir.WriteBytes("garbage.png", garbage);
        WriteManifest(new { image = "garbage.png", caption = "x" });
        AssertReplaced(SampleFailureReason.Undecodable, _dir.PathOf("garbage.png"));
    }

    [Fact]
    public void ZeroByteFileIsUndecodable()
    {
        _dir.WriteBytes("empty.jpg", []);
        WriteManifest(new { image = "empty.jpg", caption = "x" });
        AssertReplaced(SampleFailureReason.Undecodable, _dir.PathOf("empty.jpg"));
    }

    [Fact]
    public void PngCutInHalfIsTruncated()
    {
        var full = File.ReadAllBytes(_dir.WriteNoisePng("full.png", 120, 120, seed: 9));
        _dir.WriteBytes("half.png", full[..(full.Length / 2)]);
        WriteManifest(new { image = "half.png", caption = "x" });
        AssertReplaced(SampleFailureReason.Truncated, _dir.PathOf("half.png"));
        Assert.Equal(SampleFailureReason.Truncated, DecodeFails(full[..(full.Length / 2)]).Reason);
        // Missing only the final IEND chunk is truncated too (some decoders would accept it).
        Assert.Equal(SampleFailureReason.Truncated, DecodeFails(full[..^12]).Reason);
    }

    [Fact]
    public void JpegCutInHalfIsTruncated()
    {
        byte[] full;
        using (var img = TestImages.Noise(120, 120, seed: 2)) full = File.ReadAllBytes(_dir.WriteJpeg("full.jpg", img));
        _dir.WriteBytes("half.jpg", full[..(full.Length / 2)]);
        WriteManifest(new { image = "half.jpg", caption = "x" });
        AssertReplaced(SampleFailureReason.Truncated, _dir.PathOf("half.jpg"));
        Assert.Equal(SampleFailureReason.Truncated, DecodeFails(full[..^2]).Reason);
    }

    [Theory]
    [InlineData(60, 120)]
    [InlineData(120, 60)]
    [InlineData(80, 120)]   // the rule is "side <= 80": exactly 80 is refused
    [InlineData(120, 80)]
    public void TooSmall(int width, int height)
    {
        _dir.WriteNoisePng("small.png", width, height, seed: 1);
        WriteManifest(new { image = "small.png", caption = "x" });
        AssertReplaced(SampleFailureReason.TooSmall, _dir.PathOf("small.png"));
    }

    [Fact]
    public void EightyOnePixelsIsAccepted()
    {
        using var img = TestImages.Noise(81, 81, seed: 1);
        var bytes = File.ReadAllBytes(_dir.WritePng("ok.png", img));
        using var decoded = ImageDecoder.Shared.Decode(bytes, "ok.png", ImageLimits.Default);
        Assert.Equal((81, 81), (decoded.Width, decoded.Height));
    }

    [Theory]
    [InlineData(990, 90)]
    [InlineData(90, 990)]
    public void AspectElevenIsBad(int width, int height)
    {
        _dir.WriteNoisePng("thin.png", width, height, seed: 1);
        WriteManifest(new { image = "thin.png", caption = "x" });
        AssertReplaced(SampleFailureReason.BadAspect, _dir.PathOf("thin.png"));
    }

    [Fact]
    public void OverThePixelLimitIsRefusedFromTheHeader()
    {
        var bomb = TestImages.PngWithHeader(20000, 20000);
        Assert.True(bomb.Length < 100);
        _dir.WriteBytes("bomb.png", bomb);
        WriteManifest(new { image = "bomb.png", caption = "x" });
        AssertReplaced(SampleFailureReason.TooManyPixels, _dir.PathOf("bomb.png"));

        DecodeFails(bomb);  // warm-up: first use of the decoder allocates its configuration
        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = DecodeFails(bomb);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(SampleFailureReason.TooManyPixels, e.Reason);
        Assert.Contains("20000x20000", e.Message);
        // Decoding would need 1.2 GB; refusing from the header needs next to nothing.
        Assert.True(allocated < 1_000_000, $"refusing the bomb allocated {allocated} bytes");
    }

    [Fact]
    public void JpegNamedPngDecodes()
    {
        using (var img = TestImages.Rgb(100, 100, (x, y) => new Rgb24(200, 30, 90))) _dir.WriteJpeg("photo.png", img);
        WriteManifest(new { image = "photo.png", caption = "jpeg inside" });
        using var ds = new CaptionDataset(_dir.Options());
        using var s = ds.GetSample(Bad);
        Assert.Equal(Bad, s.SourceIndex);
        Assert.Empty(ds.Failures.Recorded);
        var p = s.Pixels!.Pixels;
        for (int i = 0; i < p.Length; i += 3)
        {
            Assert.InRange(p[i], 195, 205);
            Assert.InRange(p[i + 1], 25, 35);
            Assert.InRange(p[i + 2], 85, 95);
        }
    }

    [Fact]
    public void MissingCaptionKey()
    {
        _dir.WriteNoisePng("b.png", 96, 96, 5);
        WriteManifest(new { image = "b.png", text = "caption under another key" });
        AssertReplaced(SampleFailureReason.MissingCaptionKey, $"{_dir.PathOf("data.json")}[image=b.png]");
    }

    [Fact]
    public void AnnotationWithoutTheCapSourceKey()
    {
        _dir.WriteNoisePng("b.png", 96, 96, 5);
        _dir.WriteText("caps/b.json", """{"other": "x"}""");
        WriteManifest(new { image = "b.png", annotation = "b.json" });
        AssertReplaced(SampleFailureReason.MissingCaptionKey, Path.Combine(_dir.PathOf("caps"), "b.json"),
            _dir.Options() with { CapFolder = _dir.PathOf("caps") });
    }

    [Fact]
    public void MissingAnnotationFileIsUnreadable()
    {
        _dir.WriteNoisePng("b.png", 96, 96, 5);
        Directory.CreateDirectory(_dir.PathOf("caps"));
        WriteManifest(new { image = "b.png", annotation = "b.json" });
        AssertReplaced(SampleFailureReason.UnreadableAnnotation, Path.Combine(_dir.PathOf("caps"), "b.json"),
            _dir.Options() with { CapFolder = _dir.PathOf("caps") });
    }

    [Fact]
    public void InvalidAnnotationJsonIsUnreadable()
    {
        _dir.WriteNoisePng("b.png", 96, 96, 5);
        _dir.WriteText("caps/b.json", """{"caption": "unterminated""");
        WriteManifest(new { image = "b.png", annotation = "b.json" });
        AssertReplaced(SampleFailureReason.UnreadableAnnotation, Path.Combine(_dir.PathOf("caps"), "b.json"),
            _dir.Options() with { CapFolder = _dir.PathOf("caps") });
    }

    [Fact]
    public void BlankCaption()
    {
        _dir.WriteNoisePng("b.png", 96, 96, 5);
        WriteManifest(new { image = "b.png", caption = "  \u001c " });
        AssertReplaced(SampleFailureReason.BlankCaption, _dir.PathOf("b.png"));
    }

    [Fact]
    public void BlankTxtAnnotation()
    {
        _dir.WriteNoisePng("b.png", 96, 96, 5);
        _dir.WriteText("caps/b.txt", "\n \u001f\t\r\n");
        WriteManifest(new { image = "b.png", annotation = "b.txt" });
        AssertReplaced(SampleFailureReason.BlankCaption, _dir.PathOf("b.png"), _dir.Options() with { CapFolder = _dir.PathOf("caps") });
    }

    /// <summary>Counts reads, to prove the dataset gives up after a bounded number of them.</summary>
    private sealed class CountingSource(IImageSource inner) : IImageSource
    {
        public int Reads;
        public PooledBytes Read(string imageFile) { Interlocked.Increment(ref Reads); return inner.Read(imageFile); }
        public string Describe(string imageFile) => inner.Describe(imageFile);
        public bool Exists(string imageFile) => inner.Exists(imageFile);
        public void Dispose() => inner.Dispose();
    }

    private CaptionDatasetOptions AllBad(CountingSource source)
    {
        _dir.WriteManifest("bad.json", Enumerable.Range(0, 50).Select(i => (object)new { image = $"missing{i}.png", caption = "x" }));
        return _dir.Options("bad.json") with { ImageSource = source };
    }

    [Fact]
    public void EveryEntryBadExceedsTheBudgetAfterBoundedReads()
    {
        var source = new CountingSource(new FolderImageSource(_dir.Root));
        using var ds = new CaptionDataset(AllBad(source) with { FailureWindow = 10, FailureBudget = 0.5 });
        var task = Task.Run(() => ds.GetSample(0));
        Assert.True(task.ContinueWith(_ => { }).Wait(TimeSpan.FromSeconds(20)), "GetSample did not return");
        var e = Assert.IsType<VgtDataException>(task.Exception!.InnerException);
        Assert.Contains("budget", e.Message);
        Assert.Contains("too many bad samples", e.Message);
        Assert.Contains("missing", e.Message);
        // More than half of a window of 10 may not fail: the 6th failure throws.
        Assert.Equal(6, source.Reads);
        Assert.Equal(6, ds.Failures.Failures);
    }

    [Fact]
    public void BudgetCountsFailuresAcrossIndices()
    {
        var source = new CountingSource(new FolderImageSource(_dir.Root));
        using var ds = new CaptionDataset(AllBad(source) with { FailureWindow = 10, FailureBudget = 0.1, MaxReplacements = 1 });
        // One try per index: index 0 fails alone (1 of 10 is within the budget) and runs out of replacements…
        var first = Assert.Throws<VgtDataException>(() => ds.GetSample(0));
        Assert.Contains("no usable replacement after 1 tries", first.Message);
        // … the second failure in the window is over the budget.
        var second = Assert.Throws<VgtDataException>(() => ds.GetSample(1));
        Assert.Contains("budget", second.Message);
        Assert.Equal(2, source.Reads);
    }

    [Fact]
    public void MaxReplacementsBoundsTheTries()
    {
        var source = new CountingSource(new FolderImageSource(_dir.Root));
        using var ds = new CaptionDataset(AllBad(source) with { FailureBudget = 1.0, MaxReplacements = 5 });
        var e = Assert.Throws<VgtDataException>(() => ds.GetSample(3));
        Assert.Contains("sample 3", e.Message);
        Assert.Contains("no usable replacement after 5 tries", e.Message);
        Assert.Contains("missing file", e.Message);
        Assert.Equal(5, source.Reads);
        Assert.Equal(5, ds.Failures.Recorded.Count);
        Assert.Equal(3, ds.Failures.Recorded[0].Index);
        Assert.IsType<SampleException>(e.InnerException);
    }

    [Fact]
    public void SuccessesKeepTheWindowUnderBudget()
    {
        WriteManifest(new { image = "missing.png", caption = "x" });
        using var ds = new CaptionDataset(_dir.Options() with { FailureWindow = 10, FailureBudget = 0.5 });
        // About one failure per six reads: more than 5 in total, but never more than 5 of the last 10, so no throw.
        for (int round = 0; round < 10; round++)
        for (int i = 0; i <= Bad; i++)
            ds.GetSample(i, epoch: round).Dispose();
        Assert.True(ds.Failures.Failures >= 10);
        Assert.Equal(ds.Failures.Failures, ds.Failures.CountsByReason[SampleFailureReason.MissingFile]);
    }
}
