namespace VgtData.Text;

/// <summary>How <see cref="CaptionTokenizer"/> shortens a prompt longer than max_length.</summary>
public enum TruncateMode
{
    /// <summary>Keep the first max_length ids, like the anchor's <c>tokenizer(..., truncation=True, max_length=N)</c>.</summary>
    Ids,

    /// <summary>Shorten only the caption's ids, so the template's closing ids (end of turn, assistant header, image start) survive.</summary>
    Caption,
}
