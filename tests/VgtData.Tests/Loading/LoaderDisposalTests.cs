using System.Reflection;
using TorchSharp;
using static VgtData.Tests.Loading.BatchSnapshot;

namespace VgtData.Tests.Loading;

/// <summary>Runs alone: it counts process-wide worker threads and live tensors.</summary>
[CollectionDefinition(nameof(SerialLoaderCollection), DisableParallelization = true)]
public sealed class SerialLoaderCollection;

[Collection(nameof(SerialLoaderCollection))]
public sealed class LoaderDisposalTests(LoaderFixture data) : IClassFixture<LoaderFixture>
{
    /// <summary>Worker threads alive in this process, by their OS name ("vgtdata-worker-N", cut to 15 characters on Linux).</summary>
    private static int WorkerThreads()
    {
        if (!Directory.Exists("/proc/self/task")) return -1;
        int n = 0;
        foreach (var task in Directory.GetDirectories("/proc/self/task"))
        {
            try
            {
                if (File.ReadAllText(Path.Combine(task, "comm")).StartsWith("vgtdata-worker")) n++;
            }
            catch (IOException) { }  // the thread ended while we looked
        }
        return n;
    }

    /// <summary>TorchSharp's count of live (undisposed) tensors, when this version exposes one.</summary>
    private static long? LiveTensors() =>
        typeof(torch.Tensor).GetProperty("TotalCount", BindingFlags.Public | BindingFlags.Static)?.GetValue(null) is long n ? n : null;

    [SkippableFact]
    public void ShortLivedLoadersLeaveNoThreadsOrTensors()
    {
        Skip.If(WorkerThreads() < 0, "no /proc/self/task: cannot see thread names");  // Linux only
        // Let earlier tests' abandoned tensors be finalised first, so they cannot be counted against us.
        GC.Collect();
        GC.WaitForPendingFinalizers();
        long? tensorsBefore = LiveTensors();
        int threadsBefore = WorkerThreads();

        using var ds = data.Dataset();
        // The probe sees running workers.
        using (var loader = LoaderFixture.Loader(ds, LoaderFixture.Infinite(), workers: 3))
        using (var e = loader.GetEnumerator())
        {
            Assert.True(e.MoveNext());
            e.Current.Dispose();
            Assert.Equal(threadsBefore + 3, WorkerThreads());
        }

        for (int i = 0; i < 50; i++)
        {
            using var loader = LoaderFixture.Loader(ds, LoaderFixture.Infinite(), workers: 1 + i % 4, prefetch: 1 + i % 3);
            if (i % 2 == 0)
            {
                Assert.Equal(1 + i % 3, Take(loader, 1 + i % 3).Count);   // foreach left early: the enumeration ends
            }
            else
            {
                // Enumerator never disposed by the caller: disposing the loader must stop it, batches in flight included.
                var e = loader.GetEnumerator();
                Assert.True(e.MoveNext());
                e.Current.Dispose();
            }
        }
        // Join returns when the managed thread is done; the OS thread may take a moment longer to leave /proc.
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (WorkerThreads() > threadsBefore && DateTime.UtcNow < deadline) Thread.Sleep(10);
        Assert.Equal(threadsBefore, WorkerThreads());

        if (tensorsBefore is long before)
        {
            // The counter really counts live tensors: one more while one is alive.
            using (var probe = torch.zeros(2))
                Assert.Equal(before + 1, LiveTensors());
            long after = LiveTensors()!.Value;
            Assert.True(after <= before, $"{after - before} tensors still alive after 50 loaders were disposed");
        }
    }

    [Fact]
    public void DisposedLoaderRefusesToEnumerate()
    {
        using var ds = data.Dataset();
        var loader = LoaderFixture.Loader(ds, LoaderFixture.Infinite(), workers: 2);
        loader.Dispose();
        Assert.Throws<ObjectDisposedException>(() => loader.GetEnumerator());
    }

    [Fact]
    public void OneEnumerationAtATime()
    {
        using var ds = data.Dataset();
        using var loader = LoaderFixture.Loader(ds, LoaderFixture.Infinite(), workers: 2);
        using var first = loader.GetEnumerator();
        Assert.Throws<InvalidOperationException>(() => loader.GetEnumerator());
        Assert.Throws<InvalidOperationException>(() => loader.Restore(loader.State));
    }
}
