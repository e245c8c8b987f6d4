namespace VgtData.Tests.Fuzz;

/// <summary>
/// Bounded mutation fuzzing of the parsers that read user files: thousands of inputs derived from valid seeds, each
/// under a 2 s watchdog and a managed-allocation cap, and only the documented error type may come out. A failure
/// names the seed and iteration; <c>benchmarks/Fuzz</c> runs the same targets for longer.
/// </summary>
public sealed class FuzzTests : IDisposable
{
    private const ulong Seed = 20261126;
    private readonly string _dir = FuzzTargets.CreateWorkDir();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData("torch-save-pickle", 5000)]
    [InlineData("torch-save-archive", 4000)]
    [InlineData("manifest-json", 4000)]
    [InlineData("manifest-jsonl", 3000)]
    [InlineData("config-import", 2000)]
    [InlineData("config-json", 2000)]
    public void MutatedInputsFailOnlyWithTypedErrors(string target, int iterations)
    {
        var t = FuzzTargets.All(_dir).Single(x => x.Name == target);
        using var runner = new FuzzRunner(TimeSpan.FromSeconds(2));
        var result = runner.Run(t, Seed, iterations, duration: null);
        Assert.True(result.Failure == null, result.Failure?.ToString());
        Assert.Equal(iterations, result.Iterations);
        // Both paths must be exercised: mutations the parser accepts and ones it refuses.
        Assert.InRange(result.Accepted, t.Seeds.Count + 1, iterations - iterations / 20);
    }

    [Fact]
    public void IterationInputsDependOnlyOnSeedAndIteration()
    {
        var t = FuzzTargets.ManifestJson(_dir);
        var a = Enumerable.Range(0, 50).Select(i => FuzzRunner.Input(t, Seed, 1000 + i)).ToList();
        var b = Enumerable.Range(0, 50).Select(i => FuzzRunner.Input(t, Seed, 1049 - i)).Reverse().ToList();
        Assert.Equal(a, b);
        Assert.NotEqual(FuzzRunner.Input(t, Seed, 1000), FuzzRunner.Input(t, Seed + 1, 1000));
        Assert.Equal(t.Seeds[0], FuzzRunner.Input(t, Seed, 0));
    }

    [Fact]
    public void RunnerReportsHangsWrongExceptionsAndAllocations()
    {
        var seeds = new[] { "ok"u8.ToArray() };
        FuzzTarget Target(Action<byte[]> run, long cap = 1 << 20) =>
            new("probe", seeds, [], run, _ => cap, typeof(VgtDataException));
        using var runner = new FuzzRunner(TimeSpan.FromMilliseconds(200));

        var hang = runner.Run(Target(b => { if (!b.AsSpan().SequenceEqual("ok"u8)) Thread.Sleep(2000); }), 7, 5, null);
        Assert.Contains("no result after", hang.Failure?.Reason);
        Assert.InRange(hang.Failure!.Iteration, 1, 4);

        var wrong = runner.Run(Target(b => { if (!b.AsSpan().SequenceEqual("ok"u8)) throw new IndexOutOfRangeException(); }), 7, 5, null);
        Assert.Contains("IndexOutOfRangeException", wrong.Failure?.Reason);
        Assert.Contains($"seed 7 iteration {wrong.Failure!.Iteration} (", wrong.Failure.ToString());

        var typed = runner.Run(Target(b => { if (!b.AsSpan().SequenceEqual("ok"u8)) throw new VgtDataException("refused"); }), 7, 5, null);
        Assert.Null(typed.Failure);
        Assert.InRange(typed.Accepted, 1, 4);

        var big = runner.Run(Target(b => GC.KeepAlive(new byte[b.AsSpan().SequenceEqual("ok"u8) ? 10 : 4 << 20])), 7, 5, null);
        Assert.Contains("over the cap", big.Failure?.Reason);

        var badSeed = runner.Run(Target(_ => throw new VgtDataException("no")), 7, 5, null);
        Assert.Contains("unmutated seed was refused", badSeed.Failure?.Reason);
    }
}
