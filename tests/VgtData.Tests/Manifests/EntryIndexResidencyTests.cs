using System.Runtime.InteropServices;
using System.Text.Json;
using VgtData.Manifests;
using VgtData.Tests.Fixtures;

namespace VgtData.Tests.Manifests;

/// <summary>A process's RSS holds the index pages its lookups touch, not the page-cache folios (up to 2 MiB each)
/// around them: after a cold open, a hundred random lookups map at most their fault-around neighbours (64 KiB each), not most of a 40 MB index.</summary>
public sealed class EntryIndexResidencyTests : IDisposable
{
    private readonly TestImages _files = new();

    public void Dispose() => _files.Dispose();

    [DllImport("libc", EntryPoint = "posix_fadvise")]
    private static extern int PosixFadvise(int fd, long offset, long length, int advice);

    private static void DropFromPageCache(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.ReadWrite);
        stream.Flush(flushToDisk: true);   // dirty pages cannot be dropped
        Assert.Equal(0, PosixFadvise((int)stream.SafeFileHandle.DangerousGetHandle(), 0, 0, 4 /* POSIX_FADV_DONTNEED */));
    }

    private static long MappedKb(string path)
    {
        long rss = 0;
        bool inside = false;
        foreach (var line in File.ReadLines("/proc/self/smaps"))
        {
            if (char.IsAsciiHexDigit(line[0]) && line.Contains('-') && line.Contains(' ')) inside = line.EndsWith(path, StringComparison.Ordinal);
            else if (inside && line.StartsWith("Rss:", StringComparison.Ordinal)) rss += long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]);
        }
        return rss;
    }

    [Fact]
    public void RandomLookupsAfterAColdOpenMapOnlyTheirPages()
    {
        if (!OperatingSystem.IsLinux()) return;
        var path = _files.PathOf("data.json");
        using (var stream = File.Create(path))
        using (var json = new Utf8JsonWriter(stream))
        {
            json.WriteStartArray();
            for (int i = 0; i < 200_000; i++)
            {
                json.WriteStartObject();
                json.WriteString("image", $"images/{i:D7}.png");
                json.WriteString("caption", $"caption {i}: " + new string((char)('a' + i % 26), 150));
                json.WriteEndObject();
            }
            json.WriteEndArray();
        }
        ((EntryIndex)EntryLists.OpenIndexed(path, "caption", limit: null)).Dispose();   // builds the index
        var indexPath = path + EntryIndex.Extension;
        Assert.True(new FileInfo(indexPath).Length > 38_000_000);
        DropFromPageCache(indexPath);

        using var index = (EntryIndex)EntryLists.OpenIndexed(path, "caption", limit: null);
        Assert.False(index.Built);
        var random = new Random(5);
        for (int k = 0; k < 100; k++)
        {
            int i = random.Next(index.Count);
            Assert.Equal($"images/{i:D7}.png", index[i].Image);
        }
        long kb = MappedKb(Path.GetFullPath(indexPath));
        Assert.True(kb is > 0 and < 20_000, $"{kb} kB of the index ({new FileInfo(indexPath).Length / 1024} kB) mapped after 100 lookups");
    }
}
