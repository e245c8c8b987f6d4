using System.Text.Json.Nodes;
using VgtData.Sources;
using VgtData.Text;

namespace VgtData.Config;

/// <summary>
/// Checks of a resolved config that look outside it: files and folders exist, the tokenizer knows the template's
/// special tokens as single tokens, <c>pad_index</c> is inside its vocabulary. Missing data (data files, or a tokenizer
/// folder that does not exist yet) is a warning unless strict
/// (configs name data a user may not have downloaded yet); everything else is an error.
/// </summary>
public static class ConfigValidator
{
    public static IReadOnlyList<ConfigIssue> Check(ResolvedConfig config, bool strict)
    {
        var issues = new List<ConfigIssue>(config.Issues);
        var root = new ConfigSection(config.Root);
        bool tokenizerNotDownloaded = false;
        if (root.String("tokenizer") is { } tok && !File.Exists(Path.Combine(tok, "tokenizer.json")))
        {
            // A folder that is not there at all is a model not downloaded yet: missing data, like a data_path.
            tokenizerNotDownloaded = !Directory.Exists(tok);
            issues.Add(tokenizerNotDownloaded
                ? new ConfigIssue(config.SourceOf("tokenizer"), "tokenizer", $"folder '{tok}' does not exist (download the model's tokenizer there){(strict ? "" : "; tokenizer checks skipped")}", IsWarning: !strict)
                : new ConfigIssue(config.SourceOf("tokenizer"), "tokenizer", $"'{tok}' holds no tokenizer.json"));
        }
        if (config.Node("dataset") is JsonObject dataset) CheckDataset(config, dataset, "dataset", strict, issues);
        else issues.Add(new ConfigIssue(config.File, "dataset", "no \"dataset\" block: this file can only be the base of a config that has one", IsWarning: true));

        if (issues.Any(i => !i.IsWarning && i.KeyPath == "tokenizer")) return issues;
        if (tokenizerNotDownloaded)
        {
            try { PipelineFactory.LoadTemplate(config); }
            catch (ConfigException e) { issues.AddRange(e.Issues); }
            return issues;
        }
        PromptTemplate template;
        ITextTokenizer tokenizer;
        try
        {
            template = PipelineFactory.LoadTemplate(config);
            tokenizer = PipelineFactory.LoadTokenizer(config, template);
        }
        catch (ConfigException e)
        {
            issues.AddRange(e.Issues);
            return issues;
        }
        if (tokenizer is HfTokenizer hf)
        {
            foreach (var special in template.SpecialTokens)
            {
                if (hf.AddedTokens.ContainsKey(special)) continue;
                // The image-start token may be plain text (Qwen2.5-VL's tokenizer spells <img> as '<img' '>'); chat markers may not.
                bool chatMarker = special.StartsWith("<|", StringComparison.Ordinal) && special.EndsWith("|>", StringComparison.Ordinal);
                issues.Add(new ConfigIssue(config.SourceOf("tokenizer"), "tokenizer",
                    $"the tokenizer has no special token '{special}' used by prompt template '{template.Name}'" +
                    (chatMarker ? "" : "; it will be tokenized as text"), IsWarning: !chatMarker));
            }
        }
        if (root.Int("pad_index") is int pad && (pad < 0 || pad >= tokenizer.VocabSize))
            issues.Add(new ConfigIssue(config.SourceOf("pad_index"), "pad_index", $"{pad} is outside the tokenizer's vocabulary [0, {tokenizer.VocabSize})"));
        return issues;
    }

    private static void CheckDataset(ResolvedConfig config, JsonObject d, string path, bool strict, List<ConfigIssue> issues)
    {
        var s = new ConfigSection(d);
        if (s.String("type") == "ConcatDataset")
        {
            if (d["datasets"] is JsonArray list)
                for (int i = 0; i < list.Count; i++)
                    if (list[i] is JsonObject member) CheckDataset(config, member, $"{path}.datasets[{i}]", strict, issues);
            return;
        }
        void Missing(string key, string what)
        {
            var keyPath = $"{path}.{key}";
            issues.Add(new ConfigIssue(config.SourceOf(keyPath), keyPath, what, IsWarning: !strict));
        }
        // s3:// paths are checked against the endpoint when the pipeline is built (credentials, bucket), not here.
        if (s.String("data_path") is { } dataPath)
        {
            if (!Storage.S3Location.IsUrl(dataPath) && !File.Exists(dataPath) && !Directory.Exists(dataPath)) Missing("data_path", $"'{dataPath}' does not exist");
        }
        else issues.Add(new ConfigIssue(config.SourceOf(path), $"{path}.data_path", "is required"));
        foreach (var key in new[] { "image_folder", "cap_folder", "image_latents_folder", "image_tokens_folder" })
            if (s.String(key) is { } folder && !Storage.S3Location.IsUrl(folder) && !Directory.Exists(folder)) Missing(key, $"folder '{folder}' does not exist");
        if (s.String("ceph_config") is { } cephConfig && !File.Exists(cephConfig)) Missing("ceph_config", $"'{cephConfig}' does not exist");
        if (s.Section("image_source").String("parts") is { } parts && !Storage.S3Location.IsUrl(parts)
            && (!Directory.Exists(Path.GetDirectoryName(parts)) || TarPartGlob.Expand(Path.GetDirectoryName(parts)!, Path.GetFileName(parts)).Count == 0))
            Missing("image_source.parts", $"no tar parts match '{parts}'");
    }
}
