using VgtData.Sampling;

namespace VgtData.Tests.Sampling;

/// <summary>
/// Sampler behaviour that the mutation run of src/VgtData/Sampling found unguarded: exact refusals of bad arguments,
/// sources left out by a repeat of 0, draw epochs inside a batch, one pass of an endless sampler, the epoch shuffler.
/// </summary>
public sealed class SamplerArgumentMutationTests
{
    private static (long, int)[][] TakeDraws(IBatchSampler s, int n) =>
        s.BatchDraws().Take(n).Select(b => b.Select(d => (d.Index, d.DrawEpoch)).ToArray()).ToArray();

    [Fact]
    public void MultiSourceArgumentsAreRefusedWithTheirReason()
    {
        var none = Assert.Throws<ArgumentException>(() => new FixedBatchMultiSourceSampler([], [], 4, rank: 0, worldSize: 1));
        Assert.Equal("sourceSizes", none.ParamName);
        Assert.StartsWith("at least one source is needed", none.Message);
        var count = Assert.Throws<ArgumentException>(() => new WeightedMultiSourceSampler([10, 20], [1.0], 4, rank: 0, worldSize: 1));
        Assert.Equal("repeat", count.ParamName);
        Assert.StartsWith("2 sources but 1 repeat values", count.Message);
        Assert.Throws<ArgumentNullException>(() => new FixedBatchMultiSourceSampler(null!, [1], 4, rank: 0, worldSize: 1));
        Assert.Throws<ArgumentNullException>(() => new WeightedMultiSourceSampler([1], null!, 4, rank: 0, worldSize: 1));

        var negative = Assert.Throws<ArgumentOutOfRangeException>(() => new FixedBatchMultiSourceSampler([10, 10], [1, -2], 4, rank: 0, worldSize: 1));
        Assert.Equal("repeat", negative.ParamName);
        Assert.Equal(-2, negative.ActualValue);
        Assert.StartsWith("repeat of source 1 must be >= 0", negative.Message);
        var zero = Assert.Throws<ArgumentException>(() => new FixedBatchMultiSourceSampler([10, 10], [0, 0], 4, rank: 0, worldSize: 1));
        Assert.Equal("repeat", zero.ParamName);
        Assert.StartsWith("every repeat is 0; nothing to sample", zero.Message);
        var empty = Assert.Throws<ArgumentException>(() => new FixedBatchMultiSourceSampler([10, 0], [1, 2], 4, rank: 0, worldSize: 1));
        Assert.StartsWith("source 1 is empty but its repeat is 2: it can never fill a batch", empty.Message);
        // An empty source left out by a repeat of 0 is fine.
        Assert.Equal(1, new FixedBatchMultiSourceSampler([10, 0], [1, 0], 4, rank: 0, worldSize: 1).CycleLength);

        foreach (var bad in new[] { double.NaN, double.PositiveInfinity, -0.5 })
        {
            var e = Assert.Throws<ArgumentOutOfRangeException>(() => new WeightedMultiSourceSampler([10, 10], [1.0, bad], 4, rank: 0, worldSize: 1));
            Assert.Equal("repeat", e.ParamName);
            Assert.StartsWith("repeat of source 1 must be a finite number >= 0", e.Message);
        }
        var nothing = Assert.Throws<ArgumentException>(() => new WeightedMultiSourceSampler([0, 10], [1.0, 0.0], 4, rank: 0, worldSize: 1));
        Assert.Equal("repeat", nothing.ParamName);
        Assert.StartsWith("every source has size × repeat = 0; nothing to sample", nothing.Message);
        // A zero weight beside a positive one is accepted.
        Assert.Equal(1.0, new WeightedMultiSourceSampler([0, 10], [1.0, 1.0], 4, rank: 0, worldSize: 1).Weight(1));
    }

    [Fact]
    public void ASourceWithRepeatZeroIsSkippedInTheCycle()
    {
        // Sources of 4 (global 0..3), 4 (4..7, repeat 0) and 4 (8..11); cycle s0 s0 s2, batches of 2, unshuffled.
        var s = new FixedBatchMultiSourceSampler([4, 4, 4], [2, 0, 1], batchSize: 2, shuffle: false, rank: 0, worldSize: 1);
        Assert.Equal(3, s.CycleLength);
        Assert.Equal([0, 0, 2, 0, 0, 2, 0], Enumerable.Range(0, 7).Select(b => s.SourceOf(b)));
        Assert.Equal(0, s.BatchesOfSourceBefore(2, 2));
        Assert.Equal(1, s.BatchesOfSourceBefore(2, 3));
        Assert.Equal(2, s.BatchesOfSourceBefore(0, 3));
        Assert.Equal(3, s.BatchesOfSourceBefore(0, 4));
        Assert.Equal(0, s.BatchesOfSourceBefore(1, 5));
        Assert.Equal(
            [
                [(0L, 0), (1L, 0)], [(2L, 0), (3L, 0)], [(8L, 0), (9L, 0)],
                [(0L, 1), (1L, 1)], [(2L, 1), (3L, 1)], [(10L, 0), (11L, 0)],
                [(0L, 2), (1L, 2)], [(2L, 2), (3L, 2)], [(8L, 1), (9L, 1)],
            ],
            TakeDraws(s, 9));
    }

    [Fact]
    public void APassBoundaryInsideAMultiSourceBatchGivesEachIndexItsOwnPass()
    {
        // One source of 5, rank 1 of 2 takes stream items 1, 3, 5, 7, ...: globals 1 3 5 | 7 9 11 -> 1 3 0 | 2 4 1.
        var s = new FixedBatchMultiSourceSampler([5], [1], batchSize: 3, shuffle: false, rank: 1, worldSize: 2);
        Assert.Equal([[(1L, 0), (3L, 0), (0L, 1)], [(2L, 1), (4L, 1), (1L, 2)]], TakeDraws(s, 2));
        Assert.Equal((1, 2, 3, 0), (s.Rank, s.WorldSize, s.BatchSize, s.Seed));
    }

    [Fact]
    public void WeightsAreSizeTimesRepeatOverTheTotal()
    {
        var w = new WeightedMultiSourceSampler([10, 0, 30], [2.0, 5.0, 1.0], 4, seed: 3, rank: 0, worldSize: 1);
        Assert.Equal(0.4, w.Weight(0), 12);
        Assert.Equal(0.0, w.Weight(1));
        Assert.Equal(0.6, w.Weight(2), 12);
        Assert.Equal((3, 4), (w.Seed, w.BatchSize));
        // The empty source is never picked; the other two get about 40% and 60% of 2000 batches.
        var picks = Enumerable.Range(0, 2000).Select(b => w.SourceOf(b)).ToArray();
        Assert.DoesNotContain(1, picks);
        Assert.InRange(picks.Count(p => p == 0), 700, 900);
        Assert.InRange(picks.Count(p => p == 2), 1100, 1300);
    }

    [Fact]
    public void WeightedBatchesReplayTheSourcePicksAndPasses()
    {
        // Unshuffled sources of 3 (0..2) and 2 (3..4), batches of 2: each source's stream is read in order, pass by
        // pass, in the order the picks choose; rank 1 of 2 keeps the odd global batches.
        var all = new WeightedMultiSourceSampler([3, 2], [1.0, 1.0], 2, shuffle: false, seed: 9, rank: 0, worldSize: 1);
        var picks = Enumerable.Range(0, 12).Select(b => all.SourceOf(b)).ToArray();
        var cursors = new long[2];
        var sizes = new[] { 3, 2 };
        var offsets = new[] { 0L, 3L };
        var expected = new List<(long, int)[]>();
        foreach (var s in picks)
        {
            var batch = new (long, int)[2];
            for (int k = 0; k < 2; k++, cursors[s]++) batch[k] = (offsets[s] + cursors[s] % sizes[s], (int)(cursors[s] / sizes[s]));
            expected.Add(batch);
        }
        Assert.Equal(expected.ToArray(), TakeDraws(all, 12));
        Assert.Contains(0, picks);
        Assert.Contains(1, picks);
        var odd = new WeightedMultiSourceSampler([3, 2], [1.0, 1.0], 2, shuffle: false, seed: 9, rank: 1, worldSize: 2);
        Assert.Equal(expected.Where((_, b) => b % 2 == 1).ToArray(), TakeDraws(odd, 6));
        // Restored mid-way, rank 1 continues at its fourth batch (global batch 7).
        odd.Restore(new SamplerState(0, 3));
        Assert.Equal(expected.Where((_, b) => b % 2 == 1).Skip(3).ToArray(), TakeDraws(odd, 3));
        Assert.Equal(new SamplerState(0, 6), odd.State);
    }

    [Theory]
    [InlineData(5, 3, 0)]
    [InlineData(5, 3, 1)]
    [InlineData(5, 3, 2)]
    [InlineData(4, 3, 1)]
    [InlineData(7, 2, 1)]
    [InlineData(3, 4, 3)]
    public void OnePassOfAnEndlessSamplerIsTheStreamItemsOfThatPass(int size, int world, int rank)
    {
        // Reference: the rank's stream, kept where the draw epoch is the pass asked for.
        var s = new InfiniteSampler(size, seed: 6, rank: rank, worldSize: world);
        var stream = s.Draws().Take(size * 4).ToArray();
        for (int pass = 0; pass < 3; pass++)
            Assert.Equal(stream.Where(d => d.DrawEpoch == pass).Select(d => d.Index), s.EpochIndices(pass));
        Assert.Throws<ArgumentOutOfRangeException>(() => s.EpochIndices(-1).ToArray());
        Assert.Throws<ArgumentOutOfRangeException>(() => new InfiniteSampler(0, rank: 0, worldSize: 1));
    }

    [Theory]
    [InlineData(7, 3, 0, true)]
    [InlineData(7, 3, 2, true)]
    [InlineData(7, 3, 2, false)]
    [InlineData(2, 4, 3, false)]
    public void OneEpochOfADefaultSamplerIsWhatItsIndicesYieldInThatEpoch(int size, int world, int rank, bool roundUp)
    {
        var s = new DefaultSampler(size, seed: 2, roundUp: roundUp, rank: rank, worldSize: world);
        var probe = new DefaultSampler(size, seed: 2, roundUp: roundUp, rank: rank, worldSize: world);
        foreach (var epoch in new[] { 0, 5 })
        {
            probe.SetEpoch(epoch);
            Assert.Equal(probe.Indices().ToArray(), s.EpochIndices(epoch));
        }
        Assert.Equal(new SamplerState(0, 0), s.State);
    }

    [Fact]
    public void SettingTheSameEpochKeepsThePosition()
    {
        var s = new InfiniteSampler(6, shuffle: false, rank: 0, worldSize: 1);
        Assert.Equal([0L, 1, 2], s.Indices().Take(3));
        s.SetEpoch(0);
        Assert.Equal(new SamplerState(0, 3), s.State);
        Assert.Equal([3L, 4], s.Indices().Take(2));
        s.SetEpoch(2);
        Assert.Equal(new SamplerState(2, 0), s.State);
        Assert.Equal(2, s.Epoch);
    }

    private class NoEpoch : TorchSharp.torch.utils.data.Dataset
    {
        public override long Count => 5;
        public override Dictionary<string, TorchSharp.torch.Tensor> GetTensor(long index) => throw new NotSupportedException();
    }

    private sealed class EpochProbe : NoEpoch, IHasEpoch
    {
        public int Epoch { get; private set; } = -1;
        public void SetEpoch(int epoch) => Epoch = epoch;
    }

    [Fact]
    public void TheEpochShufflerRefusesADatasetWithoutAnEpoch()
    {
        var e = Assert.Throws<ArgumentException>(() => new EpochShuffler(new DefaultSampler(5, seed: 3, rank: 0, worldSize: 1), new NoEpoch()));
        Assert.Equal("NoEpoch has no epoch to set (a CaptionDataset or a ConcatDataset has) (Parameter 'dataset')", e.Message);
    }

    [Fact]
    public void EachEnumerationOfTheEpochShufflerRunsTheNextEpoch()
    {
        var sampler = new DefaultSampler(5, seed: 3, rank: 0, worldSize: 1);
        var dataset = new EpochProbe();
        var shuffler = new EpochShuffler(sampler, dataset, firstEpoch: 2);
        Assert.Equal(2, shuffler.NextEpoch);
        using (var e = shuffler.GetEnumerator())
        {
            // The epoch is set before the first index is handed out.
            Assert.Equal(2, dataset.Epoch);
            Assert.Equal(2, sampler.Epoch);
        }
        Assert.Equal(3, shuffler.NextEpoch);
        Assert.Equal(sampler.EpochIndices(3), shuffler.ToArray());
        Assert.Equal(3, dataset.Epoch);
        shuffler.SetEpoch(3);
        Assert.Equal(sampler.EpochIndices(3), ((System.Collections.IEnumerable)shuffler).Cast<long>().ToArray());
        Assert.Equal(4, shuffler.NextEpoch);
        Assert.NotEqual(sampler.EpochIndices(3), sampler.EpochIndices(4));
        // Without a dataset only the sampler follows.
        var alone = new EpochShuffler(new InfiniteSampler(4, shuffle: false, rank: 0, worldSize: 1), null);
        Assert.Equal([0L, 1, 2, 3], alone.ToArray());
        Assert.Equal(1, alone.NextEpoch);
        Assert.Throws<ArgumentNullException>(() => new EpochShuffler(null!, dataset));
        Assert.Throws<ArgumentOutOfRangeException>(() => new EpochShuffler(sampler, dataset, firstEpoch: -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => shuffler.SetEpoch(-1));
        Assert.Equal(4, shuffler.NextEpoch);
    }

    [Fact]
    public void LocateSkipsEmptyDatasetsAtEveryPosition()
    {
        var c = ConcatIndex.CumulativeSizes([0, 0, 3, 0, 2, 0]);
        Assert.Equal([0L, 0, 3, 3, 5, 5], c);
        Assert.Equal((2, 0), ConcatIndex.Locate(c, 0));
        Assert.Equal((2, 2), ConcatIndex.Locate(c, 2));
        Assert.Equal((4, 0), ConcatIndex.Locate(c, 3));
        Assert.Equal((4, 1), ConcatIndex.Locate(c, 4));
        Assert.Equal((4, 1), ConcatIndex.Locate(c, -1));
        Assert.Equal("index 5 is out of range for a concatenated dataset of length 5",
            Assert.Throws<IndexOutOfRangeException>(() => ConcatIndex.Locate(c, 5)).Message);
        Assert.Equal("index 0 is out of range for a concatenated dataset of length 0",
            Assert.Throws<IndexOutOfRangeException>(() => ConcatIndex.Locate([], 0)).Message);
    }
}

/// <summary>
/// Orders are part of a saved run (a restored loader must continue the same sequence), so the generator's seeding and
/// bounded draws are pinned to values computed independently (a Python transcription of SplitMix64, Lemire's method and
/// the Fisher-Yates loop), and draw epochs past int refuse rather than wrap.
/// </summary>
public sealed class SamplerOrderPinTests
{
    [Fact]
    public void SeedsAndPermutationsMatchTheReference()
    {
        Assert.Equal(0x746015E254F7B054UL, SplitMix64.Seed(1, 2, 3));
        Assert.Equal(0x5B11376710993262UL, SplitMix64.Seed(-1, 2));
        Assert.Equal(0x29B8E821B66BA826UL, SplitMix64.Seed(0, Shuffle.InfiniteSamplerDomain, 5));
        Assert.Equal([9, 1, 2, 4, 3, 5, 8, 6, 0, 7], new InfiniteSampler(10, seed: 7, rank: 0, worldSize: 1).PassOrder(0));
        Assert.Equal([4, 9, 7, 1, 2, 0, 8, 6, 3, 5], new DefaultSampler(10, seed: 7, rank: 0, worldSize: 1).EpochOrder(3));
    }

    [Fact]
    public void BoundedDrawsRejectTheLowProductsBelowTwoToThe64ModN()
    {
        // n = 2^63 + 1 rejects about half of all draws (2^64 mod n = 2^63 - 1); the first four values of seed 11 take
        // two rejections.
        var rng = new SplitMix64(11);
        const ulong n = (1UL << 63) + 1;
        Assert.Equal(
            [2916839690478819406UL, 2419891404314872272UL, 4654242944874133240UL, 5090726676432169991UL],
            new[] { rng.NextBelow(n), rng.NextBelow(n), rng.NextBelow(n), rng.NextBelow(n) });
        // A low product equal to the threshold is kept: this state's first output is 2^64 - 1, whose low product with
        // n is exactly 2^63 - 1 and whose high product is 2^63.
        Assert.Equal(1UL << 63, new SplitMix64(0x31628AF67B2131ABUL).NextBelow(n));
    }

    [Fact]
    public void DrawEpochsAndCyclesPastIntRefuseInsteadOfWrapping()
    {
        // One item per pass: stream position 2^31 - 1 is pass int.MaxValue, the next one has no int epoch.
        var s = new InfiniteSampler(1, shuffle: false, rank: 0, worldSize: 1);
        s.Restore(new SamplerState(0, int.MaxValue));
        Assert.Equal(new SampledIndex(0, int.MaxValue), s.Draws().First());
        Assert.Throws<OverflowException>(() => s.Draws().First());

        // 1024 batches of 2^21 items of a one-item source reach pass 2^31.
        var w = new WeightedMultiSourceSampler([1], [1.0], 1 << 21, shuffle: false, rank: 0, worldSize: 1);
        w.Restore(new SamplerState(0, 1023));
        Assert.Equal(int.MaxValue, w.BatchDraws().First()[^1].DrawEpoch);
        Assert.Throws<OverflowException>(() => w.BatchDraws().First());

        var f = new FixedBatchMultiSourceSampler([1], [1], 1 << 21, shuffle: false, rank: 0, worldSize: 1);
        f.Restore(new SamplerState(0, 1023));
        Assert.Equal(int.MaxValue, f.BatchDraws().First()[^1].DrawEpoch);
        Assert.Throws<OverflowException>(() => f.BatchDraws().First());

        Assert.Throws<OverflowException>(() => new FixedBatchMultiSourceSampler([1, 1], [int.MaxValue, 1], 1, rank: 0, worldSize: 1));
        Assert.Throws<ArgumentNullException>(() => new FixedBatchMultiSourceSampler([1], null!, 1, rank: 0, worldSize: 1));
    }
}

/// <summary>Rank and world size from RANK / WORLD_SIZE: every refusal word for word, and what counts as unset.</summary>
[Collection(ProcessEnvironmentCollection.Name)]
public sealed class DistributedEnvMutationTests
{
    private static void WithEnv(string? rank, string? world, Action body) => EnvironmentRankTests.WithEnv(rank, world, body);

    [Fact]
    public void EnvironmentValuesOutOfRangeAreNamedWithTheVariables()
    {
        WithEnv(null, "0", () => Assert.Equal("environment variable WORLD_SIZE=0 must be at least 1",
            Assert.Throws<VgtDataException>(() => new DefaultSampler(10)).Message));
        WithEnv("4", "4", () => Assert.Equal("rank 4 is outside [0, 4) for world size 4 (RANK=4, WORLD_SIZE=4)",
            Assert.Throws<VgtDataException>(() => new InfiniteSampler(10)).Message));
        WithEnv("-1", null, () => Assert.Equal("rank -1 is outside [0, 3) for world size 3 (RANK=-1, WORLD_SIZE=unset)",
            Assert.Throws<VgtDataException>(() => new InfiniteSampler(10, worldSize: 3)).Message));
        WithEnv(null, "2", () => Assert.Equal("rank 5 is outside [0, 2) for world size 2 (RANK=unset, WORLD_SIZE=2)",
            Assert.Throws<VgtDataException>(() => new DefaultSampler(10, rank: 5)).Message));
        WithEnv("1", "x4", () => Assert.Equal("environment variable WORLD_SIZE='x4' is not an integer",
            Assert.Throws<VgtDataException>(() => new DefaultSampler(10)).Message));
        WithEnv("two", "4", () => Assert.Equal("environment variable RANK='two' is not an integer",
            Assert.Throws<VgtDataException>(() => new DefaultSampler(10)).Message));
    }

    [Fact]
    public void BadArgumentsAreACallersBug()
    {
        WithEnv(null, null, () =>
        {
            var world = Assert.Throws<ArgumentOutOfRangeException>(() => new DefaultSampler(10, rank: 0, worldSize: 0));
            Assert.Equal("worldSize", world.ParamName);
            Assert.Equal(0, world.ActualValue);
            Assert.StartsWith("world size must be at least 1", world.Message);
            foreach (var r in new[] { -1, 2 })
            {
                var rank = Assert.Throws<ArgumentOutOfRangeException>(() => new InfiniteSampler(10, rank: r, worldSize: 2));
                Assert.Equal("rank", rank.ParamName);
                Assert.Equal(r, rank.ActualValue);
                Assert.StartsWith("rank must be in [0, 2) for world size 2", rank.Message);
            }
            var ok = new DefaultSampler(10, rank: 1, worldSize: 2);
            Assert.Equal((1, 2), (ok.Rank, ok.WorldSize));
        });
    }

    [Fact]
    public void GivenArgumentsDoNotReadTheEnvironmentAndBlanksAreUnset()
    {
        // Unparsable variables do not matter when the argument is given.
        WithEnv("x", "y", () =>
        {
            var s = new DefaultSampler(10, rank: 1, worldSize: 3);
            Assert.Equal((1, 3), (s.Rank, s.WorldSize));
        });
        WithEnv("  ", "", () =>
        {
            var s = new InfiniteSampler(10);
            Assert.Equal((0, 1), (s.Rank, s.WorldSize));
        });
        WithEnv(" 1 ", "\t3\n", () =>
        {
            var s = new FixedBatchMultiSourceSampler([10], [1], 2);
            Assert.Equal((1, 3), (s.Rank, s.WorldSize));
        });
        // A given world size with RANK from the environment.
        WithEnv("2", "9", () =>
        {
            var s = new WeightedMultiSourceSampler([10], [1.0], 2, worldSize: 4);
            Assert.Equal((2, 4), (s.Rank, s.WorldSize));
        });
    }
}
