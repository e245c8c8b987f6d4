using ParquetSharp;
using ParquetSharp.Schema;

namespace VgtData.Tests.Preparation;

/// <summary>Small parquet files shaped as the recipes' downloads (written at test time with ParquetSharp, the library
/// the loader reads them with; the schemas are those pyarrow writes for Hugging Face datasets).</summary>
internal static class ParquetFixtures
{
    /// <summary>One imagenet1k-t2i row: the image cell (<see cref="Image"/> bytes, or <see cref="Base64"/> text when the
    /// part is written as text; null for a null struct) and the conversation turns (null for a null list).</summary>
    public sealed record ImagenetRow(byte[]? Image, (string? From, string? Value)[]? Turns, string? Base64 = null);

    public static ImagenetRow Row(byte[] image, string human, string gpt = "a description") =>
        new(image, [("human", human), ("gpt", gpt)]);

    /// <summary>The csuhan/ImageNet1K-T2I-QwenVL-FLUX layout: <c>image: struct{bytes, path}</c>,
    /// <c>conversations: list&lt;struct{from, value}&gt;</c>; <paramref name="base64"/> makes <c>image.bytes</c> text.</summary>
    public static void WriteImagenet(string path, IReadOnlyList<ImagenetRow> rows, int rowGroup, bool base64 = false)
    {
        var text = LogicalType.String();
        var image = new GroupNode("image", Repetition.Optional, [
            new PrimitiveNode("bytes", Repetition.Optional, base64 ? text : LogicalType.None(), PhysicalType.ByteArray),
            new PrimitiveNode("path", Repetition.Optional, text, PhysicalType.ByteArray)]);
        var element = new GroupNode("element", Repetition.Optional, [
            new PrimitiveNode("from", Repetition.Optional, text, PhysicalType.ByteArray),
            new PrimitiveNode("value", Repetition.Optional, text, PhysicalType.ByteArray)]);
        var conversations = new GroupNode("conversations", Repetition.Optional,
            [new GroupNode("list", Repetition.Repeated, [element])], LogicalType.List());
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using var schema = new GroupNode("schema", Repetition.Required, [image, conversations]);
        using var properties = new WriterPropertiesBuilder().Compression(Compression.Snappy).Build();
        using var writer = new ParquetFileWriter(path, schema, properties);
        for (int start = 0; start < rows.Count; start += rowGroup)
        {
            var group = rows.Skip(start).Take(rowGroup).ToList();
            using var rg = writer.AppendRowGroup();
            if (base64)
                Write(rg, group.Select(r => r.Image is null && r.Base64 is null ? (Nested<string?>?)null : new Nested<string?>(r.Base64 ?? Convert.ToBase64String(r.Image!))));
            else
                Write(rg, group.Select(r => r.Image is null ? (Nested<byte[]?>?)null : new Nested<byte[]?>(r.Image)));
            Write(rg, group.Select((r, i) => r.Image is null ? (Nested<string?>?)null : new Nested<string?>($"{start + i}.jpg")));
            Write(rg, group.Select(r => r.Turns?.Select(t => (Nested<string?>?)new Nested<string?>(t.From)).ToArray()));
            Write(rg, group.Select(r => r.Turns?.Select(t => (Nested<string?>?)new Nested<string?>(t.Value)).ToArray()));
        }
        writer.Close();
    }

    /// <summary>One row of deepghs/midjourney_captioned_23m_full's table-N.parquet (the columns VGT's script reads).</summary>
    public sealed record MidjourneyRow(string? FileName, string? Prompt, long? Width, long? Height);

    public static void WriteMidjourney(string path, IReadOnlyList<MidjourneyRow> rows, int rowGroup)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var columns = new Column[]
        {
            new Column<string?>("filename"), new Column<string?>("prompt"), new Column<long?>("width"), new Column<long?>("height"),
        };
        using var writer = new ParquetFileWriter(path, columns, Compression.Snappy);
        for (int start = 0; start < rows.Count; start += rowGroup)
        {
            var group = rows.Skip(start).Take(rowGroup).ToList();
            using var rg = writer.AppendRowGroup();
            Write(rg, group.Select(r => r.FileName));
            Write(rg, group.Select(r => r.Prompt));
            Write(rg, group.Select(r => r.Width));
            Write(rg, group.Select(r => r.Height));
        }
        writer.Close();
    }

    private static void Write<T>(RowGroupWriter rg, IEnumerable<T> values)
    {
        using var column = rg.NextColumn().LogicalWriter<T>();
        column.WriteBatch(values.ToArray());
    }
}
