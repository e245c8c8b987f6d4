using VgtData.Collate;
using VgtData.Datasets;
using VgtData.Loading;
using VgtData.Sampling;
using VgtData.Tests.Fixtures;

namespace VgtData.Tests.Loading;

/// <summary>
/// Two small sources of wide images (13 and 7, so that passes end inside batches of 5 or 3), with CFG draws.
/// Every image is wider than tall: a sample drawn in another epoch almost always gets another crop.
/// </summary>
public sealed class ReferenceFixture : IDisposable
{
    public const int CountA = 13, CountB = 7;

    public ReferenceFixture()
    {
        Images = new TestImages();
        foreach (var (name, count) in new[] { ("a", CountA), ("b", CountB) })
        {
            var entries = new List<object>();
            for (int i = 0; i < count; i++)
            {
                Images.WriteNoisePng($"{name}{i:00}.png", 120 + (i * 11) % 40, 96, seed: name[0] * 100 + i);
                entries.Add(new { image = $"{name}{i:00}.png", caption = $"{name} image {i}" + new string('~', i % 4) });
            }
            Images.WriteManifest($"{name}.json", entries);
        }
    }

    public TestImages Images { get; }

    public CaptionDataset A() => new(Images.Options("a.json") with { Unconditional = 0.4, Seed = 31 });

    public CaptionDataset B() => new(Images.Options("b.json") with { Unconditional = 0.4, Seed = 32 });

    public ConcatDataset Both() => new([A(), B()]);

    public void Dispose() => Images.Dispose();
}

/// <summary>
/// Every sample the loader delivers must equal <c>dataset.GetSample(index, epoch)</c> for the index and draw epoch the
/// sampler's semantics give that position; the expected (index, epoch) lists are worked out here from the samplers'
/// definitions (stream position → pass → permutation), not by the loader or the samplers' cursors.
/// </summary>
public sealed class ReferenceLoaderTests(ReferenceFixture data) : IClassFixture<ReferenceFixture>
{
    private const long PadIndex = 151643;

    private static DataLoader Loader(ISampleDataset dataset, object sampler, int workers, int batchSize) =>
        new(dataset, sampler, new Collator(new CollateOptions { Seed = 4, PadIndex = PadIndex }),
            new DataLoaderOptions { BatchSize = batchSize, NumWorkers = workers, PrefetchFactor = 2 });

    /// <summary>mmengine's InfiniteSampler: rank r's k-th item is item r + k·W of the stream of passes; its draw epoch is that pass.</summary>
    private static List<(int Index, int Epoch)> InfiniteReference(InfiniteSampler permutations, int size, int rank, int world, int count)
    {
        var list = new List<(int, int)>();
        for (long k = 0; k < count; k++)
        {
            long global = rank + k * world;
            list.Add((permutations.PassOrder(global / size)[global % size], (int)(global / size)));
        }
        return list;
    }

    /// <summary>Cuts a flat reference into batches of <paramref name="batchSize"/>.</summary>
    private static List<(int Index, int Epoch)[]> Batches(List<(int Index, int Epoch)> flat, int batchSize) =>
        flat.Chunk(batchSize).ToList();

    /// <summary>Asserts a delivered batch holds exactly the reference samples, collated as collate_func_gen does.</summary>
    private static void AssertBatch(ISampleDataset reference, (int Index, int Epoch)[] expected, Batch batch, string what)
    {
        Assert.True(expected.Length == batch.Size, $"{what}: {batch.Size} samples, expected {expected.Length}");
        var samples = expected.Select(e => reference.GetSample(e.Index, e.Epoch)).ToArray();
        try
        {
            int t = samples.Max(s => s.InputIds.Length);
            Assert.Equal(new long[] { expected.Length, t }, batch.InputIds.shape);
            var ids = batch.InputIds.data<long>().ToArray();
            var mask = batch.AttentionMask.data<bool>().ToArray();
            using var pixels = batch.PixelValues!.contiguous();
            var pixelBytes = pixels.bytes.ToArray();
            int perImage = pixelBytes.Length / expected.Length;
            for (int j = 0; j < expected.Length; j++)
            {
                var s = samples[j];
                string where = $"{what}: batch {batch.Number} slot {j} (index {expected[j].Index}, epoch {expected[j].Epoch})";
                // A ConcatDataset's sample carries its member's local index and the member's number.
                Assert.True(s.Index == batch.Samples[j].Index && s.Source == batch.Samples[j].Source,
                    $"{where}: index {batch.Samples[j].Index} of source {batch.Samples[j].Source}, expected {s.Index} of {s.Source}");
                Assert.True(s.SourceIndex == batch.Samples[j].SourceIndex, $"{where}: source index {batch.Samples[j].SourceIndex}, expected {s.SourceIndex}");
                Assert.True(s.Cfg == batch.Samples[j].Cfg, $"{where}: CFG {batch.Samples[j].Cfg}, expected {s.Cfg}");
                var row = s.InputIds.Concat(Enumerable.Repeat(PadIndex, t - s.InputIds.Length)).ToArray();
                Assert.True(row.SequenceEqual(ids.Skip(j * t).Take(t)), $"{where}: input_ids differ");
                var rowMask = Enumerable.Range(0, t).Select(i => i < s.InputIds.Length);
                Assert.True(rowMask.SequenceEqual(mask.Skip(j * t).Take(t)), $"{where}: attention_mask differs");
                using var expectedPixels = s.PixelValuesTensor();
                Assert.True(expectedPixels.bytes.SequenceEqual(pixelBytes.AsSpan(j * perImage, perImage)), $"{where}: pixel_values differ");
            }
        }
        finally
        {
            foreach (var s in samples) s.Dispose();
        }
    }

    /// <summary>Runs <paramref name="loader"/> for <paramref name="expected"/>.Count batches and checks each one.</summary>
    private static void AssertDelivers(ISampleDataset reference, DataLoader loader, IReadOnlyList<(int Index, int Epoch)[]> expected, string what)
    {
        int b = 0;
        foreach (var batch in loader)
        {
            using (batch) AssertBatch(reference, expected[b], batch, what);
            if (++b == expected.Count) break;
        }
        Assert.True(b == expected.Count, $"{what}: {b} batches, expected {expected.Count}");
    }

    /// <summary>
    /// The fixture can catch a wrong draw epoch: some batch holds two epochs, and a sample of it differs when drawn
    /// with its neighbour's epoch; at some pass end, the last sample differs when drawn with the next epoch.
    /// </summary>
    private static void AssertSensitive(ISampleDataset reference, IReadOnlyList<(int Index, int Epoch)[]> batches)
    {
        bool Differs(int index, int e1, int e2)
        {
            using var x = reference.GetSample(index, e1);
            using var y = reference.GetSample(index, e2);
            return x.Cfg != y.Cfg || !x.Pixels!.Pixels.SequenceEqual(y.Pixels!.Pixels);
        }
        Assert.Contains(batches, b => b.Any(s => s.Epoch != b[0].Epoch && Differs(s.Index, s.Epoch, b[0].Epoch)));
        var flat = batches.SelectMany(b => b).ToList();
        Assert.Contains(Enumerable.Range(0, flat.Count - 1),
            k => flat[k + 1].Epoch != flat[k].Epoch && Differs(flat[k].Index, flat[k].Epoch, flat[k + 1].Epoch));
    }

    [Theory]
    [InlineData(1, 0, 1)]
    [InlineData(3, 0, 1)]
    [InlineData(1, 1, 2)]
    [InlineData(4, 1, 2)]
    public void InfiniteSamplerBatchesAreTheSamplesOfTheirStreamPositions(int workers, int rank, int world)
    {
        using var reference = data.A();
        var expected = Batches(InfiniteReference(new InfiniteSampler(ReferenceFixture.CountA, seed: 6, rank: 0, worldSize: 1),
            ReferenceFixture.CountA, rank, world, count: 45), batchSize: 5);
        AssertSensitive(reference, expected);
        using var ds = data.A();
        using var loader = Loader(ds, new InfiniteSampler(ReferenceFixture.CountA, seed: 6, rank: rank, worldSize: world), workers, 5);
        AssertDelivers(reference, loader, expected, $"InfiniteSampler, {workers} workers, rank {rank}/{world}");
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public void InfiniteSamplerResumesWithTheSameDraws(int workers)
    {
        using var reference = data.A();
        var expected = Batches(InfiniteReference(new InfiniteSampler(ReferenceFixture.CountA, seed: 6, rank: 0, worldSize: 1),
            ReferenceFixture.CountA, 0, 1, count: 45), batchSize: 5);
        LoaderState saved;
        using (var ds = data.A())
        using (var loader = Loader(ds, new InfiniteSampler(ReferenceFixture.CountA, seed: 6, rank: 0, worldSize: 1), workers, 5))
        {
            AssertDelivers(reference, loader, expected.Take(3).ToList(), "before the checkpoint");
            saved = LoaderState.FromJson(loader.State.ToJson());
        }
        using (var ds = data.A())
        using (var loader = Loader(ds, new InfiniteSampler(ReferenceFixture.CountA, seed: 6, rank: 0, worldSize: 1), workers, 5))
        {
            loader.Restore(saved);
            AssertDelivers(reference, loader, expected.Skip(3).ToList(), "after resuming");
        }
    }

    /// <summary>mmengine's DefaultSampler: the epoch's permutation, padded from its start, rank r taking r, r + W, ...</summary>
    private static List<(int Index, int Epoch)> DefaultReference(DefaultSampler permutations, int size, int rank, int world, int epoch)
    {
        var order = permutations.EpochOrder(epoch);
        long perRank = (size + world - 1) / world;
        return Enumerable.Range(0, (int)perRank).Select(k => (order[(rank + k * world) % size], epoch)).ToList();
    }

    [Theory]
    [InlineData(1, 0, 1)]
    [InlineData(3, 0, 1)]
    [InlineData(2, 1, 2)]
    public void DefaultSamplerBatchesAreTheSamplesOfTheirEpoch(int workers, int rank, int world)
    {
        using var reference = data.A();
        var permutations = new DefaultSampler(ReferenceFixture.CountA, shuffle: true, seed: 2, rank: 0, worldSize: 1);
        var sampler = new DefaultSampler(ReferenceFixture.CountA, shuffle: true, seed: 2, rank: rank, worldSize: world);
        using var ds = data.A();
        using var loader = Loader(ds, sampler, workers, 4);
        for (int epoch = 0; epoch < 3; epoch++)
        {
            sampler.SetEpoch(epoch);
            var expected = Batches(DefaultReference(permutations, ReferenceFixture.CountA, rank, world, epoch), 4);
            AssertDelivers(reference, loader, expected, $"DefaultSampler epoch {epoch}, {workers} workers, rank {rank}/{world}");
            Assert.Equal(new SamplerState(epoch, expected.Sum(b => b.Length)), loader.State.Sampler);
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public void DefaultSamplerResumesInsideAnEpoch(int workers)
    {
        using var reference = data.A();
        var permutations = new DefaultSampler(ReferenceFixture.CountA, shuffle: true, seed: 2, rank: 0, worldSize: 1);
        var expected = Batches(DefaultReference(permutations, ReferenceFixture.CountA, 0, 1, epoch: 1), 4);
        LoaderState saved;
        using (var ds = data.A())
        {
            var sampler = new DefaultSampler(ReferenceFixture.CountA, shuffle: true, seed: 2, rank: 0, worldSize: 1);
            sampler.SetEpoch(1);
            using var loader = Loader(ds, sampler, workers, 4);
            AssertDelivers(reference, loader, expected.Take(2).ToList(), "before the checkpoint");
            saved = loader.State;
        }
        using (var ds = data.A())
        using (var loader = Loader(ds, new DefaultSampler(ReferenceFixture.CountA, shuffle: true, seed: 2, rank: 0, worldSize: 1), workers, 4))
        {
            loader.Restore(saved);
            AssertDelivers(reference, loader, expected.Skip(2).ToList(), "after resuming");
        }
    }

    /// <summary>VGT's FixedBatchMultiSourceSampler loop: sources in turn, repeat[s] batches each, every source its own
    /// rank-sliced stream of passes; an item's draw epoch is its pass over its source.</summary>
    private static List<(int Index, int Epoch)[]> MultiSourceReference(FixedBatchMultiSourceSampler permutations,
        int[] sizes, int[] repeat, int batchSize, int rank, int world, int batches)
    {
        var taken = new long[sizes.Length]; // items this rank has taken from each source
        var list = new List<(int, int)[]>();
        while (list.Count < batches)
            for (int s = 0; s < sizes.Length && list.Count < batches; s++)
                for (int r = 0; r < repeat[s] && list.Count < batches; r++)
                {
                    var batch = new (int, int)[batchSize];
                    for (int j = 0; j < batchSize; j++)
                    {
                        long global = rank + taken[s]++ * world;
                        var pass = global / sizes[s];
                        batch[j] = (sizes.Take(s).Sum() + permutations.SourceOrder(s, pass)[global % sizes[s]], (int)pass);
                    }
                    list.Add(batch);
                }
        return list;
    }

    [Theory]
    [InlineData(1, 0, 1)]
    [InlineData(3, 0, 1)]
    [InlineData(2, 1, 2)]
    public void MultiSourceBatchesAreTheSamplesOfTheirSourcePasses(int workers, int rank, int world)
    {
        int[] sizes = [ReferenceFixture.CountA, ReferenceFixture.CountB];
        int[] repeat = [2, 1];
        using var reference = data.Both();
        var permutations = new FixedBatchMultiSourceSampler(sizes, repeat, 3, seed: 12, rank: 0, worldSize: 1);
        var expected = MultiSourceReference(permutations, sizes, repeat, 3, rank, world, batches: 18);
        AssertSensitive(reference, expected);

        LoaderState saved;
        using (var ds = data.Both())
        using (var loader = Loader(ds, new FixedBatchMultiSourceSampler(sizes, repeat, 3, seed: 12, rank: rank, worldSize: world), workers, 3))
        {
            AssertDelivers(reference, loader, expected.Take(10).ToList(), $"multi-source, {workers} workers, rank {rank}/{world}");
            saved = loader.State;
        }
        using (var ds = data.Both())
        using (var loader = Loader(ds, new FixedBatchMultiSourceSampler(sizes, repeat, 3, seed: 12, rank: rank, worldSize: world), workers, 3))
        {
            loader.Restore(saved);
            AssertDelivers(reference, loader, expected.Skip(10).ToList(), $"multi-source resumed, {workers} workers, rank {rank}/{world}");
        }
    }
}
