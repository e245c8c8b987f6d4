using VgtData.Config;
using VgtData.Manifests;
using VgtData.Preparation;
using VgtData.Validation;
using static VgtData.Tests.Fixtures.CliRun;

namespace VgtData.Tests.Cli;

/// <summary><c>vgtdata index CONFIG</c>: each data_path's entry index is built once, then found up to date, then rebuilt
/// when the data.json changes; the pipeline outside the command is untouched.</summary>
public sealed class IndexCommandTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "vgtdata-index-" + Guid.NewGuid().ToString("N"));
    private readonly string _config;

    public IndexCommandTests()
    {
        SyntheticDataset.Write(Path.Combine(_dir, "a"), 5, [(96, 96)], seed: 1, workers: 1);
        SyntheticDataset.Write(Path.Combine(_dir, "b"), 3, [(96, 96)], seed: 2, workers: 1);
        _config = Path.Combine(_dir, "config.json");
        File.WriteAllText(_config, """
            { "prompt_template": "qwen25vl", "tokenizer": "embedded:o200k", "image_size": 64, "pad_index": 0,
              "dataset": { "type": "ConcatDataset", "datasets": [
                { "type": "CaptionDataset", "data_path": "a/data.json", "image_folder": "a" },
                { "type": "CaptionDataset", "data_path": "b/data.json", "image_folder": "b" } ] },
              "train_dataloader": { "batch_size": 2, "num_workers": 0 } }
            """);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);


    private string Line(string member, int count, string state)
    {
        var dataPath = Path.Combine(_dir, member, "data.json");
        var index = dataPath + EntryIndex.Extension;
        return $"{dataPath}: {count} entries, {state}: {index} ({new FileInfo(index).Length} bytes)";
    }

    [Fact]
    public void BuildsEachIndexOnceAndRebuildsAChangedOne()
    {
        var (code, output, err) = Run("index", _config);
        Assert.True(code == 0, err);
        Assert.Equal([Line("a", 5, "built"), Line("b", 3, "built")], output.TrimEnd().Split('\n'));
        // Each build's progress on stderr: the manifest read, then the entries written (the final line of the meter).
        foreach (var (member, count) in new[] { ("a", 5), ("b", 3) })
        {
            var dataPath = Path.Combine(_dir, member, "data.json");
            long bytes = new FileInfo(dataPath).Length;
            Assert.Contains($"index: {dataPath}: {bytes}.0 B of {bytes}.0 B read (", err);
            Assert.Matches($@"index: {System.Text.RegularExpressions.Regex.Escape(dataPath)}: {count}/{count} entries written \([0-9,]+/s, ETA [0-9:]+\)", err);
        }

        (code, output, err) = Run("index", _config);
        Assert.Equal(0, code);
        Assert.Equal([Line("a", 5, "up to date"), Line("b", 3, "up to date")], output.TrimEnd().Split('\n'));
        Assert.DoesNotContain("index: ", err);

        var b = Path.Combine(_dir, "b", "data.json");
        File.WriteAllText(b, File.ReadAllText(b).Replace("\"caption\": \"", "\"caption\": \"new "));
        (code, output, _) = Run("index", _config);
        Assert.Equal(0, code);
        Assert.Equal([Line("a", 5, "up to date"), Line("b", 3, "built")], output.TrimEnd().Split('\n'));

        // The loader maps the same index (on by default), with the new captions.
        using var pipeline = PipelineFactory.Build(ConfigLoader.Load(_config));
        using var sample = pipeline.Dataset.GetSample(5);
        Assert.StartsWith("new ", sample.Caption);
        Assert.All(EntryValidator.Members(pipeline.Dataset), m => Assert.False(Assert.IsType<EntryIndex>(m.Entries).Built));

        // --rebuild writes each anew; a member with "index": false is named and left alone.
        File.WriteAllText(_config, File.ReadAllText(_config).Replace("\"image_folder\": \"b\"", "\"image_folder\": \"b\", \"index\": false"));
        (code, output, _) = Run("index", _config, "--rebuild");
        Assert.Equal(0, code);
        Assert.Equal([Line("a", 5, "built"), $"{Path.Combine(_dir, "b", "data.json")}: 3 entries, not indexed (index: false)"], output.TrimEnd().Split('\n'));
    }

    [Fact]
    public void AMissingConfigIsOneLine()
    {
        var (code, _, err) = Run("index", Path.Combine(_dir, "nope.json"));
        Assert.Equal(1, code);
        Assert.Single(err.TrimEnd().Split('\n'));
        Assert.Contains("nope.json", err);
    }
}
