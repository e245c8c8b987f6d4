using System.Text.Json;
using VgtData.Config;
using VgtData.Images;
using VgtData.Preparation;
using static VgtData.Tests.Fixtures.CliRun;

namespace VgtData.Tests.Cli;

/// <summary>The sample, bench and demo verbs end to end on a small generated dataset.</summary>
public sealed class RunCommandsTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "vgtdata-cli-" + Guid.NewGuid().ToString("N"));
    private readonly string _config;

    public RunCommandsTests()
    {
        SyntheticDataset.Write(_dir, 12, [(160, 160), (160, 240), (240, 160)], seed: 3, workers: 1);
        _config = Path.Combine(_dir, "config.json");
        File.WriteAllText(_config, """
            { "prompt_template": "qwen25vl", "tokenizer": "embedded:o200k", "image_size": 96, "pad_index": 0, "seed": 5,
              "dataset": { "type": "CaptionDataset", "data_path": "data.json", "image_folder": ".", "unconditional": 0.5 },
              "train_dataloader": { "batch_size": 4, "num_workers": 2 } }
            """);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);


    [Fact]
    public void SampleWritesTheDatasetsExactPixelsAndIds()
    {
        var outDir = Path.Combine(_dir, "s7");
        var (code, _, err) = Run("sample", _config, "--index", "7", "--out", outDir);
        Assert.True(code == 0, err);

        using var pipeline = PipelineFactory.Build(ConfigLoader.Load(_config));
        using var expected = pipeline.Dataset.GetSample(7);
        var npy = File.ReadAllBytes(Path.Combine(outDir, "pixel_values.npy"));
        Assert.Equal(0x93, npy[0]);
        int headerLength = BitConverter.ToUInt16(npy, 8);
        var header = System.Text.Encoding.ASCII.GetString(npy, 10, headerLength);
        Assert.Contains("'descr': '<f4'", header);
        Assert.Contains("'shape': (3, 96, 96)", header);
        Assert.Equal(0, (10 + headerLength) % 64);
        var values = new float[3 * 96 * 96];
        Buffer.BlockCopy(npy, 10 + headerLength, values, 0, values.Length * 4);
        var want = new float[values.Length];
        PixelValues.ToChw(expected.Pixels!.Pixels, want, 96, 96);
        Assert.Equal(want, values);

        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "sample.json")));
        var root = doc.RootElement;
        Assert.Equal(expected.InputIds, root.GetProperty("input_ids").EnumerateArray().Select(x => x.GetInt64()).ToArray());
        Assert.Equal("images/000007.png", root.GetProperty("image_file").GetString());
        Assert.Equal(expected.Caption, root.GetProperty("caption").GetString());
        Assert.Equal(expected.Cfg, root.GetProperty("cfg").GetBoolean());
    }

    [Fact]
    public void SampleRefusesAnIndexOutsideTheDataset()
    {
        var (code, _, err) = Run("sample", _config, "--index", "12", "--out", Path.Combine(_dir, "x"));
        Assert.Equal(1, code);
        Assert.Contains("--index 12 is outside the dataset's 12 samples", err);
    }

    [Fact]
    public void BenchChecksumIsTheSameForAnyWorkerCount()
    {
        // The default warm-up grows with the worker count (2 + batches in flight); the checksum covers the first
        // --batches batches whatever the warm-up, so the defaults compare across worker counts.
        string Checksum(string workers, string? warmup)
        {
            string[] extra = warmup is null ? [] : ["--warmup", warmup];
            var (code, output, err) = Run(["bench", _config, "--batches", "3", "--workers", workers, "--json", .. extra]);
            Assert.True(code == 0, err);
            using var doc = JsonDocument.Parse(output.Trim().Split('\n')[^1]);
            var r = doc.RootElement;
            foreach (var key in new[] { "samples_per_s", "batches", "workers", "batch_size", "p50_wait_ms", "p95_wait_ms", "stage_seconds", "peak_rss_mb", "bad_samples", "checksum_batches" })
                Assert.True(r.TryGetProperty(key, out _), $"bench JSON lacks {key}");
            Assert.Equal(3, r.GetProperty("batches").GetInt32());
            Assert.Equal(3, r.GetProperty("checksum_batches").GetInt32());
            Assert.Equal(4, r.GetProperty("batch_size").GetInt32());
            int warm = r.GetProperty("warmup_batches").GetInt32();
            if (warmup is not null) Assert.Equal(int.Parse(warmup), warm);
            Assert.Contains($"batch {warm + 3}/{warm + 3}", err);
            // Batches are hashed during the warm-up; with a shorter warm-up an untimed pass from the start hashes them.
            Assert.Equal(warm < 3, err.Contains("bench: checksum pass over the first 3 batches (untimed)"));
            return r.GetProperty("checksum").GetString()!;
        }
        var one = Checksum("1", null);
        Assert.Equal(one, Checksum("3", null));
        Assert.Equal(one, Checksum("0", null));
        Assert.Equal(one, Checksum("2", "1"));
    }

    [Fact]
    public void UnknownOptionIsAUsageError()
    {
        var (code, _, err) = Run("bench", _config, "--batchez", "3");
        Assert.Equal(2, code);
        Assert.Contains("unknown option --batchez", err);
    }

    [Fact]
    public void DemoRunsOnItsGeneratedDataset()
    {
        var (code, output, err) = Run("demo", "--dir", Path.Combine(_dir, "demo"), "--count", "8", "--batches", "2",
            "--set", "image_size=64", "--set", "train_dataloader.collate_fn.resolutions=[64,64]", "--set", "train_dataloader.batch_size=4");
        Assert.True(code == 0, err);
        Assert.Contains("batch 0: pixel_values [4, 3, 64, 64] Float32", output);
        Assert.Contains("batch 1:", output);
        Assert.Contains("throughput:", output);
    }
}
