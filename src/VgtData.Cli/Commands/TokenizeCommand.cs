using System.Text;
using System.Text.Json;
using VgtData.Text;
using VgtData.Manifests;

namespace VgtData.Cli.Commands;

/// <summary>Captions in, input_ids out: the text stage on its own, for checking ids against the Python anchor.</summary>
[Option("tokenizer", "DIR", "the embedded o200k tokenizer", "folder holding a Hugging Face tokenizer.json")]
[Option("template", "NAME|FILE", null, "prompt template: a built-in name (qwen25vl, internvl3) or a template file")]
[Option("max-length", "N", "no limit", "keep at most N ids")]
[Option("truncate", "ids|caption", "ids", "what max-length cuts: the ids' tail, or the caption keeping the template's closing ids")]
public sealed class TokenizeCommand : ICommand
{
    public string Name => "tokenize";
    public string Summary => "stdin JSONL {\"caption\", \"cfg\"} -> stdout JSONL {\"input_ids\"} through a prompt template";
    public string Usage => "tokenize [--tokenizer DIR] --template NAME|FILE [--max-length N] [--truncate ids|caption]";

    public int Run(CommandArgs args, CliContext context)
    {
        var tokenizerDir = args.Option("tokenizer");
        var template = PromptTemplate.Load(args.Required("template"));
        var maxText = args.Option("max-length");
        int? maxLength = maxText is null ? null : args.Int("max-length", 0);
        if (maxLength is <= 0) throw new UsageException($"--max-length must be positive, got {maxText}");
        var truncate = args.Option("truncate") switch
        {
            null or "ids" => TruncateMode.Ids,
            "caption" => TruncateMode.Caption,
            var other => throw new UsageException($"--truncate expects ids or caption, got '{other}'"),
        };
        args.RejectUnknown();
        if (args.Positionals.Count > 0) throw new UsageException($"unexpected argument '{args.Positionals[0]}'");

        ITextTokenizer tokenizer = tokenizerDir is null ? DefaultTokenizer.O200k(template) : HfTokenizer.Load(tokenizerDir);
        var captions = new CaptionTokenizer(tokenizer, template, maxLength, truncate);

        var sb = new StringBuilder();
        int lineNumber = 0;
        string? line;
        while ((line = context.In.ReadLine()) is not null)
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            var (caption, cfg) = Parse(line, lineNumber);
            var ids = captions.Tokenize(caption, cfg);
            sb.Clear().Append("{\"input_ids\":[");
            for (int i = 0; i < ids.Length; i++)
            {
                if (i > 0) sb.Append(',');
                sb.Append(ids[i]);
            }
            sb.Append("]}");
            context.Out.WriteLine(sb.ToString());
        }
        context.Out.Flush();
        return 0;
    }

    private static (string Caption, bool Cfg) Parse(string line, int lineNumber)
    {
        try
        {
            using var doc = JsonDocument.Parse(line);
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                throw new VgtDataException($"stdin line {lineNumber}: expected a JSON object, got {root.ValueKind}");
            if (!root.TryGetProperty("caption", out var c) || c.ValueKind != JsonValueKind.String)
                throw new VgtDataException($"stdin line {lineNumber}: \"caption\" must be a string");
            bool cfg = false;
            if (root.TryGetProperty("cfg", out var f))
                cfg = f.ValueKind switch
                {
                    JsonValueKind.True => true,
                    JsonValueKind.False or JsonValueKind.Null => false,
                    _ => throw new VgtDataException($"stdin line {lineNumber}: \"cfg\" must be true or false"),
                };
            var caption = ReadString(c);
            int at = LoneSurrogates.IndexOf(caption);
            if (at >= 0)
                throw new VgtDataException($"stdin line {lineNumber}: \"caption\" holds a {LoneSurrogates.Describe(caption, at)}, which UTF-8 cannot encode");
            return (caption, cfg);
        }
        catch (JsonException e)
        {
            throw new VgtDataException($"stdin line {lineNumber}: not valid JSON ({e.Message})", e);
        }
    }

    /// <summary>The string as Python's json.loads reads it: a lone \ud800 escape is kept, not refused by the JSON reader.</summary>
    private static string ReadString(JsonElement value)
    {
        try
        {
            return value.GetString()!;
        }
        catch (InvalidOperationException)
        {
            return LoneSurrogates.UnescapeJson(Encoding.UTF8.GetBytes(value.GetRawText()[1..^1]));
        }
    }
}
