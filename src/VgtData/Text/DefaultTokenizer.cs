using Microsoft.ML.Tokenizers;

namespace VgtData.Text;

/// <summary>The tokenizer used when none is configured: embedded, so it needs no files.</summary>
internal static class DefaultTokenizer
{
    private const string Encoding = "o200k_base";

    /// <summary>
    /// OpenAI's o200k_base (from Microsoft.ML.Tokenizers.Data.O200kBase) with the template's special tokens registered
    /// as atomic tokens, numbered in the template's order right after the encoding's largest id.
    /// </summary>
    public static ITextTokenizer O200k(PromptTemplate template)
    {
        ArgumentNullException.ThrowIfNull(template);
        var plain = TiktokenTokenizer.CreateForEncoding(Encoding);
        int next = MaxId(plain) + 1;
        var extra = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var token in template.SpecialTokens)
            if (plain.SpecialTokens is null || !plain.SpecialTokens.ContainsKey(token))
                extra[token] = next++;
        var tokenizer = extra.Count == 0 ? plain : TiktokenTokenizer.CreateForEncoding(Encoding, extra);
        return new O200kTokenizer(tokenizer, MaxId(tokenizer) + 1);
    }

    // o200k_base's ranks run to 199997; its own specials are <|endoftext|> 199999 and <|endofprompt|> 200018.
    private const int O200kLastId = 200018;

    private static int MaxId(TiktokenTokenizer t)
    {
        int max = O200kLastId;
        if (t.SpecialTokens is not null) foreach (var id in t.SpecialTokens.Values) max = Math.Max(max, id);
        return max;
    }

    private sealed class O200kTokenizer(TiktokenTokenizer tokenizer, int vocabSize) : ITextTokenizer
    {
        public string Name => Encoding;
        public int VocabSize => vocabSize;

        public int[] Encode(string text)
        {
            ArgumentNullException.ThrowIfNull(text);
            var ids = tokenizer.EncodeToIds(text);
            var result = new int[ids.Count];
            for (int i = 0; i < result.Length; i++) result[i] = ids[i];
            return result;
        }

        public bool TryGetTokenId(string token, out int id)
        {
            if (tokenizer.SpecialTokens is not null && tokenizer.SpecialTokens.TryGetValue(token, out id)) return true;
            // The rank table is not public: a string is a vocabulary entry when it encodes, unsplit, to one id.
            var ids = tokenizer.EncodeToIds(token, considerPreTokenization: false, considerNormalization: false);
            id = ids.Count == 1 ? ids[0] : -1;
            return ids.Count == 1;
        }

        public override string ToString() => Name;
    }
}
