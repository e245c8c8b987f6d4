using System.Diagnostics;
using System.Text.Json;
using VgtData.Preparation;
using VgtData.Tests.Sources;

namespace VgtData.Tests.Preparation;

/// <summary>
/// One prepare/extract run per root. Before, two prepare runs on one root both exited 0 while data.json lacked
/// entries (up to 11.6k of 40k); now the second one refuses at once, naming the holder's PID, with exit 75.
/// </summary>
public sealed class RootLockTests : IDisposable
{
    private readonly TempTree _t = new();

    public void Dispose() => _t.Dispose();

    /// <summary>raw/ with <paramref name="count"/> PNGs in two tar parts and their annotation file.</summary>
    private void WriteDataset(int count)
    {
        var entries = new List<object>();
        var parts = new[] { new TarBuilder(), new TarBuilder() };
        for (int i = 0; i < count; i++)
        {
            parts[i % 2].File($"{i}.png", TestImages.Png(16, 16, (byte)i));
            entries.Add(new Dictionary<string, object> { ["input_prompt"] = $"image {i}", ["output_image"] = $"image/{i}.png", ["output_image_resolution"] = new[] { 16, 16 } });
        }
        File.WriteAllBytes(_t.Raw("text_to_image_part_1.tar"), parts[0].Build());
        File.WriteAllBytes(_t.Raw("text_to_image_part_2.tar"), parts[1].Build());
        File.WriteAllText(_t.Raw("text_to_image.json"), JsonSerializer.Serialize(entries));
    }

    private static string Refusal(string verb, string root, int pid) =>
        $"vgtdata {verb}: {root}: another run is using this folder (PID {pid} holds {Path.Combine(root, RootLock.FileName)}); {verb} refused, nothing written; rerun when it has finished";

    private static void AssertRefused((int Code, string Out, string Err) result, string line)
    {
        Assert.Equal(75, result.Code);
        Assert.Equal([line], result.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => l.StartsWith("vgtdata", StringComparison.Ordinal)));
    }

    private int DataJsonEntries() => JsonDocument.Parse(File.ReadAllBytes(Path.Combine(_t.Root, "data.json"))).RootElement.GetArrayLength();

    [Fact]
    public void TwoConcurrentPrepareRunsOneIsRefusedTheOtherWritesEverything()
    {
        WriteDataset(40);
        using var firstWrote = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        // The first run stops after its first image, holding the root, until the second has been refused.
        var first = Task.Run(() => ShareGpt4oImagePreparer.Run(_t.Root, new PrepareOptions
        {
            Workers = 1,
            Extract = true,
            AfterFileWritten = () => { firstWrote.Set(); release.Wait(TimeSpan.FromSeconds(60)); },
        }));
        Assert.True(firstWrote.Wait(TimeSpan.FromSeconds(60)), "the first run never wrote an image");
        try
        {
            AssertRefused(InputFileTests.RunBounded("prepare", "sharegpt-4o-image", "--root", _t.Root),
                Refusal("prepare", _t.Root, Environment.ProcessId));
            Assert.False(File.Exists(Path.Combine(_t.Root, "data.json")), "the refused run wrote data.json");
        }
        finally
        {
            release.Set();
        }
        var report = first.GetAwaiter().GetResult();
        Assert.Equal(40, report.Entries);
        Assert.Equal(40, DataJsonEntries());
        Assert.False(File.Exists(Path.Combine(_t.Root, RootLock.FileName)), "the lock file was left behind");
        // The root is free again.
        Assert.Equal(0, InputFileTests.RunBounded("prepare", "sharegpt-4o-image", "--root", _t.Root).Code);
        Assert.Equal(40, DataJsonEntries());
    }

    [SkippableFact]
    public void AnotherProcessHoldingTheRootIsNamedByItsPid()
    {
        Skip.IfNot(OperatingSystem.IsLinux() && File.Exists("/usr/bin/flock"), "needs flock(1)");
        WriteDataset(4);
        var lockFile = Path.Combine(_t.Root, RootLock.FileName);
        // The shell writes its PID, then becomes flock(1), which holds the lock while sleep runs (-o: sleep does not inherit it).
        var holder = Process.Start(new ProcessStartInfo("sh", ["-c", $"echo $$ > '{lockFile}'; exec flock -o '{lockFile}' sleep 120"]) { UseShellExecute = false })!;
        try
        {
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (!IsLocked(lockFile))
            {
                Assert.True(DateTime.UtcNow < deadline, "flock(1) never took the lock");
                Thread.Sleep(50);
            }
            AssertRefused(InputFileTests.RunBounded("prepare", "sharegpt-4o-image", "--root", _t.Root), Refusal("prepare", _t.Root, holder.Id));
            Assert.False(File.Exists(Path.Combine(_t.Root, "data.json")));
        }
        finally
        {
            holder.Kill(entireProcessTree: true);
            holder.WaitForExit();
        }
        // A lock file left by a dead holder is no obstacle: the kernel dropped its lock.
        Assert.Equal(0, InputFileTests.RunBounded("prepare", "sharegpt-4o-image", "--root", _t.Root).Code);
        Assert.Equal(4, DataJsonEntries());
    }

    private static bool IsLocked(string path)
    {
        using var p = Process.Start(new ProcessStartInfo("flock", ["-n", path, "true"]) { UseShellExecute = false })!;
        p.WaitForExit();
        return p.ExitCode != 0;
    }

    [Fact]
    public void ExtractIntoAFolderAnotherRunHoldsIsRefused()
    {
        WriteDataset(2);
        var outDir = Path.Combine(_t.Root, "out");
        Directory.CreateDirectory(outDir);
        using (RootLock.Acquire(outDir, "extract"))
        {
            AssertRefused(InputFileTests.RunBounded("extract", "--input", _t.Raw("text_to_image_part_1.tar"), "--out", outDir),
                Refusal("extract", outDir, Environment.ProcessId));
            Assert.Equal([RootLock.FileName], Directory.EnumerateFileSystemEntries(outDir).Select(Path.GetFileName));
        }
        Assert.Equal(0, InputFileTests.RunBounded("extract", "--input", _t.Raw("text_to_image_part_1.tar"), "--out", outDir).Code);
        Assert.Equal(["0.png"], Directory.EnumerateFileSystemEntries(outDir).Select(Path.GetFileName));
    }
}
