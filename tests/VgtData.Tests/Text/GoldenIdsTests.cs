using System.Diagnostics;
using System.Text.Json;
using VgtData.Text;
using Xunit.Abstractions;

namespace VgtData.Tests.Text;

/// <summary>Every golden line: our prompt text and ids equal the Python anchor's (HF tokenizers).</summary>
public class GoldenIdsTests(ITestOutputHelper output)
{
    private sealed record Line(int Number, string Template, string Caption, bool Cfg, string Text, int[] Ids);

    private static List<Line> ReadGolden(string file)
    {
        var path = SharedData.Require($"golden/{file}");
        var lines = new List<Line>();
        int n = 0;
        foreach (var raw in File.ReadLines(path))
        {
            n++;
            if (raw.Length == 0) continue;
            using var doc = JsonDocument.Parse(raw);
            var r = doc.RootElement;
            lines.Add(new Line(n, r.GetProperty("template").GetString()!, r.GetProperty("caption").GetString()!,
                r.GetProperty("cfg").GetBoolean(), r.GetProperty("text").GetString()!,
                r.GetProperty("ids").EnumerateArray().Select(e => e.GetInt32()).ToArray()));
        }
        return lines;
    }

    [SkippableTheory]
    [InlineData("parti-internvl3.jsonl", "internvl3-style", "internvl3")]
    [InlineData("parti-qwen25vl.jsonl", "qwen3", "qwen25vl")]
    public void EveryGoldenLineGivesItsTextAndIds(string file, string tokenizerName, string templateName)
    {
        var lines = ReadGolden(file);
        var tokenizer = TestTokenizers.Get(tokenizerName);
        var template = PromptTemplate.Get(templateName);
        var captions = new CaptionTokenizer(tokenizer, template, maxLength: null);
        Assert.True(lines.Count > 1000, $"{file}: only {lines.Count} lines");

        var failures = new List<string>();
        foreach (var line in lines)
        {
            Assert.Equal(templateName, line.Template);
            var text = template.Build(line.Caption, line.Cfg);
            if (text != line.Text) { failures.Add($"line {line.Number}: text {JsonSerializer.Serialize(text)} != {JsonSerializer.Serialize(line.Text)}"); continue; }
            var ids = captions.Tokenize(line.Caption, line.Cfg);
            if (!ids.SequenceEqual(line.Ids.Select(i => (long)i)))
                failures.Add($"line {line.Number}: ids [{string.Join(",", ids)}] != [{string.Join(",", line.Ids)}] for {JsonSerializer.Serialize(line.Text)}");
        }
        Assert.True(failures.Count == 0, $"{file}: {failures.Count} of {lines.Count} lines differ:\n" + string.Join("\n", failures.Take(20)));
        Assert.Contains(lines, l => l.Cfg);
    }

    [SkippableFact]
    public void EncodeIsThreadSafeAndReportsThroughput()
    {
        var lines = ReadGolden("parti-internvl3.jsonl");
        var tokenizer = TestTokenizers.Get("internvl3-style");
        var texts = lines.Select(l => l.Text).ToArray();

        foreach (var t in texts) tokenizer.Encode(t);   // warm up (JIT, BPE cache)
        const int rounds = 5;
        var sw = Stopwatch.StartNew();
        long tokens = 0;
        for (int r = 0; r < rounds; r++)
            foreach (var t in texts) tokens += tokenizer.Encode(t).Length;
        sw.Stop();
        output.WriteLine($"HfTokenizer internvl3-style, 1 thread: {rounds * texts.Length / sw.Elapsed.TotalSeconds:F0} encodes/s, {tokens / sw.Elapsed.TotalSeconds:F0} tokens/s ({texts.Length} golden prompts x {rounds})");

        var results = new int[texts.Length][];
        sw.Restart();
        for (int r = 0; r < rounds; r++)
            Parallel.For(0, texts.Length, i => results[i] = tokenizer.Encode(texts[i]));
        sw.Stop();
        output.WriteLine($"HfTokenizer internvl3-style, {Environment.ProcessorCount} threads: {rounds * texts.Length / sw.Elapsed.TotalSeconds:F0} encodes/s");
        for (int i = 0; i < texts.Length; i++)
            Assert.True(results[i].SequenceEqual(lines[i].Ids), $"line {lines[i].Number}: parallel encode differs");
    }
}
