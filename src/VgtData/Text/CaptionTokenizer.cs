using VgtData.Manifests;

namespace VgtData.Text;

/// <summary>Caption to <c>input_ids</c>: the prompt template, a tokenizer and max_length, built once and shared by workers.</summary>
public sealed class CaptionTokenizer
{
    private readonly int[]? _suffixIds;   // the template's closing ids, kept by TruncateMode.Caption

    public CaptionTokenizer(ITextTokenizer tokenizer, PromptTemplate template, int? maxLength, TruncateMode truncate = TruncateMode.Ids)
    {
        Tokenizer = tokenizer ?? throw new ArgumentNullException(nameof(tokenizer));
        Template = template ?? throw new ArgumentNullException(nameof(template));
        if (maxLength is <= 0) throw new VgtDataException($"max_length must be positive, got {maxLength}");
        if (!Enum.IsDefined(truncate)) throw new ArgumentOutOfRangeException(nameof(truncate));
        MaxLength = maxLength;
        Truncate = truncate;
        if (maxLength is int max && truncate == TruncateMode.Caption)
        {
            var (prefix, suffix) = template.SplitAroundCaption();
            _suffixIds = tokenizer.Encode(suffix);
            // An empty caption is the shortest prompt; if even that does not fit, no caption cut can help.
            int minimum = tokenizer.Encode(prefix + suffix).Length;
            if (minimum > max)
                throw new VgtDataException(
                    $"max_length {max} is shorter than template '{template.Name}' itself ({minimum} tokens with an empty caption); raise max_length or truncate by ids");
        }
    }

    public ITextTokenizer Tokenizer { get; }
    public PromptTemplate Template { get; }
    public int? MaxLength { get; }
    public TruncateMode Truncate { get; }

    /// <summary>The prompt's ids, at most max_length of them.</summary>
    public long[] Tokenize(string caption, bool cfg)
    {
        RefuseLoneSurrogate(caption);
        var ids = Tokenizer.Encode(Template.Build(caption, cfg));
        int n = ids.Length;
        if (MaxLength is not int max || n <= max) return Widen(ids, n);
        if (_suffixIds is null || cfg) return Widen(ids, max);   // the CFG prompt has no caption to shorten

        // Keep the head (prefix and the caption's first tokens) and then the template's own closing ids.
        var result = new long[max];
        int head = max - _suffixIds.Length;
        for (int i = 0; i < head; i++) result[i] = ids[i];
        for (int i = 0; i < _suffixIds.Length; i++) result[head + i] = _suffixIds[i];
        return result;
    }

    /// <summary>The prompt's length before truncation.</summary>
    public int CountTokens(string caption, bool cfg)
    {
        RefuseLoneSurrogate(caption);
        return Tokenizer.Encode(Template.Build(caption, cfg)).Length;
    }

    /// <summary>Python's tokenizer cannot encode a lone surrogate as UTF-8; encoding it here would silently use U+FFFD.</summary>
    private static void RefuseLoneSurrogate(string caption)
    {
        int at = LoneSurrogates.IndexOf(caption);
        if (at >= 0) throw new VgtDataException($"caption holds a {LoneSurrogates.Describe(caption, at)}, which UTF-8 cannot encode");
    }

    private static long[] Widen(int[] ids, int count)
    {
        var result = new long[count];
        for (int i = 0; i < count; i++) result[i] = ids[i];
        return result;
    }
}
