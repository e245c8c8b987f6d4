namespace VgtData.Text;

/// <summary>Text to token ids. Implementations are built once and are safe to call from many threads.</summary>
public interface ITextTokenizer
{
    /// <summary>Token ids of <paramref name="text"/>, added/special tokens matched atomically, no BOS/EOS added.</summary>
    int[] Encode(string text);

    /// <summary>One more than the largest id the tokenizer can produce.</summary>
    int VocabSize { get; }

    /// <summary>The id of an added/special token, or of a vocabulary entry spelled as stored in the vocabulary.</summary>
    bool TryGetTokenId(string token, out int id);

    string Name { get; }
}
