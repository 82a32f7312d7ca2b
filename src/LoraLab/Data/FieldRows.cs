namespace LoraLab.Data;

/// <summary>The string fields read from a data file: one array per good row (fields in the order asked) and the skipped rows.</summary>
/// <param name="Rows">Good rows.</param>
/// <param name="BadRows">Rows skipped as malformed (only with skip_bad_rows).</param>
/// <param name="FirstBadRow">The first skipped row's message, or null.</param>
public sealed record FieldRows(List<string[]> Rows, int BadRows, string? FirstBadRow)
{
    /// <summary>
    /// Reads the named string fields of every row of a <c>.parquet</c> file (<see cref="ParquetFile"/>) or,
    /// for any other extension, a JSON Lines file (<see cref="JsonlReader"/>).
    /// </summary>
    public static FieldRows Read(string path, IReadOnlyList<string> fields, bool skipBadRows) =>
        path.EndsWith(".parquet", StringComparison.OrdinalIgnoreCase)
            ? ParquetFile.ReadStringColumns(path, fields, skipBadRows)
            : JsonlReader.ReadFields(path, fields, skipBadRows);
}
