using System.Buffers;
using System.Runtime.InteropServices;
using VgtData.Datasets;
using VgtData.Images;
using TorchSharp;
using static TorchSharp.torch;

namespace VgtData.Collate;

/// <summary>
/// One batch being assembled. Pixels go straight into a host tensor: uint8 [B,3,H,W] (pinned for CUDA) when the batch
/// is normalised on the device, otherwise the final float tensor written through <see cref="PixelValues"/>'s table.
/// With <see cref="CollateOptions.ResizeOnDevice"/> each sample's crop is resized on the device into a uint8 batch there.
/// <see cref="Put"/> may be called from many threads for different slots. Every host tensor of the batch comes from
/// <see cref="StagingPool"/> (fixed-size blocks reused batch after batch), never a fresh native allocation.
/// </summary>
internal sealed class BatchBuilder : IDisposable
{
    private readonly Collator _collator;
    private readonly CollateOptions _options;
    private readonly Tensor? _staging;
    private readonly Tensor? _resized; // resize_on: device: uint8 [B,3,H,W] on the device, filled slot by slot
    private readonly SampleInfo?[] _infos;
    private readonly long[]?[] _ids;
    private readonly SlotStack _latents;
    private readonly SlotStack _tokens;
    private bool _finished;

    internal BatchBuilder(Collator collator, long number, int size, (int Height, int Width) resolution, bool pixels)
    {
        _collator = collator;
        _options = collator.Options;
        Number = number;
        Size = size;
        Resolution = resolution;
        _infos = new SampleInfo?[size];
        _ids = new long[]?[size];
        _latents = new SlotStack(size, "latent");
        _tokens = new SlotStack(size, "image token");
        if (pixels)
        {
            var shape = new long[] { size, 3, resolution.Height, resolution.Width };
            if (_options.ResizeOnDevice)
                _resized = _options.Device.type == DeviceType.CPU ? StagingPool.Rent(shape, ScalarType.Byte) : empty(shape, ScalarType.Byte, _options.Device);
            else if (_options.UseUint8Transfer)
            {
                _staging = StagingPool.Rent(shape, ScalarType.Byte);
                // The pinned copy comes from libtorch's caching host allocator, which reuses its blocks by size.
                if (_options.Device.type == DeviceType.CUDA) _staging = Swap(_staging, _staging.pin_memory());
            }
            else _staging = StagingPool.Rent(shape, _options.DType == ScalarType.BFloat16 ? ScalarType.BFloat16 : ScalarType.Float32);
        }
    }

    public long Number { get; }
    public int Size { get; }
    public (int Height, int Width) Resolution { get; }

    /// <summary>Bytes of the pixel tensor rented for this batch when it began (what the loader's in-flight budget counts).</summary>
    internal long StagedBytes => Bytes(_staging) + Bytes(_resized);

    private static long Bytes(Tensor? t) => t is null ? 0 : t.NumberOfElements * t.ElementSize;

    /// <summary>Writes one sample into slot <paramref name="slot"/>. The sample stays owned by the caller.</summary>
    public void Put(int slot, CaptionSample sample)
    {
        _infos[slot] = new SampleInfo(sample.Index, sample.SourceIndex, sample.ImageFile, sample.Caption, sample.Cfg, sample.Source);
        _ids[slot] = sample.InputIds;
        if (sample.ImageLatents is { } l) _latents.Put(slot, l);
        if (sample.ImageTokens is { } t) _tokens.Put(slot, t);
        if (_resized is not null)
        {
            PutCrop(slot, sample);
            return;
        }
        if (_staging is null) return;
        var pixels = sample.Pixels ?? throw new VgtDataException($"sample {sample.Index} ({sample.ImageFile}) has no pixels for a pixel batch");
        var (h, w) = Resolution;
        int plane = h * w;
        byte[]? rented = null;
        try
        {
            ReadOnlySpan<byte> hwc = pixels.Pixels;
            if (pixels.Height != h || pixels.Width != w)
            {
                rented = ArrayPool<byte>.Shared.Rent(plane * 3);
                var random = new SampleRandom(_options.Seed, Number, slot, stream: 7);
                SmartResize.Apply(pixels, h, w, _options.ResizeMode, ref random, rented);
                hwc = rented.AsSpan(0, plane * 3);
            }
            var bytes = _staging.bytes;
            switch (_staging.dtype)
            {
                case ScalarType.Byte:
                    PixelValues.ToChw(hwc, bytes.Slice(slot * plane * 3, plane * 3), h, w);
                    break;
                case ScalarType.Float32:
                    PixelValues.ToChw(hwc, MemoryMarshal.Cast<byte, float>(bytes).Slice(slot * plane * 3, plane * 3), h, w);
                    break;
                default:
                    ToChwBFloat16(hwc, MemoryMarshal.Cast<byte, ushort>(bytes).Slice(slot * plane * 3, plane * 3), plane);
                    break;
            }
        }
        finally
        {
            if (rented != null) ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>resize_on: device: the crop goes to the device as uint8 and is resized there into its slot.</summary>
    private void PutCrop(int slot, CaptionSample sample)
    {
        var (h, w) = Resolution;
        var crop = sample.Crop ?? sample.Pixels
            ?? throw new VgtDataException($"sample {sample.Index} ({sample.ImageFile}) has no pixels for a pixel batch");
        if (sample.Crop is null ? crop.Height != h || crop.Width != w : sample.CropResizeTo != h || sample.CropResizeTo != w)
            throw new VgtDataException($"sample {sample.Index} ({sample.ImageFile}): resize_on: device resizes to image_size " +
                $"({(sample.Crop is null ? $"{crop.Width}x{crop.Height}" : $"{sample.CropResizeTo}x{sample.CropResizeTo}")}), but the batch is {w}x{h}; use resize_on: cpu");
        using var scope = NewDisposeScope();
        var host = HostCopy(crop);
        // A blocking copy: the pooled host block goes back to the pool as soon as this slot is done.
        var onDevice = _options.Device.type == DeviceType.CPU ? host : host.to(_options.Device);
        var resized = DeviceResize.Resize(onDevice, h, w);
        _resized![slot].copy_(resized);
    }

    /// <summary>The crop in a pooled host tensor [H, W, 3]; block sizes are rounded to eighths of a power of two so the
    /// crops' many sizes share a few pool buckets.</summary>
    private static Tensor HostCopy(RgbImage crop)
    {
        long n = crop.Length;
        long step = Math.Max(4096, (long)System.Numerics.BitOperations.RoundUpToPowerOf2((ulong)n) / 8);
        var block = StagingPool.Rent([(n + step - 1) / step * step], ScalarType.Byte);
        crop.Pixels.CopyTo(block.bytes);
        return block.narrow(0, 0, n).view(crop.Height, crop.Width, 3);
    }

    private static void ToChwBFloat16(ReadOnlySpan<byte> hwc, Span<ushort> chw, int plane)
    {
        var table = PixelValues.BFloat16Table;
        for (int i = 0, j = 0; i < plane; i++, j += 3)
        {
            chw[i] = table[hwc[j]];
            chw[plane + i] = table[hwc[j + 1]];
            chw[2 * plane + i] = table[hwc[j + 2]];
        }
    }

    /// <summary>Pads the ids, moves everything to the device and normalises there when transferring uint8.</summary>
    public Batch Finish()
    {
        if (_finished) throw new InvalidOperationException("batch already finished");
        for (int i = 0; i < Size; i++)
            if (_infos[i] is null) throw new InvalidOperationException($"batch {Number}: slot {i} was never filled");
        _finished = true;
        var device = _options.Device;
        bool nonBlocking = device.type == DeviceType.CUDA;
        int t = TokenPadding.Length(_ids!);
        using var ids = StagingPool.Rent([Size, t], ScalarType.Int64);
        using var mask = StagingPool.Rent([Size, t], ScalarType.Bool);
        TokenPadding.Fill(_ids!, _options.PadIndex, _options.Padding, t, MemoryMarshal.Cast<byte, long>(ids.bytes), MemoryMarshal.Cast<byte, bool>(mask.bytes));
        Tensor? pixels = null;
        if (_resized is not null) pixels = PixelValues.Normalize(_resized, _options.DType);
        else if (_staging is not null)
        {
            if (_staging.dtype == ScalarType.Byte)
            {
                using var onDevice = _staging.to(device, non_blocking: nonBlocking);
                pixels = PixelValues.Normalize(onDevice, _options.DType);
            }
            else pixels = Deliver(_staging, device, nonBlocking);
        }
        return new Batch
        {
            Number = Number,
            InputIds = Deliver(ids, device, nonBlocking),
            AttentionMask = Deliver(mask, device, nonBlocking),
            PixelValues = pixels,
            ImageLatents = _latents.Finish() is { } latents ? Deliver(latents, device, nonBlocking) : null,
            ImageTokens = _tokens.Finish() is { } tokens ? Deliver(tokens, device, nonBlocking) : null,
            BatchResolution = Resolution,
            Samples = _infos!,
        };
    }

    /// <summary>A new handle on the device: an alias of the pooled tensor on the CPU (the batch's handle keeps the block
    /// lent until it is disposed), a copy elsewhere (the block returns when the builder lets go of it).</summary>
    private static Tensor Deliver(Tensor t, Device device, bool nonBlocking) =>
        device.type == DeviceType.CPU ? t.alias() : t.to(device, non_blocking: nonBlocking);

    private static Tensor Swap(Tensor old, Tensor replacement)
    {
        if (!ReferenceEquals(old, replacement)) old.Dispose();
        return replacement;
    }

    public void Dispose()
    {
        _staging?.Dispose();
        _resized?.Dispose();
        _latents.Dispose();
        _tokens.Dispose();
    }

    /// <summary>Per-sample tensors of one kind (latents, image tokens) copied straight into one pooled [B, ...] tensor.</summary>
    private sealed class SlotStack(int size, string what) : IDisposable
    {
        private readonly object _sync = new();
        private Tensor? _batch;
        private int _filled;

        public void Put(int slot, Tensor part)
        {
            Tensor batch;
            lock (_sync)
            {
                if (_batch is null)
                    _batch = StagingPool.Rent([size, .. part.shape], part.dtype);
                else if (!_batch.shape.AsSpan(1).SequenceEqual(part.shape) || _batch.dtype != part.dtype)
                    throw new VgtDataException($"{what} shapes differ in one batch: [{string.Join(",", _batch.shape.Skip(1))}] {_batch.dtype} vs [{string.Join(",", part.shape)}] {part.dtype}");
                batch = _batch;
                _filled++;
            }
            using var row = batch[slot];
            row.copy_(part);
        }

        /// <summary>The [B, ...] tensor (still owned here), or null when no sample had one.</summary>
        public Tensor? Finish()
        {
            if (_filled == 0) return null;
            if (_filled != size) throw new VgtDataException($"a batch mixes samples with and without {what}s");
            return _batch;
        }

        public void Dispose() => _batch?.Dispose();
    }
}
