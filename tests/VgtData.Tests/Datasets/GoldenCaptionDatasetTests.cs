using System.Text.Json;
using VgtData.Datasets;
using VgtData.Tests.Fixtures;
using VgtData.Tests.Text;
using VgtData.Text;

namespace VgtData.Tests.Datasets;

/// <summary>The dataset's input_ids against the golden ids of ../shared (Qwen3 tokenizer, Qwen2.5-VL template).</summary>
public sealed class GoldenCaptionDatasetTests : IDisposable
{
    private readonly TestImages _dir = new();

    public void Dispose() => _dir.Dispose();

    [SkippableFact]
    public void InputIdsMatchTheGoldenIdsForCaptionsAndCfg()
    {
        var golden = SharedData.Require("golden/parti-qwen25vl.jsonl");
        var template = PromptTemplate.Get("qwen25vl");
        var text = new CaptionTokenizer(TestTokenizers.Get("qwen3"), template, maxLength: null);
        var lines = File.ReadLines(golden).Take(60).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        var captions = lines.Where(l => !l.GetProperty("cfg").GetBoolean()).Take(20).ToList();
        var cfgIds = lines.First(l => l.GetProperty("cfg").GetBoolean()).GetProperty("ids").EnumerateArray().Select(x => x.GetInt64()).ToArray();

        _dir.WriteNoisePng("one.png", 96, 96, 1);
        _dir.WriteManifest("data.json", captions.Select(c => (object)new { image = "one.png", caption = c.GetProperty("caption").GetString() }));
        using var plain = new CaptionDataset(_dir.Options() with { Text = text, Unconditional = 0 });
        using var cfg = new CaptionDataset(_dir.Options() with { Text = text, Unconditional = 1 });
        for (int i = 0; i < captions.Count; i++)
        {
            using var s = plain.GetSample(i);
            Assert.Equal(captions[i].GetProperty("ids").EnumerateArray().Select(x => x.GetInt64()), s.InputIds);
            using var u = cfg.GetSample(i);
            Assert.Equal(cfgIds, u.InputIds);
        }
    }
}
