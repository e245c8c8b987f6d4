using System.Text;
using VgtData.Storage;
using Xunit;

namespace VgtData.Tests.Storage;

/// <summary>
/// Annotations are decoded from their pooled buffer without a stream (RegularFile.Decode); the text must be exactly what
/// a StreamReader that honours byte-order marks gives, for every mark and for damaged UTF-8.
/// </summary>
public sealed class TextDecodeTests
{
    public static TheoryData<string, byte[]> Inputs() => new()
    {
        { "empty", [] },
        { "one byte", [(byte)'a'] },
        { "plain", Encoding.UTF8.GetBytes("{\"caption\": \"a cat — on a mat 猫\"}") },
        { "utf-8 mark", [0xEF, 0xBB, 0xBF, .. Encoding.UTF8.GetBytes("caption é")] },
        { "utf-8 mark only", [0xEF, 0xBB, 0xBF] },
        { "utf-16 le mark", [0xFF, 0xFE, .. Encoding.Unicode.GetBytes("caption é")] },
        { "utf-16 be mark", [0xFE, 0xFF, .. Encoding.BigEndianUnicode.GetBytes("caption é")] },
        { "utf-32 le mark", [0xFF, 0xFE, 0x00, 0x00, .. new UTF32Encoding(false, false).GetBytes("caption")] },
        { "utf-32 be mark", [0x00, 0x00, 0xFE, 0xFF, .. new UTF32Encoding(true, false).GetBytes("caption")] },
        { "invalid utf-8", [(byte)'a', 0xC3, (byte)'b', 0xE2, 0x82, 0xFF, 0xF0, 0x9F, 0x98] },
        { "leading 0xFE alone", [0xFE, (byte)'x'] },
        { "leading zeros, no mark", [0x00, 0x00, (byte)'x'] },
    };

    [Theory]
    [MemberData(nameof(Inputs))]
    public void DecodeEqualsAStreamReaderHonouringMarks(string name, byte[] bytes)
    {
        using var reader = new StreamReader(new MemoryStream(bytes), Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
        var expected = reader.ReadToEnd();
        Assert.True(expected == RegularFile.Decode(bytes), name);
    }
}
