using VgtData.Collate;
using VgtData.Datasets;
using VgtData.Loading;
using VgtData.Sampling;
using VgtData.Tests.Fixtures;

namespace VgtData.Tests.Loading;

/// <summary>40 tiny images (96×96 served at 16×16) with captions, written once per test class.</summary>
public sealed class LoaderFixture : IDisposable
{
    public const int Count = 40;

    public LoaderFixture()
    {
        Images = new TestImages();
        // Wide images, so crop2square draws differ between samples and epochs.
        var entries = new List<object>();
        for (int i = 0; i < Count; i++)
        {
            Images.WriteNoisePng($"img{i:00}.png", 96 + (i % 5) * 10, 96, seed: i);
            entries.Add(new { image = $"img{i:00}.png", caption = $"image {i}" + new string('!', i % 7) });
        }
        Images.WriteManifest("data.json", entries);
    }

    public TestImages Images { get; }

    public CaptionDataset Dataset() => new(Images.Options() with { Unconditional = 0.3, Seed = 99 });

    public static DataLoader Loader(ISampleDataset dataset, object sampler, int workers, int prefetch = 2, int batchSize = 8,
        long? maxBatches = null, bool dropLast = false) =>
        new(dataset, sampler, new Collator(new CollateOptions { Seed = 4 }),
            new DataLoaderOptions { BatchSize = batchSize, NumWorkers = workers, PrefetchFactor = prefetch, MaxBatches = maxBatches, DropLast = dropLast });

    public static InfiniteSampler Infinite() => new(Count, shuffle: true, seed: 17, rank: 0, worldSize: 1);

    public void Dispose() => Images.Dispose();
}

/// <summary>What a batch held, copied out so the batch can be disposed.</summary>
public sealed record BatchSnapshot(long Number, int[] Indices, int[] SourceIndices, bool[] Cfg, long[] InputIdsShape,
    long[] InputIds, bool[] Mask, byte[] Pixels)
{
    public static BatchSnapshot Of(Batch b)
    {
        using var pixels = b.PixelValues!.contiguous();
        return new(b.Number, b.Samples.Select(s => s.Index).ToArray(),
            b.Samples.Select(s => s.SourceIndex).ToArray(), b.Samples.Select(s => s.Cfg).ToArray(), b.InputIds.shape,
            b.InputIds.data<long>().ToArray(), b.AttentionMask.data<bool>().ToArray(), pixels.bytes.ToArray());
    }

    public void AssertEqual(BatchSnapshot other, string what)
    {
        Assert.True(Number == other.Number, $"{what}: batch number {other.Number}, expected {Number}");
        Assert.True(Indices.SequenceEqual(other.Indices), $"{what}: batch {Number} indices [{string.Join(",", other.Indices)}], expected [{string.Join(",", Indices)}]");
        Assert.True(SourceIndices.SequenceEqual(other.SourceIndices), $"{what}: batch {Number} source indices differ");
        Assert.True(Cfg.SequenceEqual(other.Cfg), $"{what}: batch {Number} CFG draws differ");
        Assert.True(InputIdsShape.SequenceEqual(other.InputIdsShape), $"{what}: batch {Number} input_ids shape differs");
        Assert.True(InputIds.SequenceEqual(other.InputIds), $"{what}: batch {Number} input_ids differ");
        Assert.True(Mask.SequenceEqual(other.Mask), $"{what}: batch {Number} attention_mask differs");
        Assert.True(Pixels.AsSpan().SequenceEqual(other.Pixels), $"{what}: batch {Number} pixel_values bytes differ");
    }

    /// <summary>Takes up to <paramref name="n"/> batches (then leaves the foreach, disposing the enumeration).</summary>
    public static List<BatchSnapshot> Take(DataLoader loader, int n)
    {
        var list = new List<BatchSnapshot>();
        if (n == 0) return list;
        foreach (var batch in loader)
        {
            using (batch) list.Add(Of(batch));
            if (list.Count == n) break;
        }
        return list;
    }

    public static void AssertSame(IReadOnlyList<BatchSnapshot> expected, IReadOnlyList<BatchSnapshot> actual, string what)
    {
        Assert.True(expected.Count == actual.Count, $"{what}: {actual.Count} batches, expected {expected.Count}");
        for (int i = 0; i < expected.Count; i++) expected[i].AssertEqual(actual[i], what);
    }
}
