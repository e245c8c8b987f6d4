using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using TorchSharp;
using VgtData.Latents;
using static TorchSharp.torch;

namespace VgtData.Tests.Latents;

public class TorchSaveReaderTests
{
    private static JsonElement Case(string file)
    {
        var cases = SharedData.Require("golden/latents/cases.json");
        using var doc = JsonDocument.Parse(File.ReadAllText(cases));
        return doc.RootElement.GetProperty("files").GetProperty(file).Clone();
    }

    private static string Golden(string file) => SharedData.Require("golden/latents/" + file);

    private static long[] Shape(JsonElement c) => c.GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()).ToArray();

    [SkippableFact]
    public void Float32GoldenMatchesShapeSumAndFirstValues()
    {
        var c = Case("10000.png.pt");
        using var t = TorchSaveReader.Load(Golden("10000.png.pt"));
        Assert.Equal(ScalarType.Float32, t.dtype);
        Assert.Equal(Shape(c), t.shape);
        Assert.True(t.is_contiguous());
        var values = t.data<float>().ToArray();
        var expectedSum = c.GetProperty("sum").GetDouble();
        var sum = values.Sum(v => (double)v);
        Assert.True(Math.Abs(sum - expectedSum) <= 1e-3 * Math.Abs(expectedSum), $"sum {sum} vs {expectedSum}");
        var first = c.GetProperty("first").EnumerateArray().Select(e => (float)e.GetDouble()).ToArray();
        Assert.Equal(first, values.Take(first.Length).ToArray());
    }

    [SkippableFact]
    public void BFloat16GoldenMatchesShapeAndSum()
    {
        var c = Case("10001.png.pt");
        using var t = TorchSaveReader.Load(Golden("10001.png.pt"));
        Assert.Equal(ScalarType.BFloat16, t.dtype);
        Assert.Equal(Shape(c), t.shape);
        using var f = t.to_type(ScalarType.Float32);
        var sum = f.data<float>().ToArray().Sum(v => (double)v);
        var expectedSum = c.GetProperty("sum_as_float32").GetDouble();
        Assert.True(Math.Abs(sum - expectedSum) <= 1e-3 * Math.Abs(expectedSum), $"sum {sum} vs {expectedSum}");
    }

    [SkippableFact]
    public void BFloat16GoldenIsTheFloat32GoldenRounded()
    {
        Case("10001.png.pt");
        using var a = TorchSaveReader.Load(Golden("10000.png.pt"));
        using var b = TorchSaveReader.Load(Golden("10001.png.pt"));
        using var af = a.to_type(ScalarType.BFloat16).to_type(ScalarType.Float32);
        using var bf = b.to_type(ScalarType.Float32);
        Assert.True(af.allclose(bf, rtol: 0.02, atol: 0.02));
    }

    [SkippableFact]
    public void Int64TokensGoldenMatchExactly()
    {
        var c = Case("tokens_10000.png.pt");
        using var t = TorchSaveReader.Load(Golden("tokens_10000.png.pt"));
        Assert.Equal(ScalarType.Int64, t.dtype);
        Assert.Equal(Shape(c), t.shape);
        var values = t.data<long>().ToArray();
        Assert.Equal(c.GetProperty("sum").GetInt64(), values.Sum());
        var first = c.GetProperty("first").EnumerateArray().Select(e => e.GetInt64()).ToArray();
        Assert.Equal(first, values.Take(first.Length).ToArray());
    }

    [SkippableFact]
    public void LoadFromNonSeekableStreamWorks()
    {
        var bytes = File.ReadAllBytes(Golden("tokens_10000.png.pt"));
        using var s = new NonSeekable(new MemoryStream(bytes));
        using var t = TorchSaveReader.Load(s, "tokens");
        Assert.Equal(new long[] { 256 }, t.shape);
    }

    private static Tensor Load(byte[] archive, string name = "built.pt") => TorchSaveReader.Load(new MemoryStream(archive), name);

    private static byte[] Bytes<T>(params T[] values) where T : struct => MemoryMarshal.AsBytes(values.AsSpan()).ToArray();

    [Fact]
    public void NonContiguousViewIsMadeContiguous()
    {
        // storage is a row-major [2,3] = 0..5; the saved tensor is its transpose [3,2] with stride (1,3).
        var archive = TorchSaveBuilder.Tensor("FloatStorage", Bytes(0f, 1, 2, 3, 4, 5), 6, 0, [3, 2], [1, 3]);
        using var t = Load(archive);
        Assert.Equal(new long[] { 3, 2 }, t.shape);
        Assert.True(t.is_contiguous());
        Assert.Equal(new float[] { 0, 3, 1, 4, 2, 5 }, t.data<float>().ToArray());
    }

    [Fact]
    public void StorageOffsetAndStrideAreHonoured()
    {
        var archive = TorchSaveBuilder.Tensor("IntStorage", Bytes(10, 11, 12, 13, 14, 15, 16), 7, 1, [3], [2]);
        using var t = Load(archive);
        Assert.Equal(ScalarType.Int32, t.dtype);
        Assert.Equal(new[] { 11, 13, 15 }, t.data<int>().ToArray());
    }

    [Fact]
    public void ContiguousSliceWithOffset()
    {
        var archive = TorchSaveBuilder.Tensor("LongStorage", Bytes(1L, 2, 3, 4, 5, 6, 7), 7, 3, [2, 2], [2, 1]);
        using var t = Load(archive);
        Assert.Equal(new long[] { 4, 5, 6, 7 }, t.data<long>().ToArray());
    }

    [Fact]
    public void ScalarTensorLoads()
    {
        var archive = TorchSaveBuilder.Tensor("DoubleStorage", Bytes(2.5), 1, 0, [], []);
        using var t = Load(archive);
        Assert.Equal(0, t.dim());
        Assert.Equal(2.5, t.item<double>());
    }

    [Fact]
    public void EmptyTensorLoads()
    {
        var archive = TorchSaveBuilder.Tensor("FloatStorage", [], 0, 0, [0, 4], [4, 1]);
        using var t = Load(archive);
        Assert.Equal(new long[] { 0, 4 }, t.shape);
    }

    [Fact]
    public void EverySupportedDtypeRoundTrips()
    {
        using (var t = Load(TorchSaveBuilder.Tensor("DoubleStorage", Bytes(1.5, -2.25), 2, 0, [2], [1])))
        {
            Assert.Equal(ScalarType.Float64, t.dtype);
            Assert.Equal(new[] { 1.5, -2.25 }, t.data<double>().ToArray());
        }
        using (var t = Load(TorchSaveBuilder.Tensor("HalfStorage", Bytes((Half)1.5, (Half)(-2)), 2, 0, [2], [1])))
        {
            Assert.Equal(ScalarType.Float16, t.dtype);
            using var f = t.to_type(ScalarType.Float32);
            Assert.Equal(new[] { 1.5f, -2f }, f.data<float>().ToArray());
        }
        // bfloat16 1.5 = 0x3FC0, -2 = 0xC000
        using (var t = Load(TorchSaveBuilder.Tensor("BFloat16Storage", Bytes((ushort)0x3FC0, (ushort)0xC000), 2, 0, [2], [1])))
        {
            Assert.Equal(ScalarType.BFloat16, t.dtype);
            using var f = t.to_type(ScalarType.Float32);
            Assert.Equal(new[] { 1.5f, -2f }, f.data<float>().ToArray());
        }
        using (var t = Load(TorchSaveBuilder.Tensor("ShortStorage", Bytes((short)-3, (short)300), 2, 0, [2], [1])))
        {
            Assert.Equal(ScalarType.Int16, t.dtype);
            Assert.Equal(new short[] { -3, 300 }, t.data<short>().ToArray());
        }
        using (var t = Load(TorchSaveBuilder.Tensor("CharStorage", Bytes((sbyte)-7, (sbyte)7), 2, 0, [2], [1])))
        {
            Assert.Equal(ScalarType.Int8, t.dtype);
            Assert.Equal(new sbyte[] { -7, 7 }, t.data<sbyte>().ToArray());
        }
        using (var t = Load(TorchSaveBuilder.Tensor("ByteStorage", new byte[] { 200, 3 }, 2, 0, [2], [1])))
        {
            Assert.Equal(ScalarType.Byte, t.dtype);
            Assert.Equal(new byte[] { 200, 3 }, t.data<byte>().ToArray());
        }
        using (var t = Load(TorchSaveBuilder.Tensor("BoolStorage", new byte[] { 1, 0, 1 }, 3, 0, [3], [1])))
        {
            Assert.Equal(ScalarType.Bool, t.dtype);
            Assert.Equal(new[] { true, false, true }, t.data<bool>().ToArray());
        }
    }

    [Fact]
    public void UnsupportedGlobalIsRefusedWithItsName()
    {
        var p = new PickleWriter().Proto().Global("torch.nn.modules.linear", "Linear").EmptyTuple().Reduce().Stop().ToArray();
        var e = Assert.Throws<VgtDataException>(() => Load(TorchSaveBuilder.Archive(p), "model.pt"));
        Assert.Contains("model.pt", e.Message);
        Assert.Contains("torch.nn.modules.linear.Linear", e.Message);
    }

    [Fact]
    public void UnsupportedStorageTypeIsRefused()
    {
        var archive = TorchSaveBuilder.Tensor("ComplexFloatStorage", new byte[16], 2, 0, [2], [1]);
        var e = Assert.Throws<VgtDataException>(() => Load(archive, "c.pt"));
        Assert.Contains("c.pt", e.Message);
        Assert.Contains("ComplexFloatStorage", e.Message);
    }

    [Fact]
    public void DictOfTensorsIsRefused()
    {
        var p = new PickleWriter().Proto().EmptyDict()
            .Str("latents").Tensor("FloatStorage", "0", 2, 0, [2], [1]).SetItem()
            .Str("tokens").Tensor("LongStorage", "1", 2, 0, [2], [1]).SetItem()
            .Stop().ToArray();
        var archive = TorchSaveBuilder.Archive(p, ("0", new byte[8]), ("1", new byte[16]));
        var e = Assert.Throws<VgtDataException>(() => Load(archive, "both.pt"));
        Assert.Contains("both.pt", e.Message);
        Assert.Contains("dict with 2 entries", e.Message);
        Assert.Contains("latents", e.Message);
    }

    [Fact]
    public void TruncatedStorageIsRefused()
    {
        var archive = TorchSaveBuilder.Tensor("FloatStorage", new byte[20], 6, 0, [2, 3], [3, 1]);
        var e = Assert.Throws<VgtDataException>(() => Load(archive, "short.pt"));
        Assert.Contains("short.pt", e.Message);
        Assert.Contains("truncated", e.Message);
        Assert.Contains("20 bytes", e.Message);
    }

    [Fact]
    public void ViewBeyondStorageIsRefused()
    {
        var archive = TorchSaveBuilder.Tensor("FloatStorage", new byte[24], 6, 2, [2, 3], [3, 1]);
        var e = Assert.Throws<VgtDataException>(() => Load(archive, "view.pt"));
        Assert.Contains("storage of 6", e.Message);
    }

    [Fact]
    public void MissingStorageEntryIsRefused()
    {
        var p = new PickleWriter().Proto().Tensor("FloatStorage", "0", 2, 0, [2], [1]).Stop().ToArray();
        var e = Assert.Throws<VgtDataException>(() => Load(TorchSaveBuilder.Archive(p), "nodata.pt"));
        Assert.Contains("data/0", e.Message);
        Assert.Contains("missing", e.Message);
    }

    [Fact]
    public void TruncatedPickleIsRefused()
    {
        var p = new PickleWriter().Proto().Tensor("FloatStorage", "0", 2, 0, [2], [1]).ToArray(); // no STOP
        var e = Assert.Throws<VgtDataException>(() => Load(TorchSaveBuilder.Archive(p, ("0", new byte[8])), "nostop.pt"));
        Assert.Contains("nostop.pt", e.Message);
        Assert.Contains("STOP", e.Message);
    }

    [Fact]
    public void NonZipFileIsRefused()
    {
        var e = Assert.Throws<VgtDataException>(() => Load(Encoding.ASCII.GetBytes("hello, not a tensor"), "text.pt"));
        Assert.Contains("text.pt", e.Message);
        Assert.Contains("not a torch.save file", e.Message);
    }

    [Fact]
    public void LegacyFormatIsRefusedWithAHint()
    {
        var legacy = new byte[] { 0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19, 0x2e };
        var e = Assert.Throws<VgtDataException>(() => Load(legacy, "old.pt"));
        Assert.Contains("legacy", e.Message);
    }

    [Fact]
    public void ZipWithoutDataPklIsRefused()
    {
        var ms = new MemoryStream();
        using (var zip = new System.IO.Compression.ZipArchive(ms, System.IO.Compression.ZipArchiveMode.Create, leaveOpen: true))
            using (var s = zip.CreateEntry("readme.txt").Open()) s.WriteByte(1);
        var e = Assert.Throws<VgtDataException>(() => Load(ms.ToArray(), "other.zip"));
        Assert.Contains("data.pkl", e.Message);
        Assert.Contains("readme.txt", e.Message);
    }

    [Fact]
    public void MissingFileIsAVgtDataException()
    {
        var path = Path.Combine(Path.GetTempPath(), "vgtdata-missing-" + Guid.NewGuid().ToString("N") + ".pt");
        var e = Assert.Throws<VgtDataException>(() => TorchSaveReader.Load(path));
        Assert.Contains(path, e.Message);
    }

    private sealed class NonSeekable(Stream inner) : ForwardReadStream
    {
        public override int Read(Span<byte> buffer) => inner.Read(buffer);
        protected override void Dispose(bool disposing) { if (disposing) inner.Dispose(); base.Dispose(disposing); }
    }
}
