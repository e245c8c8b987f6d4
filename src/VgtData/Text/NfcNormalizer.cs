using System.Text;
using Microsoft.ML.Tokenizers;

namespace VgtData.Text;

/// <summary>The tokenizer.json <c>{"type": "NFC"}</c> normalizer.</summary>
internal sealed class NfcNormalizer : Normalizer
{
    public static NfcNormalizer Instance { get; } = new();

    public override string Normalize(string original) =>
        original.IsNormalized(NormalizationForm.FormC) ? original : original.Normalize(NormalizationForm.FormC);

    public override string Normalize(ReadOnlySpan<char> original) => Normalize(original.ToString());
}
