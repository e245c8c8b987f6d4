using System.Text.Json;
using VgtData.Datasets;
using VgtData.Sources;
using VgtData.Storage;
using VgtData.Tests.Preparation;
using VgtData.Tests.Storage;

namespace VgtData.Tests.Sources;

/// <summary>
/// The imagenet1k-t2i replica prepared in place (parquet parts and images.parquet.json, no images/) copied to an s3rver
/// bucket and named as <c>ceph_folder</c>: the cells are read from the parts with ranged GETs (footer, then one page per
/// image), with the batches of the local folder; a part changed since prepare is refused when the dataset opens.
/// </summary>
public sealed class ParquetInPlaceS3Tests : IDisposable
{
    private readonly RecipeTree _t = new("imagenet1k-t2i");
    private S3TestServer? _server;

    public void Dispose()
    {
        _server?.Dispose();
        _t.Dispose();
    }

    private S3TestServer Server => _server ??= S3TestServer.StartOrSkip();

    private static string J(string s) => JsonSerializer.Serialize(s);

    private string Config(string name, string dataset) => InPlaceTarTests.WriteConfig(_t.Parent, name, dataset);

    [SkippableFact]
    public void InPlaceInABucket_SameBatchesAsTheLocalFolder_PagesReadWithRangedGets()
    {
        PrepareParquetRecipesTests.WriteImagenetDownload(_t);
        var (code, _, err) = Fixtures.CliRun.Run("prepare", "imagenet1k-t2i", "--root", _t.Root);
        Assert.True(code == 0, err);
        Assert.False(Directory.Exists(Path.Combine(_t.Root, "images")));
        Server.Upload(_t.Root, "vgt", "imagenet");
        var ini = Server.WritePetrelConfig(_t.Parent);

        var local = Config("local.json", $$"""
            { "data_path": {{J(Path.Combine(_t.Root, "data.json"))}}, "image_folder": {{J(_t.Root)}}, "cap_source": "caption", "min_image_size": 0 }
            """);
        var remote = Config("s3.json", $$"""
            { "data_path": "s3://vgt/imagenet/data.json", "ceph_folder": "s3://vgt/imagenet", "ceph_config": {{J(ini)}},
              "cap_source": "caption", "min_image_size": 0 }
            """);
        var (expected, localFailures, p1) = S3DatasetTests.Run(local, 6);
        p1.Dispose();
        var (actual, failures, p2) = S3DatasetTests.Run(remote, 6);
        using (p2)
        {
            var source = Assert.IsType<ParquetImageSource>(((CaptionDataset)p2.Dataset).Options.ImageSource);
            Assert.Equal("s3://vgt/imagenet/raw/00001.parquet:row 2 (images/00001_000002.png)", source.Describe("images/00001_000002.png"));
            Assert.Equal("pages", source.RouteOf("images/00001_000002.png"));
            // Page bodies were fetched ahead of the reads the loader hinted.
            Assert.True(source.ReadAheadHits > 4, $"only {source.ReadAheadHits} reads came from the read-ahead window");
            Assert.Equal("pages", source.RouteOf("images/00000_000004.png"));
        }
        Assert.Equal((0L, 0L), (localFailures, failures));
        Assert.Equal(expected, actual);

        // A part replaced since prepare (another size): the dataset does not open, one line names the part.
        using (var store = new S3Store(Server.Settings()))
            store.Put(S3Location.Parse("s3://vgt/imagenet/raw/00001.parquet"), new byte[100]);
        var e = Assert.ThrowsAny<VgtDataException>(() => S3DatasetTests.Run(remote, 1).Pipeline.Dispose());
        Assert.Contains($"s3://vgt/imagenet/raw/00001.parquet: 100 bytes, {new FileInfo(Path.Combine(_t.Root, "raw", "00001.parquet")).Length} " +
                        "when images.parquet.json was written; the part changed, rerun vgtdata prepare", e.Message);
    }
}
