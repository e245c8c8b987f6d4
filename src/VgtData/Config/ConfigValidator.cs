using VgtData.Sources;
using VgtData.Text;

namespace VgtData.Config;

/// <summary>
/// Checks of a resolved config that look outside it: files and folders exist, the tokenizer knows the template's
/// special tokens as single tokens, <c>pad_index</c> is inside its vocabulary. Missing data (data files, or a tokenizer
/// folder that does not exist yet) is a warning unless strict
/// (configs name data a user may not have downloaded yet); everything else is an error.
/// </summary>
internal static class ConfigValidator
{
    internal const string ShardsWithDataPath = "cannot be combined with data_path: the shards are the entries (give one or the other)";

    public static IReadOnlyList<ConfigIssue> Check(ResolvedConfig config, bool strict)
    {
        var issues = new List<ConfigIssue>(config.Issues);
        var root = config.Settings;
        if (root.Dataset is { } dataset) CheckDataset(config, dataset, "dataset", strict, issues);
        else issues.Add(new ConfigIssue(config.File, "dataset", "no \"dataset\" block: this file can only be the base of a config that has one", IsWarning: true));

        long pad = root.TrainDataloader.CollateFn.PadIndex ?? root.PadIndex;
        string padPath = root.TrainDataloader.CollateFn.PadIndex is null ? "pad_index" : "train_dataloader.collate_fn.pad_index";
        var checkedTokenizers = new HashSet<string>(StringComparer.Ordinal);
        var checkedPairs = new HashSet<string>(StringComparer.Ordinal);
        var leaves = PipelineFactory.Leaves(root).Select(l => (l.Path, l.Text)).ToList();
        if (leaves.Count == 0) leaves.Add(("", PipelineFactory.TextSettings.Of(root)));
        foreach (var (datasetPath, text) in leaves)
        {
            if (text.Tokenizer is null && datasetPath.Length == 0) continue;  // a base file without a tokenizer
            PromptTemplate template;
            try { template = PipelineFactory.LoadTemplate(config, text.Template, text.TemplatePath); }
            catch (ConfigException e) { AddOnce(issues, e.Issues); continue; }
            var folder = PipelineFactory.TokenizerFolder(text.Tokenizer);
            if (folder is not null && !folder.StartsWith("embedded:", StringComparison.Ordinal) && !File.Exists(Path.Combine(folder, "tokenizer.json")))
            {
                if (!checkedTokenizers.Add(folder)) continue;
                // A folder that is not there at all is a model not downloaded yet: missing data, like a data_path.
                bool notDownloaded = !Directory.Exists(folder);
                issues.Add(notDownloaded
                    ? new ConfigIssue(config.SourceOf(text.TokenizerPath), text.TokenizerPath, $"folder '{folder}' does not exist (download the model's tokenizer there){(strict ? "" : "; tokenizer checks skipped")}", IsWarning: !strict)
                    : new ConfigIssue(config.SourceOf(text.TokenizerPath), text.TokenizerPath, $"'{folder}' holds no tokenizer.json"));
                continue;
            }
            if (!checkedPairs.Add((folder ?? "") + "\n" + text.Template.ToJsonString())) continue;
            ITextTokenizer tokenizer;
            try { tokenizer = PipelineFactory.LoadTokenizer(config, text.Tokenizer, text.TokenizerPath, template); }
            catch (ConfigException e) { AddOnce(issues, e.Issues); continue; }
            if (tokenizer is HfTokenizer hf)
            {
                foreach (var special in template.SpecialTokens)
                {
                    if (hf.AddedTokens.ContainsKey(special)) continue;
                    // The image-start token may be plain text (Qwen2.5-VL's tokenizer spells <img> as '<img' '>'); chat markers may not.
                    bool chatMarker = special.StartsWith("<|", StringComparison.Ordinal) && special.EndsWith("|>", StringComparison.Ordinal);
                    AddOnce(issues, [new ConfigIssue(config.SourceOf(text.TokenizerPath), text.TokenizerPath,
                        $"the tokenizer has no special token '{special}' used by prompt template '{template.Name}'" +
                        (chatMarker ? "" : "; it will be tokenized as text"), IsWarning: !chatMarker)]);
                }
            }
            if (pad >= tokenizer.VocabSize)
                AddOnce(issues, [new ConfigIssue(config.SourceOf(padPath), padPath, $"{pad} is outside the tokenizer's vocabulary [0, {tokenizer.VocabSize})")]);
        }
        return issues;
    }

    private static void AddOnce(List<ConfigIssue> issues, IEnumerable<ConfigIssue> add)
    {
        foreach (var issue in add)
            if (!issues.Contains(issue)) issues.Add(issue);
    }

    private static void CheckDataset(ResolvedConfig config, DatasetConfig d, string path, bool strict, List<ConfigIssue> issues)
    {
        if (d.Type == "ConcatDataset")
        {
            for (int i = 0; i < (d.Datasets?.Count ?? 0); i++) CheckDataset(config, d.Datasets![i], $"{path}.datasets[{i}]", strict, issues);
            return;
        }
        void Missing(string key, string what)
        {
            var keyPath = $"{path}.{key}";
            issues.Add(new ConfigIssue(config.SourceOf(keyPath), keyPath, what, IsWarning: !strict));
        }
        // s3:// paths are checked against the endpoint when the pipeline is built (credentials, bucket), not here.
        if (d.DataPath is { } dataPath)
        {
            if (!Storage.S3Location.IsUrl(dataPath) && !File.Exists(dataPath) && !Directory.Exists(dataPath)) Missing("data_path", $"'{dataPath}' does not exist");
        }
        else if (d.Shards is null) issues.Add(new ConfigIssue(config.SourceOf(path), $"{path}.data_path", "is required (or shards: webdataset tar parts)"));
        if (d.Shards is { } shards)
        {
            if (d.DataPath is not null)
                issues.Add(new ConfigIssue(config.SourceOf($"{path}.shards"), $"{path}.shards", ShardsWithDataPath));
            else if (!Storage.S3Location.IsUrl(shards))
            {
                try { ShardPattern.Resolve(Directory.GetCurrentDirectory(), shards); }
                catch (VgtDataException e) { Missing("shards", e.Message); }
            }
        }
        foreach (var (key, folder) in new[] { ("image_folder", d.ImageFolder), ("cap_folder", d.CapFolder), ("image_latents_folder", d.ImageLatentsFolder), ("image_tokens_folder", d.ImageTokensFolder) })
            if (folder is not null && !Storage.S3Location.IsUrl(folder) && !Directory.Exists(folder)) Missing(key, $"folder '{folder}' does not exist");
        if (d.CephConfig is { } cephConfig && !File.Exists(cephConfig)) Missing("ceph_config", $"'{cephConfig}' does not exist");
        if (d.ImageSource?.Parts is { } parts && !Storage.S3Location.IsUrl(parts)
            && (!Directory.Exists(Path.GetDirectoryName(parts)) || TarPartGlob.Expand(Path.GetDirectoryName(parts)!, Path.GetFileName(parts)).Count == 0))
            Missing("image_source.parts", $"no tar parts match '{parts}'");
    }
}
