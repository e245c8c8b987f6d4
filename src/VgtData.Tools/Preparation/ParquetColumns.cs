using ParquetSharp;

namespace VgtData.Preparation;

/// <summary>Reading the columns VGT's pandas scripts read (<c>pd.read_parquet</c>, then <c>row['name']</c>) one row
/// group at a time: text, numbers (any integer or float type, nulls kept), and the flattened leaves of a list of
/// structs. A missing column or one of another type is a <see cref="VgtDataException"/> naming the file.</summary>
internal static class ParquetColumns
{
    /// <summary>The index of the leaf column whose dotted path <paramref name="matches"/>, or -1.</summary>
    public static int Find(ParquetFileReader reader, Func<string, bool> matches)
    {
        var schema = reader.FileMetaData.Schema;
        for (int i = 0; i < schema.NumColumns; i++)
        {
            using var path = schema.Column(i).Path;
            if (matches(path.ToDotString())) return i;
        }
        return -1;
    }

    public static int Require(ParquetFileReader reader, string file, string name, Func<string, bool>? matches = null)
    {
        int i = Find(reader, matches ?? (p => p == name));
        return i >= 0 ? i : throw new VgtDataException($"{file}: no column {name}");
    }

    /// <summary>Runs <paramref name="read"/> over one file: a damaged page (bad compressed data, a cut-short chunk) stops
    /// the run with one line naming the file, not an internal error.</summary>
    public static T Guard<T>(string file, Func<T> read)
    {
        try
        {
            return read();
        }
        catch (ParquetException e)
        {
            throw new VgtDataException($"{file}: damaged parquet data ({VgtData.Sources.ParquetImageSource.Reason(e)}); download the part again");
        }
    }

    public static string?[] Strings(RowGroupReader group, int column, string file)
    {
        RequireType(group, column, file, PhysicalType.ByteArray, "text");
        using var reader = group.Column(column).LogicalReader<string?>();
        return reader.ReadAll(checked((int)group.MetaData.NumRows));
    }

    /// <summary>Numbers as doubles (int64 values past 2^53 do not occur as image sizes); null where the cell is null.</summary>
    public static double?[] Numbers(RowGroupReader group, int column, string file)
    {
        int rows = checked((int)group.MetaData.NumRows);
        using var col = group.Column(column);
        bool nullable = col.ColumnDescriptor.MaxDefinitionLevel > 0;
        return col.Type switch
        {
            PhysicalType.Int32 => nullable ? Read<int?>(col, rows, v => v) : Read<int>(col, rows, v => v),
            PhysicalType.Int64 => nullable ? Read<long?>(col, rows, v => v) : Read<long>(col, rows, v => v),
            PhysicalType.Float => nullable ? Read<float?>(col, rows, v => v) : Read<float>(col, rows, v => v),
            PhysicalType.Double => nullable ? Read<double?>(col, rows, v => v) : Read<double>(col, rows, v => v),
            var t => throw new VgtDataException($"{file}: column {Name(group, column)} is {t}, not a number"),
        };
    }

    /// <summary>One leaf of a list of structs, flattened: per row the list (null for a null list), a null item where the
    /// struct or the field is null.</summary>
    public static string?[]?[] StringLists(RowGroupReader group, int column, string file)
    {
        RequireType(group, column, file, PhysicalType.ByteArray, "text");
        using var reader = group.Column(column).LogicalReader<string?[]?>();
        return reader.ReadAll(checked((int)group.MetaData.NumRows));
    }

    private static double?[] Read<T>(ColumnReader col, int rows, Func<T, double?> convert)
    {
        using var reader = col.LogicalReader<T>();
        return reader.ReadAll(rows).Select(convert).ToArray();
    }

    private static void RequireType(RowGroupReader group, int column, string file, PhysicalType type, string what)
    {
        var descriptor = group.MetaData.Schema.Column(column);
        if (descriptor.PhysicalType != type)
            throw new VgtDataException($"{file}: column {Name(group, column)} is {descriptor.PhysicalType}, not {what}");
    }

    private static string Name(RowGroupReader group, int column)
    {
        using var path = group.MetaData.Schema.Column(column).Path;
        return path.ToDotString();
    }
}
