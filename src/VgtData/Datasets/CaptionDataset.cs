using VgtData.Images;
using System.Diagnostics;
using VgtData.Latents;
using VgtData.Manifests;
using VgtData.Sampling;
using VgtData.Sources;
using VgtData.Storage;
using VgtData.Text;
using static TorchSharp.torch;

namespace VgtData.Datasets;

/// <summary>
/// The anchor's CaptionDataset: data.json entries → (pixel_values, input_ids). Deterministic: a sample depends only on
/// (seed, epoch, index). Bad entries are recorded and replaced by another entry chosen from the same key, a bounded
/// number of times; past the failure budget it throws. Never recursion, never an endless loop.
/// Under TorchSharp's DataLoader, <see cref="GetTensor"/> draws with the epoch set by <see cref="SetEpoch"/>
/// (see <see cref="EpochShuffler"/>).
/// </summary>
public sealed class CaptionDataset : utils.data.Dataset, ISampleDataset, IHasEpoch
{
    private readonly CaptionDatasetOptions _options;
    private readonly IImageSource _source;
    private readonly IImageDecoder _decoder;
    private readonly bool _ownsSource;
    // Annotations below cap_folder, latents or tokens below their folder: byte stores like the images'.
    private readonly IImageSource _annotations;
    private readonly IImageSource? _latents;
    private volatile int _epoch;

    public CaptionDataset(CaptionDatasetOptions options) : this(options, entries: null)
    {
    }

    /// <summary>Over <paramref name="entries"/> when given (any <see cref="IEntryList"/>), else the list
    /// <c>data_path</c> names.</summary>
    internal CaptionDataset(CaptionDatasetOptions options, IEntryList? entries)
    {
        _options = options;
        var stores = (options.Stores ?? DatasetStorage.None) with { MaxFileBytes = options.Limits.MaxFileBytes };
        // Before the entries: an index being built reads the annotations' captions through it.
        _annotations = stores.Open(options.CapFolder ?? "");
        Entries = entries ?? EntryLists.Open(new EntrySource(options.DataPath, options.CapSource, options.TrainNumberSamples)
        {
            Store = stores.Store,
            Materialize = stores.Materialize,
            Index = options.Index,
            // What decides an annotation's caption besides its name: the index is rebuilt when one of these changes.
            Annotations = $"{(options.CapFolder is not { Length: > 0 } cap ? Environment.CurrentDirectory : S3Location.IsUrl(cap) ? cap : Path.GetFullPath(cap))}"
                + $"|text={options.TextAnnotations}|max={options.Limits.MaxFileBytes}",
            AnnotationCaption = TryReadAnnotation,
        });
        if (Entries.Count == 0) throw new VgtDataException($"{options.DataPath}: the manifest has no entries");
        _ownsSource = options.ImageSource is null;
        _source = options.ImageSource ?? stores.Open(options.ImageFolder);
        _latents = (options.ImageLatentsFolder ?? options.ImageTokensFolder) is { } tensors ? stores.Open(tensors) : null;
        _decoder = options.Decoder ?? ImageDecoder.Shared;
        Failures = new SampleFailureLog(options.FailureBudget, options.FailureWindow);
    }

    internal IEntryList Entries { get; }

    public CaptionDatasetOptions Options => _options;

    public SampleFailureLog Failures { get; }

    public StageTimes? Stats { get; set; }

    public (int Height, int Width)? SampleSize =>
        _options.ImageLatentsFolder is null && _options.ImageTokensFolder is null ? (_options.ImageSize, _options.ImageSize) : null;

    public string Describe(int index) => (uint)index < (uint)Entries.Count ? _source.Describe(Entries.ImageOf(index)) : $"index {index}";

    int ISampleDataset.Count => Entries.Count;

    /// <summary>Tells a read-ahead source (object storage) which images the next samples need.</summary>
    public void ReadAhead(ReadOnlySpan<int> indices)
    {
        var store = _latents ?? _source;
        foreach (var index in indices)
            if ((uint)index < (uint)Entries.Count) store.ReadAhead(Entries.ImageOf(_options.Debug ? 0 : index) + (_latents is null ? "" : ".pt"));
    }

    public override long Count => Entries.Count;

    /// <summary>The epoch <see cref="GetTensor"/> draws with (0 until <see cref="SetEpoch"/> is called).</summary>
    public int Epoch => _epoch;

    /// <summary>
    /// Like <c>DistributedSampler.set_epoch</c>, for the dataset: from now on <see cref="GetTensor"/>(i) serves
    /// <c>GetSample(i, epoch)</c>, so crops and CFG draws change from epoch to epoch and repeat within one.
    /// <see cref="EpochShuffler"/> calls it at the start of every epoch of TorchSharp's DataLoader.
    /// </summary>
    public void SetEpoch(int epoch) => _epoch = epoch;

    /// <summary>The anchor's <c>__getitem__</c>: <c>pixel_values</c> float32 [3, S, S] (or <c>image_latents</c> /
    /// <c>image_tokens</c>) and <c>input_ids</c> int64 [T], drawn with the current <see cref="Epoch"/>. With
    /// <see cref="CaptionDatasetOptions.ResizeOnDevice"/> the crop is resized here, on the CPU, with the device's op.</summary>
    public override Dictionary<string, Tensor> GetTensor(long index)
    {
        using var sample = GetSample(checked((int)index), _epoch);
        return sample.ToTensors();
    }

    public CaptionSample GetSample(int index, int epoch = 0)
    {
        if ((uint)index >= (uint)Entries.Count)
            throw new IndexOutOfRangeException($"index {index} is outside the dataset's {Entries.Count} samples ({_options.DataPath})");
        int candidate = _options.Debug ? 0 : index;
        for (int attempt = 0; ; attempt++)
        {
            try
            {
                var sample = Load(index, candidate, epoch);
                Failures.RecordSuccess();
                return sample;
            }
            catch (SampleException e)
            {
                Failures.RecordFailure(new SampleFailure(candidate, e.Path, e.Reason, e.Detail));
                if (attempt + 1 >= _options.MaxReplacements || _options.Debug)
                    throw new VgtDataException(
                        $"sample {index}: no usable replacement after {attempt + 1} tries; last: {e.WithIndex(candidate).Message}", e);
                // The replacement depends only on (seed, epoch, index, attempt): the same for every worker count.
                var draw = new SampleRandom(_options.Seed, epoch, index, stream: 1000UL + (ulong)attempt);
                candidate = draw.NextInt(Entries.Count);
            }
        }
    }

    /// <summary>
    /// Runs the steps of a load that can fail for entry <paramref name="entryIndex"/>, on the same code paths and limits:
    /// the caption (inline or from its annotation), then the image bytes and their decode (or the latents / tokens file).
    /// No tokenization, crop, resize or replacement, and <see cref="Failures"/> is left alone. Returns null when the entry
    /// is usable; <paramref name="caption"/> is the raw caption whenever it could be read. Thread-safe.
    /// </summary>
    public SampleFailure? Check(int entryIndex, out string? caption)
    {
        caption = null;
        var entry = Entries[entryIndex];
        try
        {
            caption = ReadCaption(entryIndex, entry);
            if (_latents is not null)
                ReadTensor(entry.Image).Dispose();
            else
            {
                var path = _source.Describe(entry.Image);
                using var bytes = _source.Read(entry.Image);
                using var image = _decoder.Decode(bytes.Memory, path, _options.Limits);
            }
            return null;
        }
        catch (SampleException e)
        {
            return new SampleFailure(entryIndex, e.Path, e.Reason, e.Detail);
        }
    }

    /// <summary>Loads one entry, throwing <see cref="SampleException"/> for anything wrong with it.</summary>
    private CaptionSample Load(int index, int entryIndex, int epoch)
    {
        var entry = Entries[entryIndex];
        var caption = ReadCaption(entryIndex, entry);
        var random = new SampleRandom(_options.Seed, epoch, entryIndex);
        bool cfg = random.NextDouble() < _options.Unconditional;
        var t = Stopwatch.GetTimestamp();
        var inputIds = _options.Text.Tokenize(caption, cfg);
        Stats?.Add(StageTimes.Stage.Tokenize, t);

        if (_options.ImageLatentsFolder is not null)
            return Sample(index, entryIndex, entry, caption, cfg, inputIds, latents: ReadTensor(entry.Image));
        if (_options.ImageTokensFolder is not null)
            return Sample(index, entryIndex, entry, caption, cfg, inputIds, tokens: ReadTensor(entry.Image));

        var path = _source.Describe(entry.Image);
        t = Stopwatch.GetTimestamp();
        using var bytes = _source.Read(entry.Image);
        Stats?.Add(StageTimes.Stage.Read, t);
        t = Stopwatch.GetTimestamp();
        // The crop is drawn from the header's size, so the decoder can stop after the crop's last row.
        var (width, height) = _options.JpegDraft
            ? _decoder.ReadDraftSize(bytes.Memory, path, _options.ImageSize, _options.ImageSize)
            : _decoder.ReadSize(bytes.Memory, path);
        var box = _options.Crop2Square
            ? CropBox.Square(width, height, random.NextInt(CropBox.SquareOffsets(width, height)))
            : new CropBox(0, 0, width, height);
        using var image = _options.JpegDraft
            ? _decoder.DecodeDraft(bytes.Memory, path, _options.Limits, _options.ImageSize, _options.ImageSize, box.Lower)
            : _decoder.Decode(bytes.Memory, path, _options.Limits, rowsNeeded: box.Lower);
        if (image.Width != width || image.Height < box.Lower)
            throw new SampleException(SampleFailureReason.Undecodable, path, $"header says {width}x{height}, decoder gave {image.Width}x{image.Height}");
        Stats?.Add(StageTimes.Stage.Decode, t);
        t = Stopwatch.GetTimestamp();
        if (_options.ResizeOnDevice)
        {
            var crop = DeviceResize.Crop(image, box);
            Stats?.Add(StageTimes.Stage.Resize, t);
            return Sample(index, entryIndex, entry, caption, cfg, inputIds, crop: crop, resizeTo: _options.ImageSize);
        }
        var pixels = SquareResize.Apply(image, box, _options.ImageSize, _options.ImageSize);
        Stats?.Add(StageTimes.Stage.Resize, t);
        return Sample(index, entryIndex, entry, caption, cfg, inputIds, pixels);
    }

    private static CaptionSample Sample(int index, int entryIndex, ManifestEntry entry, string caption, bool cfg, long[] ids,
        RgbImage? pixels = null, Tensor? latents = null, Tensor? tokens = null, RgbImage? crop = null, int resizeTo = 0) => new()
    {
        Index = index,
        SourceIndex = entryIndex,
        ImageFile = entry.Image,
        Caption = caption,
        Cfg = cfg,
        InputIds = ids,
        Pixels = pixels,
        Crop = crop,
        CropResizeTo = resizeTo,
        ImageLatents = latents,
        ImageTokens = tokens,
    };

    /// <summary>The latents (or tokens) of <paramref name="image"/>: <c>IMAGE.pt</c> below their folder, else the image's
    /// base name + <c>.pt</c> there.</summary>
    private Tensor ReadTensor(string image)
    {
        var key = _options.ImageLatentsFolder is not null ? "image_latents_folder" : "image_tokens_folder";
        var file = image + ".pt";
        var path = _latents!.Describe(file);
        PooledBytes? bytes;
        try
        {
            bytes = _latents.TryRead(file);
            if (bytes is null)
            {
                var byName = Path.GetFileName(image) + ".pt";
                bytes = byName == file ? null : _latents.TryRead(byName);
                if (bytes is null) throw new SampleException(SampleFailureReason.MissingLatents, path, $"no {key} file for this image");
                path = _latents.Describe(byName);
            }
        }
        catch (SampleException e) when (e.Reason != SampleFailureReason.MissingLatents)
        {
            throw Refused(e, SampleFailureReason.MissingLatents, SampleFailureReason.UnreadableLatents);
        }
        using (bytes)
        {
            try
            {
                return TorchSaveReader.Load(bytes.AsStream(), path);
            }
            catch (Exception e) when (e is VgtDataException or IOException)
            {
                throw new SampleException(SampleFailureReason.UnreadableLatents, path, e.Message, inner: e);
            }
        }
    }

    /// <summary>A sample's other file refused by its store, with that file's own reasons: <paramref name="missing"/> for a
    /// file that is not there, <paramref name="unreadable"/> for one that cannot be read (an ambiguous tar member stays one).</summary>
    private static SampleException Refused(SampleException e, SampleFailureReason missing, SampleFailureReason unreadable) => new(e.Reason switch
    {
        SampleFailureReason.MissingFile => missing,
        SampleFailureReason.AmbiguousMember => SampleFailureReason.AmbiguousMember,
        _ => unreadable,
    }, e.Path, e.Detail, inner: e.InnerException);

    private string ReadCaption(int index, ManifestEntry entry)
    {
        RefuseLoneSurrogate(entry.Image, entry, "image path");
        string caption;
        if (entry.Caption != null) caption = entry.Caption;
        else if (Entries is IEntryCaptions own) caption = own.ReadCaption(index) is var c && c.Strip ? PythonString.Strip(c.Text) : c.Text;
        else if (entry.Annotation != null) caption = ReadAnnotation(entry.Annotation);
        else throw new SampleException(SampleFailureReason.MissingCaptionKey, $"{_options.DataPath}[image={entry.Image}]",
            $"entry has neither \"{_options.CapSource}\" nor \"annotation\"");
        if (PythonString.Strip(caption).Length == 0)
            throw new SampleException(SampleFailureReason.BlankCaption, _source.Describe(entry.Image), "caption is empty after strip()");
        RefuseLoneSurrogate(caption, entry, "caption");
        return caption;
    }

    /// <summary>Python reads a lone <c>\ud800</c> escape but cannot encode it (tokenizer, <c>open()</c>): a bad sample there too.</summary>
    private void RefuseLoneSurrogate(string text, ManifestEntry entry, string what)
    {
        int at = LoneSurrogates.IndexOf(text);
        if (at >= 0)
            throw new SampleException(SampleFailureReason.UnencodableText, _source.Describe(entry.Image),
                $"{what} holds a {LoneSurrogates.Describe(text, at)}, which UTF-8 cannot encode");
    }

    /// <summary>The annotation's caption as a sample reads it, for the index to hold; null when the sample would fail.</summary>
    private string? TryReadAnnotation(string annotation)
    {
        try
        {
            return ReadAnnotation(annotation);
        }
        catch (SampleException)
        {
            return null;
        }
    }

    private string ReadAnnotation(string annotation)
    {
        var path = _annotations.Describe(annotation);
        string text;
        try
        {
            using var bytes = _annotations.Read(annotation);
            text = RegularFile.Decode(bytes.Span);
        }
        catch (SampleException e)
        {
            throw Refused(e, SampleFailureReason.UnreadableAnnotation, SampleFailureReason.UnreadableAnnotation);
        }
        if (_options.TextAnnotations || path.EndsWith(".txt", StringComparison.OrdinalIgnoreCase))
            return PythonString.Strip(text);
        if (!JsonCaption.TryRead(text, _options.CapSource, path, out var caption))
            throw new SampleException(SampleFailureReason.MissingCaptionKey, path, $"annotation has no \"{_options.CapSource}\" key");
        return caption;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing && _ownsSource) _source.Dispose();
        if (disposing) { _annotations.Dispose(); _latents?.Dispose(); }
        // An entry list that holds files open (webdataset shards) is the dataset's to close.
        if (disposing) (Entries as IDisposable)?.Dispose();
        base.Dispose(disposing);
    }
}
