using VgtData.Storage;

namespace VgtData.Tests.Storage;

/// <summary>What one GET returns: whole objects (asked for as the open range), byte ranges, empty and missing objects.</summary>
public sealed class S3StoreReadTests : IDisposable
{
    private S3TestServer? _server;
    private S3TestServer Server => _server ??= S3TestServer.StartOrSkip();

    public void Dispose() => _server?.Dispose();

    private S3Store Store(out S3Location folder)
    {
        var store = new S3Store(Server.Settings());
        store.EnsureBucket("reads");
        folder = S3Location.Parse("s3://reads/objects/");
        return store;
    }

    private static byte[] Content(int length)
    {
        var bytes = new byte[length];
        new Random(7).NextBytes(bytes);
        return bytes;
    }

    [SkippableFact]
    public void WholeObjectIsEveryByteInOrder()
    {
        using var store = Store(out var folder);
        var content = Content(700_001);
        store.Put(folder.Append("whole.bin"), content);
        using var read = store.TryGet(folder.Append("whole.bin"));
        Assert.NotNull(read);
        Assert.Equal(content, read.Memory.ToArray());
    }

    [SkippableFact]
    public void RangeIsExactlyItsBytes()
    {
        using var store = Store(out var folder);
        var content = Content(10_000);
        store.Put(folder.Append("ranged.bin"), content);
        using var read = store.TryGet(folder.Append("ranged.bin"), 1234, 4321);
        Assert.NotNull(read);
        Assert.Equal(content.AsSpan(1234, 4321).ToArray(), read.Memory.ToArray());
    }

    [SkippableFact]
    public void EmptyObjectIsZeroBytesNotMissing()
    {
        using var store = Store(out var folder);
        store.Put(folder.Append("empty.bin"), ReadOnlyMemory<byte>.Empty);
        using var read = store.TryGet(folder.Append("empty.bin"));
        Assert.NotNull(read);
        Assert.Equal(0, read.Length);
    }

    [SkippableFact]
    public void MissingObjectIsNull()
    {
        using var store = Store(out var folder);
        Assert.Null(store.TryGet(folder.Append("absent.bin")));
    }
}
