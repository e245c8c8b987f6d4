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
/// <see cref="Put"/> may be called from many threads for different slots.
/// </summary>
public sealed class BatchBuilder : IDisposable
{
    private readonly Collator _collator;
    private readonly CollateOptions _options;
    private readonly Tensor? _staging;
    private readonly SampleInfo?[] _infos;
    private readonly long[]?[] _ids;
    private readonly Tensor?[] _latents;
    private readonly Tensor?[] _tokens;
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
        _latents = new Tensor?[size];
        _tokens = new Tensor?[size];
        if (pixels)
        {
            var shape = new long[] { size, 3, resolution.Height, resolution.Width };
            if (_options.UseUint8Transfer)
            {
                _staging = empty(shape, ScalarType.Byte);
                if (_options.Device.type == DeviceType.CUDA) _staging = Swap(_staging, _staging.pin_memory());
            }
            else _staging = empty(shape, _options.DType == ScalarType.BFloat16 ? ScalarType.BFloat16 : ScalarType.Float32);
        }
    }

    public long Number { get; }
    public int Size { get; }
    public (int Height, int Width) Resolution { get; }

    /// <summary>Writes one sample into slot <paramref name="slot"/>. The sample stays owned by the caller.</summary>
    public void Put(int slot, CaptionSample sample)
    {
        _infos[slot] = new SampleInfo(sample.Index, sample.SourceIndex, sample.ImageFile, sample.Caption, sample.Cfg, sample.Source);
        _ids[slot] = sample.InputIds;
        if (sample.ImageLatents is { } l) _latents[slot] = l.clone();
        if (sample.ImageTokens is { } t) _tokens[slot] = t.clone();
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
        var (ids, mask) = TokenPadding.Pad(_ids!, _options.PadIndex, _options.Padding);
        Tensor? pixels = null;
        if (_staging is not null)
        {
            if (_staging.dtype == ScalarType.Byte)
            {
                using var onDevice = _staging.to(device, non_blocking: nonBlocking);
                pixels = PixelValues.Normalize(onDevice, _options.DType);
            }
            else pixels = device.type == DeviceType.CPU ? _staging.alias() : _staging.to(device, non_blocking: nonBlocking);
        }
        return new Batch
        {
            Number = Number,
            InputIds = Move(ids, device, nonBlocking),
            AttentionMask = Move(mask, device, nonBlocking),
            PixelValues = pixels,
            ImageLatents = Stack(_latents, device, nonBlocking),
            ImageTokens = Stack(_tokens, device, nonBlocking),
            BatchResolution = Resolution,
            Samples = _infos!,
        };
    }

    private static Tensor Move(Tensor t, Device device, bool nonBlocking)
    {
        if (device.type == DeviceType.CPU) return t;
        return Swap(t, t.to(device, non_blocking: nonBlocking));
    }

    private static Tensor? Stack(Tensor?[] parts, Device device, bool nonBlocking)
    {
        if (parts.All(p => p is null)) return null;
        if (parts.Any(p => p is null)) throw new VgtDataException("a batch mixes samples with and without latents");
        var shape0 = parts[0]!.shape;
        for (int i = 1; i < parts.Length; i++)
            if (!parts[i]!.shape.SequenceEqual(shape0))
                throw new VgtDataException($"latent shapes differ in one batch: [{string.Join(",", shape0)}] vs [{string.Join(",", parts[i]!.shape)}]");
        return Move(stack(parts!), device, nonBlocking);
    }

    private static Tensor Swap(Tensor old, Tensor replacement)
    {
        if (!ReferenceEquals(old, replacement)) old.Dispose();
        return replacement;
    }

    public void Dispose()
    {
        _staging?.Dispose();
        foreach (var t in _latents) t?.Dispose();
        foreach (var t in _tokens) t?.Dispose();
    }
}
