using VgtData.Collate;
using VgtData.Datasets;
using VgtData.Sampling;
using VgtData.Tests.Loading;
using static TorchSharp.torch;
using TorchLoader = TorchSharp.Modules.DataLoader<
    System.Collections.Generic.Dictionary<string, TorchSharp.torch.Tensor>,
    System.Collections.Generic.Dictionary<string, TorchSharp.torch.Tensor>>;

namespace VgtData.Tests.Datasets;

/// <summary>
/// CaptionDataset and ConcatDataset under TorchSharp's own DataLoader, driven by <see cref="EpochShuffler"/> and
/// collated by <see cref="TorchSharpCollate"/>: every delivered sample is <c>GetSample(index, epoch)</c>, so draws
/// change from epoch to epoch and repeat when an epoch is run again.
/// </summary>
public sealed class TorchSharpDataLoaderTests(ReferenceFixture data) : IClassFixture<ReferenceFixture>
{
    private const long Pad = 0;

    /// <summary>One delivered sample: its ids without padding, its pixel bytes.</summary>
    private sealed record Delivered(long Index, long[] Ids, byte[] Pixels);

    /// <summary>Runs one epoch (one foreach) of TorchSharp's loader; <paramref name="order"/> names the index of each slot.</summary>
    private static List<Delivered> RunEpoch(TorchLoader loader, IReadOnlyList<long> order, int batchSize)
    {
        var list = new List<Delivered>();
        foreach (var batch in loader)
        {
            var ids = batch["input_ids"];
            var mask = batch["attention_mask"];
            var pixels = batch["pixel_values"].contiguous();
            Assert.Equal(ScalarType.Bool, mask.dtype);
            Assert.Equal(4, pixels.dim());
            var t = (int)ids.shape[1];
            var idData = ids.data<long>().ToArray();
            var maskData = mask.data<bool>().ToArray();
            var bytes = pixels.bytes.ToArray();
            int per = bytes.Length / (int)ids.shape[0];
            for (int j = 0; j < ids.shape[0]; j++)
            {
                int length = maskData.Skip(j * t).Take(t).Count(m => m);
                // Right padding: the ids first, then pad_index.
                Assert.All(maskData.Skip(j * t).Take(length), Assert.True);
                Assert.All(idData.Skip(j * t + length).Take(t - length), id => Assert.Equal(Pad, id));
                list.Add(new Delivered(order[list.Count], idData.Skip(j * t).Take(length).ToArray(), bytes.AsSpan(j * per, per).ToArray()));
            }
            pixels.Dispose();
            Assert.True(ids.shape[0] <= batchSize);
        }
        Assert.Equal(order.Count, list.Count);
        return list;
    }

    private static void AssertIsReference(ISampleDataset reference, IEnumerable<Delivered> delivered, int epoch)
    {
        foreach (var d in delivered)
        {
            using var s = reference.GetSample((int)d.Index, epoch);
            using var p = s.PixelValuesTensor();
            Assert.True(s.InputIds.SequenceEqual(d.Ids), $"index {d.Index} epoch {epoch}: input_ids differ");
            Assert.True(p.bytes.SequenceEqual(d.Pixels), $"index {d.Index} epoch {epoch}: pixel_values differ");
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public void DrawsChangeBetweenEpochsAndRepeatWithinOne(int workers)
    {
        using var reference = data.A();
        using var ds = data.A();
        var sampler = new DefaultSampler(ReferenceFixture.CountA, shuffle: true, seed: 3, rank: 0, worldSize: 1);
        var shuffler = new EpochShuffler(sampler, ds);
        using var loader = new TorchLoader(ds, 4, TorchSharpCollate.Create(Pad), shuffler, num_worker: workers, disposeDataset: false);

        var epochs = new List<List<Delivered>>();
        for (int epoch = 0; epoch < 3; epoch++)
        {
            Assert.Equal(epoch, shuffler.NextEpoch);
            var run = RunEpoch(loader, sampler.EpochIndices(epoch).ToList(), 4);
            Assert.Equal(epoch, ds.Epoch);
            Assert.Equal(epoch, sampler.Epoch);
            AssertIsReference(reference, run, epoch);
            epochs.Add(run.OrderBy(d => d.Index).ToList());
        }
        // Epoch 0 again: the very same samples.
        shuffler.SetEpoch(0);
        var again = RunEpoch(loader, sampler.EpochIndices(0).ToList(), 4).OrderBy(d => d.Index).ToList();
        for (int i = 0; i < again.Count; i++)
        {
            Assert.Equal(epochs[0][i].Ids, again[i].Ids);
            Assert.Equal(epochs[0][i].Pixels, again[i].Pixels);
        }
        // Another epoch: crops and CFG draws change (all 13 images are wide; CFG has probability 0.4).
        for (int e = 1; e < 3; e++)
        {
            Assert.Contains(Enumerable.Range(0, ReferenceFixture.CountA), i => !epochs[0][i].Pixels.SequenceEqual(epochs[e][i].Pixels));
            Assert.Contains(Enumerable.Range(0, ReferenceFixture.CountA), i => !epochs[0][i].Ids.SequenceEqual(epochs[e][i].Ids));
        }
    }

    [Fact]
    public void InfiniteSamplerRunsOnePassPerEpochWithThePassAsDrawEpoch()
    {
        using var reference = data.A();
        using var ds = data.A();
        var sampler = new InfiniteSampler(ReferenceFixture.CountA, seed: 6, rank: 1, worldSize: 2);
        var shuffler = new EpochShuffler(sampler, ds, firstEpoch: 2);
        using var loader = new TorchLoader(ds, 5, TorchSharpCollate.Create(Pad), shuffler, num_worker: 2, disposeDataset: false);
        var stream = new InfiniteSampler(ReferenceFixture.CountA, seed: 6, rank: 1, worldSize: 2).Draws().TakeWhile(d => d.DrawEpoch < 4).ToList();
        for (int pass = 2; pass < 4; pass++)
        {
            // What VgtData's own loader serves for this pass: the same indices with the same draw epoch.
            var ofPass = stream.Where(d => d.DrawEpoch == pass).Select(d => d.Index).ToList();
            var run = RunEpoch(loader, ofPass, 5);
            AssertIsReference(reference, run, pass);
        }
    }

    [Fact]
    public void ConcatDatasetWorksThereAndPassesTheEpochOn()
    {
        using var reference = data.Both();
        using var ds = data.Both();
        int total = ReferenceFixture.CountA + ReferenceFixture.CountB;
        Assert.Equal(total, ds.Count);
        var sampler = new DefaultSampler(total, shuffle: true, seed: 1, rank: 0, worldSize: 1);
        var shuffler = new EpochShuffler(sampler, ds);
        using var loader = new TorchLoader(ds, 6, TorchSharpCollate.Create(Pad), shuffler, num_worker: 2, disposeDataset: false);
        for (int epoch = 0; epoch < 2; epoch++)
        {
            var run = RunEpoch(loader, sampler.EpochIndices(epoch).ToList(), 6);
            Assert.Equal(epoch, ds.Epoch);
            Assert.All(ds.Datasets, d => Assert.Equal(epoch, ((IHasEpoch)d).Epoch));
            AssertIsReference(reference, run, epoch);
        }
    }

    [Fact]
    public void GetTensorDrawsWithTheDatasetsEpoch()
    {
        using var ds = data.A();
        using var reference = data.A();
        Assert.Equal(0, ds.Epoch);
        foreach (var epoch in new[] { 0, 5, 1 })
        {
            ds.SetEpoch(epoch);
            var d = ds.GetTensor(4);
            using var ids = d["input_ids"];
            using var pixels = d["pixel_values"];
            using var s = reference.GetSample(4, epoch);
            using var p = s.PixelValuesTensor();
            Assert.Equal(s.InputIds, ids.data<long>().ToArray());
            Assert.Equal(p.bytes.ToArray(), pixels.bytes.ToArray());
        }
    }
}
