// Longer mutation-fuzzing runs of the targets the tests fuzz briefly (tests/VgtData.Tests/Fuzz/FuzzTargets.cs):
// each target for N iterations or T seconds, printing iterations/s; a failure prints its seed and iteration, saves
// the input, and reproduces with --seed S --from I --iterations 1.
// Usage: dotnet run -c Release --project benchmarks/Fuzz -- [--target NAME]... [--iterations N] [--seconds T]
//        [--seed S] [--from I] [--timeout SECONDS] [--list]
using System.Diagnostics;
using VgtData.Tests.Fuzz;

var names = new List<string>();
long? iterations = null;
double? seconds = null;
ulong seed = (ulong)DateTime.UtcNow.Ticks;
long from = 0;
double timeout = 2;
var list = false;
for (var i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--target": names.AddRange(args[++i].Split(',', StringSplitOptions.RemoveEmptyEntries)); break;
        case "--iterations": iterations = long.Parse(args[++i]); break;
        case "--seconds": seconds = double.Parse(args[++i], System.Globalization.CultureInfo.InvariantCulture); break;
        case "--seed": seed = ulong.Parse(args[++i]); break;
        case "--from": from = long.Parse(args[++i]); break;
        case "--timeout": timeout = double.Parse(args[++i], System.Globalization.CultureInfo.InvariantCulture); break;
        case "--list": list = true; break;
        default: Console.Error.WriteLine($"unknown argument {args[i]}"); return 2;
    }
}
if (iterations == null && seconds == null) seconds = 10;

var work = FuzzTargets.CreateWorkDir();
try
{
    var all = FuzzTargets.All(work);
    if (list)
    {
        foreach (var t in all) Console.WriteLine($"{t.Name}  ({t.Seeds.Count} seeds)");
        return 0;
    }
    var unknown = names.Where(n => all.All(t => t.Name != n)).ToList();
    if (unknown.Count > 0)
    {
        Console.Error.WriteLine($"unknown target(s) {string.Join(", ", unknown)}; known: {string.Join(", ", all.Select(t => t.Name))}");
        return 2;
    }
    var targets = names.Count == 0 ? all : all.Where(t => names.Contains(t.Name)).ToList();
    Console.WriteLine($"seed {seed}, {(iterations is long n ? $"{n} iterations" : $"{seconds} s")} per target from iteration {from}, {timeout} s per input");

    var failed = false;
    using var runner = new FuzzRunner(TimeSpan.FromSeconds(timeout));
    foreach (var target in targets)
    {
        // Slices of about a second, so a run that dies outright (a stack overflow cannot be caught) has shown where it was.
        long next = from, done = 0, accepted = 0, maxAllocated = 0;
        var clock = Stopwatch.StartNew();
        var slice = 256L;
        FuzzFailure? failure = null;
        while (failure == null)
        {
            var left = iterations is long total ? total - done : long.MaxValue;
            var timeLeft = seconds is double s ? TimeSpan.FromSeconds(s) - clock.Elapsed : (TimeSpan?)null;
            if (left <= 0 || timeLeft <= TimeSpan.Zero) break;
            var r = runner.Run(target, seed, Math.Min(slice, left), timeLeft, firstIteration: next);
            done += r.Iterations;
            accepted += r.Accepted;
            next += r.Iterations;
            maxAllocated = Math.Max(maxAllocated, r.MaxAllocated);
            failure = r.Failure;
            if (r.Elapsed.TotalSeconds < 0.5) slice *= 2;
            Console.Error.WriteLine($"  {target.Name}: through iteration {next - 1}");
        }
        var rate = done / Math.Max(clock.Elapsed.TotalSeconds, 1e-9);
        Console.WriteLine($"{target.Name,-20} {done,9} inputs  {rate,9:N0} inputs/s  accepted {100.0 * accepted / Math.Max(done, 1),5:0.0}%  " +
                          $"max managed alloc {maxAllocated / 1024.0 / 1024.0:0.0} MiB  {(failure == null ? "ok" : "FAILED")}");
        if (failure != null)
        {
            failed = true;
            var file = $"fuzz-failure-{failure.Target}-{failure.Seed}-{failure.Iteration}.bin";
            File.WriteAllBytes(file, failure.Input);
            Console.WriteLine($"  {failure}");
            Console.WriteLine($"  input saved to {file}; reproduce: --target {failure.Target} --seed {failure.Seed} --from {failure.Iteration} --iterations 1");
        }
    }
    return failed ? 1 : 0;
}
finally
{
    Directory.Delete(work, recursive: true);
}
