using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;
using VgtData.Datasets;
using VgtData.Images;
using VgtData.Loading;
using VgtData.Sources;
using VgtData.Tests.Fixtures;
using VgtData.Tests.Latents;
using VgtData.Storage;

namespace VgtData.Tests.Datasets;

/// <summary>Pins of Datasets behaviour that mutation testing (benchmarks/mutation.sh Datasets) found unchecked: the
/// per-sample generator's outputs, the failure log's budget window and messages, and CaptionDataset's exact refusals,
/// replacements, stage timings and ownership of its source.</summary>
public sealed class DatasetsMutationTests : IDisposable
{
    private readonly TestImages _dir = new();

    public void Dispose() => _dir.Dispose();

    // ---- SampleRandom: splitmix64, pinned to its reference outputs and to a Python transcription ----

    [Fact]
    public void MixIsSplitMix64()
    {
        // splitmix64 from state 0: its first three outputs (the published reference sequence).
        Assert.Equal(0xE220A8397B1DCDAFUL, SampleRandom.Mix(0x9E3779B97F4A7C15UL));
        Assert.Equal(0x6E789E6AA1B965F4UL, SampleRandom.Mix(unchecked(2 * 0x9E3779B97F4A7C15UL)));
        Assert.Equal(0x06C45D188009454FUL, SampleRandom.Mix(unchecked(3 * 0x9E3779B97F4A7C15UL)));
    }

    [Fact]
    public void DrawsArePinned()
    {
        // Values from a Python transcription of the generator (seed, epoch, index, stream mixed in that order).
        var r = new SampleRandom(7, 3, 11);
        Assert.Equal([0xD441D413D652C2FDUL, 0xF25801A4295D0A11UL, 0x2D3F428B7EB7B07EUL], new[] { r.NextUInt64(), r.NextUInt64(), r.NextUInt64() });
        var d = new SampleRandom(-5, 0, 2, stream: 1000);
        Assert.Equal(0.1667699518933493, d.NextDouble());
        Assert.Equal(0.9433874494472279, d.NextDouble());
        var n = new SampleRandom(42, 1, 9);
        Assert.Equal([5, 2, 1, 3, 0, 4, 8, 8], Enumerable.Range(0, 8).Select(_ => n.NextInt(10)).ToArray());
        Assert.Equal("exclusiveMax", Assert.Throws<ArgumentOutOfRangeException>(() => new SampleRandom(1, 1, 1).NextInt(0)).ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() => new SampleRandom(1, 1, 1).NextInt(-3));
    }

    // ---- SampleFailureLog ----

    private static SampleFailure Failure(int index, string detail = "bad") => new(index, $"img{index}.png", SampleFailureReason.Undecodable, detail);

    [Fact]
    public void FailureLinesNameIndexPathReasonAndDetail()
    {
        Assert.Equal("sample 3 (img3.png): undecodable: bad", Failure(3).ToString());
        Assert.Equal("sample 4 (img4.png): undecodable", Failure(4, "").ToString());
    }

    [Fact]
    public void BudgetAndWindowAreChecked()
    {
        Assert.Equal("budgetFraction", Assert.Throws<ArgumentOutOfRangeException>(() => new SampleFailureLog(-0.1)).ParamName);
        Assert.Equal("budgetFraction", Assert.Throws<ArgumentOutOfRangeException>(() => new SampleFailureLog(1.5)).ParamName);
        Assert.Equal("window", Assert.Throws<ArgumentOutOfRangeException>(() => new SampleFailureLog(0.5, 0)).ParamName);
        Assert.Equal(0, new SampleFailureLog(0).BudgetFraction);      // both ends are allowed
        Assert.Equal(1, new SampleFailureLog(1, 1).Window);
    }

    [Fact]
    public void CountsKeepsAndSums()
    {
        var log = new SampleFailureLog(1.0, 10, keep: 2);
        log.RecordSuccess();
        log.RecordFailure(Failure(1));
        log.RecordFailure(Failure(2));
        log.RecordFailure(new SampleFailure(3, "x", SampleFailureReason.Truncated, "cut"));
        Assert.Equal(4, log.Reads);
        Assert.Equal(3, log.Failures);   // summed over the reasons (2 + 1)
        Assert.Equal([1, 2], log.Recorded.Select(f => f.Index));   // only `keep` are kept
        Assert.Equal(2, log.CountsByReason[SampleFailureReason.Undecodable]);
    }

    [Fact]
    public void TheBudgetMessageCountsOnlyTheReadsSoFar()
    {
        var log = new SampleFailureLog(0.1, 100);
        for (int i = 0; i < 10; i++) log.RecordFailure(Failure(i));
        var e = Assert.Throws<VgtDataException>(() => log.RecordFailure(Failure(10)));
        Assert.Equal("too many bad samples: 11 of the last 11 reads failed (budget 10 % of 100); latest: sample 10 (img10.png): " +
            "undecodable: bad. Run 'vgtdata validate' on the config to list every bad entry.", e.Message.Replace("10%", "10 %"));
    }

    [Fact]
    public void AFailureLeavesTheWindowExactlyWindowReadsLater()
    {
        // Window 4, budget 0.5: the third failure within any 4 reads throws.
        var forgets = new SampleFailureLog(0.5, 4);
        forgets.RecordFailure(Failure(0));
        for (int i = 0; i < 3; i++) forgets.RecordSuccess();
        forgets.RecordFailure(Failure(4));   // read 5: read 1's failure has left the window
        forgets.RecordFailure(Failure(5));   // 2 in the window: fine
        Assert.Equal(3, forgets.Failures);

        var counts = new SampleFailureLog(0.5, 4);
        for (int i = 0; i < 4; i++) counts.RecordSuccess();
        counts.RecordFailure(Failure(4));    // a success leaving the window takes no failure with it
        counts.RecordFailure(Failure(5));
        Assert.Throws<VgtDataException>(() => counts.RecordFailure(Failure(6)));
    }

    // ---- CaptionDataset ----

    private CaptionDatasetOptions Three()
    {
        for (int i = 0; i < 3; i++) _dir.WriteNoisePng($"i{i}.png", 96, 96, seed: i);
        _dir.WriteManifest("data.json", Enumerable.Range(0, 3).Select(i => (object)new { image = $"i{i}.png", caption = $"c {i}" }));
        return _dir.Options();
    }

    [Fact]
    public void SampleSizeIsKnownOnlyForPixels()
    {
        var o = Three();
        using (var ds = new CaptionDataset(o)) Assert.Equal((16, 16), ds.SampleSize);
        using (var ds = new CaptionDataset(o with { ImageLatentsFolder = _dir.Root })) Assert.Null(ds.SampleSize);
        using (var ds = new CaptionDataset(o with { ImageTokensFolder = _dir.Root })) Assert.Null(ds.SampleSize);
    }

    [Fact]
    public void IndexesOutsideTheDatasetAreRefusedWithTheirNumber()
    {
        var o = Three();
        using var ds = new CaptionDataset(o);
        Assert.Equal(Path.Combine(_dir.Root, "i1.png"), ds.Describe(1));
        Assert.Equal("index 3", ds.Describe(3));
        Assert.Equal("index -1", ds.Describe(-1));
        var past = Assert.Throws<IndexOutOfRangeException>(() => ds.GetSample(3));
        Assert.Equal($"index 3 is outside the dataset's 3 samples ({o.DataPath})", past.Message);
        Assert.Equal($"index -1 is outside the dataset's 3 samples ({o.DataPath})", Assert.Throws<IndexOutOfRangeException>(() => ds.GetSample(-1)).Message);
        Assert.Throws<OverflowException>(() => ds.GetTensor(1L << 32));
    }

    [Fact]
    public void StageTimesAreRecorded()
    {
        using var ds = new CaptionDataset(Three());
        ds.Stats = new StageTimes();
        using (ds.GetSample(0)) { }
        foreach (var stage in new[] { StageTimes.Stage.Read, StageTimes.Stage.Decode, StageTimes.Stage.Resize, StageTimes.Stage.Tokenize })
            Assert.True(ds.Stats.Seconds(stage) > 0, $"no time recorded for {stage}");
    }

    [Fact]
    public void ReplacementsFollowTheirOwnStreamsAttemptByAttempt()
    {
        // 12 entries, only the last is good: a bad sample walks a chain of replacement draws until it lands on entry 11.
        _dir.WriteNoisePng("good.png", 96, 96, seed: 1);
        _dir.WriteManifest("data.json", Enumerable.Range(0, 12).Select(i => (object)new { image = i == 11 ? "good.png" : $"missing{i}.png", caption = "c" }));
        var o = _dir.Options() with { FailureBudget = 1, MaxReplacements = 200, Seed = 5 };
        for (int index = 0; index < 4; index++)
        {
            using var ds = new CaptionDataset(o);
            using var s = ds.GetSample(index, epoch: 2);
            Assert.Equal(11, s.SourceIndex);
            // The chain, drawn here: attempt a uses stream 1000 + a.
            var chain = new List<int> { index };
            for (int a = 0; chain[^1] != 11; a++) chain.Add(new SampleRandom(5, 2, index, 1000UL + (ulong)a).NextInt(12));
            Assert.Equal(chain.Take(chain.Count - 1), ds.Failures.Recorded.Select(f => f.Index));
        }
    }

    private sealed class WrongSizeDecoder(int widthLoss) : IImageDecoder
    {
        private readonly ImageDecoder _inner = ImageDecoder.Shared;
        public string Name => "wrong";
        public (int Width, int Height) ReadSize(ReadOnlyMemory<byte> data, string path) => _inner.ReadSize(data, path);
        public RgbImage Decode(ReadOnlyMemory<byte> data, string path, ImageLimits limits)
        {
            var image = _inner.Decode(data, path, limits);   // every row, whatever the crop needs
            if (widthLoss == 0) return image;
            using (image)
            {
                var narrower = new RgbImage(image.Width - widthLoss, image.Height);
                for (int y = 0; y < image.Height; y++) image.Row(y)[..(narrower.Width * 3)].CopyTo(narrower.Row(y));
                return narrower;
            }
        }
    }

    [Fact]
    public void ADecoderThatDisagreesWithTheHeaderIsRefusedAndOneThatGivesMoreRowsIsNot()
    {
        for (int i = 0; i < 6; i++) _dir.WriteNoisePng($"t{i}.png", 96, 144, seed: i);   // tall: the crop needs fewer rows
        _dir.WriteManifest("data.json", Enumerable.Range(0, 6).Select(i => (object)new { image = $"t{i}.png", caption = "c" }));
        using (var whole = new CaptionDataset(_dir.Options() with { Decoder = new WrongSizeDecoder(0) }))
        {
            for (int i = 0; i < 6; i++)
                using (whole.GetSample(i)) { }
            Assert.Equal(0, whole.Failures.Failures);
        }

        using var narrow = new CaptionDataset(_dir.Options() with { Decoder = new WrongSizeDecoder(2), MaxReplacements = 1 });
        var e = Assert.Throws<VgtDataException>(() => narrow.GetSample(0));
        var f = Assert.Single(narrow.Failures.Recorded);
        Assert.Equal(SampleFailureReason.Undecodable, f.Reason);
        Assert.Equal("header says 96x144, decoder gave 94x144", f.Detail);
    }

    [Fact]
    public void JpegDraftDecodesDctScaled()
    {
        using (var photo = TestImages.Noise(256, 256, seed: 3)) _dir.WriteJpeg("p.jpg", photo);
        _dir.WriteManifest("data.json", [new { image = "p.jpg", caption = "c" }]);
        var bytes = File.ReadAllBytes(_dir.PathOf("p.jpg"));
        using var ds = new CaptionDataset(_dir.Options(imageSize: 64) with { JpegDraft = true });
        using var s = ds.GetSample(0);
        var fast = ImageDecoder.Shared;
        using var drafted = fast.DecodeDraft(bytes, "p.jpg", ImageLimits.Default, 64, 64, int.MaxValue);
        Assert.Equal((64, 64), (drafted.Width, drafted.Height));   // 256 / 64 = 4: a quarter-size decode
        using var expected = SquareResize.Apply(drafted, CropBox.Square(64, 64, 0), 64, 64);
        Assert.Equal(expected.Pixels.ToArray(), s.Pixels!.Pixels.ToArray());
    }

    private CaptionDatasetOptions OneEntry(object entry)
    {
        _dir.WriteNoisePng("a.png", 96, 96, seed: 1);
        if (entry is string json) _dir.WriteText("data.json", json);   // raw JSON: a serializer would replace lone surrogates
        else _dir.WriteManifest("data.json", [entry]);
        return _dir.Options() with { MaxReplacements = 1 };
    }

    private static SampleFailure OnlyFailure(CaptionDatasetOptions o)
    {
        using var ds = new CaptionDataset(o);
        Assert.Throws<VgtDataException>(() => ds.GetSample(0));
        return Assert.Single(ds.Failures.Recorded);
    }

    [Fact]
    public void CaptionRefusalsGiveTheirExactDetail()
    {
        var lonePath = OnlyFailure(OneEntry("""[{ "image": "a\ud800.png", "caption": "c" }]"""));
        Assert.Equal((SampleFailureReason.UnencodableText, "image path holds a lone surrogate \\ud800 at character 1, which UTF-8 cannot encode"),
            (lonePath.Reason, lonePath.Detail));
        var loneFirst = OnlyFailure(OneEntry("""[{ "image": "a.png", "caption": "\udc00 a cat" }]"""));
        Assert.Equal((SampleFailureReason.UnencodableText, "caption holds a lone surrogate \\udc00 at character 0, which UTF-8 cannot encode"),
            (loneFirst.Reason, loneFirst.Detail));
        var blank = OnlyFailure(OneEntry(new { image = "a.png", caption = " \t\n" }));
        Assert.Equal((SampleFailureReason.BlankCaption, "caption is empty after strip()"), (blank.Reason, blank.Detail));
        var missing = OnlyFailure(OneEntry(new { image = "a.png", text = "c" }));
        Assert.Equal((SampleFailureReason.MissingCaptionKey, "entry has neither \"caption\" nor \"annotation\""), (missing.Reason, missing.Detail));
        Assert.Equal($"{_dir.PathOf("data.json")}[image=a.png]", missing.Path);
    }

    [Fact]
    public void AnnotationRefusalsGiveTheirExactDetail()
    {
        Directory.CreateDirectory(_dir.PathOf("ann"));
        Directory.CreateDirectory(_dir.PathOf("ann/folder.json"));
        _dir.WriteText("ann/nokey.json", """{ "text": "c" }""");
        _dir.WriteText("ann/number.json", """{ "caption": 5 }""");
        _dir.WriteText("ann/broken.json", """{ "caption": """);
        CaptionDatasetOptions With(string annotation) => OneEntry(new { image = "a.png", annotation }) with { CapFolder = _dir.PathOf("ann") };

        var absent = OnlyFailure(With("absent.json"));
        Assert.Equal((SampleFailureReason.UnreadableAnnotation, "no such file"), (absent.Reason, absent.Detail));
        var folder = OnlyFailure(With("folder.json"));
        Assert.Equal(SampleFailureReason.UnreadableAnnotation, folder.Reason);
        Assert.NotEqual("no such file", folder.Detail);
        Assert.NotEqual("", folder.Detail);
        var noKey = OnlyFailure(With("nokey.json"));
        Assert.Equal((SampleFailureReason.MissingCaptionKey, "annotation has no \"caption\" key"), (noKey.Reason, noKey.Detail));
        var number = OnlyFailure(With("number.json"));
        Assert.Equal((SampleFailureReason.UnreadableAnnotation, "\"caption\" is Number, not a string"), (number.Reason, number.Detail));
        var broken = OnlyFailure(With("broken.json"));
        Assert.Equal(SampleFailureReason.UnreadableAnnotation, broken.Reason);
        Assert.StartsWith("invalid JSON: ", broken.Detail);
    }

    private sealed class SpySource(IImageSource inner) : IImageSource
    {
        public bool Disposed;
        public PooledBytes Read(string imageFile) => inner.Read(imageFile);
        public string Describe(string imageFile) => inner.Describe(imageFile);
        public bool Exists(string imageFile) => inner.Exists(imageFile);
        public void Dispose() => Disposed = true;
    }

    [Fact]
    public void ASourceGivenToTheDatasetIsNotDisposedByIt()
    {
        var o = Three();
        using var folder = new FolderImageSource(_dir.Root, 1 << 20);
        var spy = new SpySource(folder);
        var ds = new CaptionDataset(o with { ImageSource = spy });
        using (ds.GetSample(0)) { }
        ds.Dispose();
        Assert.False(spy.Disposed);
    }

    // ---- read-ahead, Check, latents / tokens folders, device resize ----

    private sealed class ReadAheadSpy(IImageSource inner) : IImageSource
    {
        public readonly List<string> Asked = [];
        public PooledBytes Read(string imageFile) => inner.Read(imageFile);
        public string Describe(string imageFile) => inner.Describe(imageFile);
        public bool Exists(string imageFile) => inner.Exists(imageFile);
        public void ReadAhead(string imageFile) => Asked.Add(imageFile);
        public void Dispose() { }
    }

    [Fact]
    public void ReadAheadAsksForTheImagesOfValidIndexesOnly()
    {
        var o = Three();
        using var folder = new FolderImageSource(_dir.Root, 1 << 20);
        var spy = new ReadAheadSpy(folder);
        using (var ds = new CaptionDataset(o with { ImageSource = spy })) ds.ReadAhead([0, 2, 3, -1, 1]);
        Assert.Equal(["i0.png", "i2.png", "i1.png"], spy.Asked);
        spy.Asked.Clear();
        using (var debug = new CaptionDataset(o with { ImageSource = spy, Debug = true })) debug.ReadAhead([1, 2]);
        Assert.Equal(["i0.png", "i0.png"], spy.Asked);   // debug serves entry 0 everywhere
        spy.Asked.Clear();
        using (var latents = new CaptionDataset(o with { ImageSource = spy, ImageLatentsFolder = _dir.Root })) latents.ReadAhead([0]);
        using (var tokens = new CaptionDataset(o with { ImageSource = spy, ImageTokensFolder = _dir.Root })) tokens.ReadAhead([0]);
        Assert.Empty(spy.Asked);   // no image is read when latents or tokens are served
    }

    private static byte[] TokensFile(params long[] ids) =>
        TorchSaveBuilder.Tensor("LongStorage", ids.SelectMany(BitConverter.GetBytes).ToArray(), ids.Length, 0, [ids.Length], [1]);

    [Fact]
    public void LatentsAndTokensFoldersNameTheirKeyWhenAFileIsMissing()
    {
        var o = Three() with { MaxReplacements = 1 };
        Directory.CreateDirectory(_dir.PathOf("lat"));
        Directory.CreateDirectory(_dir.PathOf("tok"));
        foreach (var (key, options) in new[] { ("image_latents_folder", o with { ImageLatentsFolder = _dir.PathOf("lat") }),
                     ("image_tokens_folder", o with { ImageTokensFolder = _dir.PathOf("tok") }) })
        {
            var folder = options.ImageLatentsFolder ?? options.ImageTokensFolder!;
            using var ds = new CaptionDataset(options);
            var checkedEntry = ds.Check(0, out var caption);
            Assert.Equal("c 0", caption);
            Assert.Equal((SampleFailureReason.MissingLatents, Path.Combine(folder, "i0.png.pt"), $"no {key} file for this image"),
                (checkedEntry!.Reason, checkedEntry.Path, checkedEntry.Detail));
            Assert.Throws<VgtDataException>(() => ds.GetSample(1));
            var f = Assert.Single(ds.Failures.Recorded);
            Assert.Equal((SampleFailureReason.MissingLatents, $"no {key} file for this image"), (f.Reason, f.Detail));
        }
    }

    [Fact]
    public void TokensAreServedInsteadOfPixels()
    {
        var o = Three();
        Directory.CreateDirectory(_dir.PathOf("tok"));
        for (int i = 0; i < 3; i++) File.WriteAllBytes(_dir.PathOf($"tok/i{i}.png.pt"), TokensFile(7, 8, i));
        using var ds = new CaptionDataset(o with { ImageTokensFolder = _dir.PathOf("tok") });
        Assert.Null(ds.Check(2, out _));
        using var s = ds.GetSample(2);
        Assert.Equal("text2image", s.Type);
        Assert.Equal([7L, 8, 2], s.ImageTokens!.data<long>().ToArray());
        var tensors = s.ToTensors();
        Assert.Equal(["input_ids", "image_tokens"], tensors.Keys);
        Assert.Equal([7L, 8, 2], tensors["image_tokens"].data<long>().ToArray());
        foreach (var t in tensors.Values) t.Dispose();
        Assert.Equal("this sample carries no pixels", Assert.Throws<InvalidOperationException>(() => s.PixelValuesTensor()).Message);
    }

    [Fact]
    public void CheckDecodesTheImage()
    {
        var o = Three();
        File.WriteAllBytes(_dir.PathOf("i1.png"), File.ReadAllBytes(_dir.PathOf("i1.png"))[..200]);   // cut short
        using var ds = new CaptionDataset(o);
        Assert.Null(ds.Check(0, out _));
        var f = ds.Check(1, out var caption);
        Assert.Equal("c 1", caption);
        Assert.Equal(SampleFailureReason.Truncated, f!.Reason);
        Assert.Equal(0, ds.Failures.Reads);   // Check leaves the failure log alone
    }

    [Fact]
    public void DeviceResizeSamplesCarryTheCropAndRecordTheirTime()
    {
        var o = Three();
        using var ds = new CaptionDataset(o with { ResizeOnDevice = true });
        ds.Stats = new StageTimes();
        using var s = ds.GetSample(0);
        Assert.Null(s.Pixels);
        Assert.NotNull(s.Crop);
        Assert.True(ds.Stats.Seconds(StageTimes.Stage.Resize) > 0, "no resize time recorded");
        using var pixels = s.PixelValuesTensor();   // resized here, as the device would
        Assert.Equal([3L, 16, 16], pixels.shape);
    }

    [Fact]
    public void DisposingASampleReleasesWhatItCarries()
    {
        var o = Three();
        Directory.CreateDirectory(_dir.PathOf("tok"));
        File.WriteAllBytes(_dir.PathOf("tok/i0.png.pt"), TokensFile(1, 2));
        var withTokens = new CaptionDataset(o with { ImageTokensFolder = _dir.PathOf("tok") });
        var tokens = withTokens.GetSample(0);
        var tensor = tokens.ImageTokens!;
        tokens.Dispose();
        Assert.True(tensor.IsInvalid, "the image_tokens tensor outlived its sample");
        withTokens.Dispose();

        using var ds = new CaptionDataset(o);
        var plain = ds.GetSample(0);
        plain.Dispose();
        Assert.Throws<ObjectDisposedException>(() => plain.Pixels!.Pixels.Length);
        using var device = new CaptionDataset(o with { ResizeOnDevice = true });
        var crop = device.GetSample(0);
        crop.Dispose();
        Assert.Throws<ObjectDisposedException>(() => crop.Crop!.Pixels.Length);
    }

    [Fact]
    public void WithoutCrop2SquareTheWholeImageIsResized()
    {
        using (var wide = TestImages.Noise(192, 96, seed: 4)) _dir.WritePng("w.png", wide);
        _dir.WriteManifest("data.json", [new { image = "w.png", caption = "c" }]);
        using var ds = new CaptionDataset(_dir.Options() with { Crop2Square = false });
        using var s = ds.GetSample(0);
        using var image = SixLabors.ImageSharp.Image.Load<Rgb24>(_dir.PathOf("w.png"));
        using var whole = SquareResize.Apply(ImageSharpRoute.Copy(image), new CropBox(0, 0, 192, 96), 16, 16);
        Assert.Equal(whole.Pixels.ToArray(), s.Pixels!.Pixels.ToArray());
    }

    // ---- ConcatDataset ----

    private sealed class Member(int count, (int, int)? size) : ISampleDataset, IDisposable
    {
        public bool Disposed;
        public int Count => count;
        public (int Height, int Width)? SampleSize => size;
        public CaptionSample GetSample(int index, int epoch = 0) => throw new NotSupportedException();
        public SampleFailureLog Failures { get; } = new(1.0);
        public string Describe(int index) => $"member{count}[{index}]";
        public StageTimes? Stats { get; set; }
        public void Dispose() => Disposed = true;
    }

    [Fact]
    public void ConcatDatasetSizesFailuresStatsDescribeAndDisposal()
    {
        Assert.Equal("ConcatDataset needs at least one dataset", Assert.Throws<VgtDataException>(() => new ConcatDataset([])).Message);
        using (var mixed = new ConcatDataset([new Member(2, null), new Member(3, (16, 16))])) Assert.Equal((16, 16), mixed.SampleSize);
        using (var none = new ConcatDataset([new Member(2, null), new Member(3, null)])) Assert.Null(none.SampleSize);
        using (var two = new ConcatDataset([new Member(2, (16, 16)), new Member(3, (24, 24))])) Assert.Equal((16, 16), two.SampleSize);

        var a = new Member(2, null);
        var b = new Member(3, null);
        var concat = new ConcatDataset([a, b]);
        a.Failures.RecordFailure(Failure(0));
        b.Failures.RecordFailure(Failure(1));
        b.Failures.RecordFailure(Failure(2));
        Assert.Equal(3, concat.TotalFailures);
        var stats = new StageTimes();
        concat.Stats = stats;
        Assert.Same(stats, a.Stats);
        Assert.Same(stats, b.Stats);
        Assert.Equal("member3[1]", concat.Describe(3));
        Assert.Equal("member2[1]", concat.Describe(1));
        Assert.Throws<OverflowException>(() => concat.GetTensor(1L << 32));
        concat.Dispose();
        Assert.True(a.Disposed && b.Disposed);

        // The loader indexes with int: a concatenation past int.MaxValue samples is refused, not wrapped.
        using var huge = new ConcatDataset([new Member(int.MaxValue, null), new Member(int.MaxValue, null)]);
        Assert.Equal(2L * int.MaxValue, huge.Count);
        Assert.Throws<OverflowException>(() => ((ISampleDataset)huge).Count);
    }

    [Fact]
    public void ConcatReadAheadSkipsIndexesOutsideIt()
    {
        var o = Three();
        using var folder = new FolderImageSource(_dir.Root, 1 << 20);
        var spyA = new ReadAheadSpy(folder);
        var spyB = new ReadAheadSpy(folder);
        using var concat = new ConcatDataset([new CaptionDataset(o with { ImageSource = spyA }), new CaptionDataset(o with { ImageSource = spyB })]);
        concat.ReadAhead([-1, 4, 6, 0, 2]);
        Assert.Equal(["i0.png", "i2.png"], spyA.Asked);
        Assert.Equal(["i1.png"], spyB.Asked);
    }
}
