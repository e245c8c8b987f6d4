using VgtData.Sampling;

namespace VgtData.Tests.Sampling;

/// <summary>Tests that change process environment variables run alone, never beside another test collection.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ProcessEnvironmentCollection
{
    public const string Name = "Process environment";
}

[Collection(ProcessEnvironmentCollection.Name)]
public class EnvironmentRankTests
{
    /// <summary>Runs <paramref name="body"/> with RANK and WORLD_SIZE set (null: unset), restoring them after.</summary>
    internal static void WithEnv(string? rank, string? world, Action body)
    {
        var oldRank = Environment.GetEnvironmentVariable("RANK");
        var oldWorld = Environment.GetEnvironmentVariable("WORLD_SIZE");
        try
        {
            Environment.SetEnvironmentVariable("RANK", rank);
            Environment.SetEnvironmentVariable("WORLD_SIZE", world);
            body();
        }
        finally
        {
            Environment.SetEnvironmentVariable("RANK", oldRank);
            Environment.SetEnvironmentVariable("WORLD_SIZE", oldWorld);
        }
    }

    [Fact]
    public void RankAndWorldSizeComeFromTheEnvironment()
    {
        WithEnv("2", "4", () =>
        {
            var d = new DefaultSampler(100);
            Assert.Equal((2, 4), (d.Rank, d.WorldSize));
            var i = new InfiniteSampler(100);
            Assert.Equal((2, 4), (i.Rank, i.WorldSize));
            var m = new FixedBatchMultiSourceSampler([10, 20], [1, 1], 4);
            Assert.Equal((2, 4), (m.Rank, m.WorldSize));
            Assert.Equal(
                new DefaultSampler(100, rank: 2, worldSize: 4).Indices().ToArray(),
                d.Indices().ToArray());
        });
    }

    [Fact]
    public void ExplicitArgumentsWinOverTheEnvironment()
    {
        WithEnv("3", "4", () =>
        {
            var d = new DefaultSampler(100, rank: 1, worldSize: 2);
            Assert.Equal((1, 2), (d.Rank, d.WorldSize));
        });
    }

    [Fact]
    public void WithoutEnvironmentRankIsZeroOfOne()
    {
        WithEnv(null, null, () =>
        {
            var d = new DefaultSampler(100);
            Assert.Equal((0, 1), (d.Rank, d.WorldSize));
        });
    }

    [Fact]
    public void BadEnvironmentValueIsAClearError()
    {
        WithEnv("two", "4", () =>
        {
            var e = Assert.Throws<VgtDataException>(() => new InfiniteSampler(10));
            Assert.Contains("RANK='two'", e.Message);
        });
    }
}
