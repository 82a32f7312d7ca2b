using Parquet;
using Parquet.Schema;

namespace LoraLab.Data;

/// <summary>
/// Reads top-level string columns of a Parquet file (a Hugging Face <c>datasets</c> export: <c>text</c>, or
/// prompt/response columns) one row group at a time, reading only the asked columns — unlike the evaluation's
/// <c>ParquetRowReader</c>, which turns every column of every row into JSON and is meant for small task files.
/// Rows are numbered from 1 across row groups (as <c>ParquetRowReader</c>). A missing column or a column that is not
/// a plain string column fails for the whole file (row 1); a null value is a bad row (skippable with skip_bad_rows).
/// </summary>
public static class ParquetStringColumns
{
    public static FieldRows Read(string path, IReadOnlyList<string> fields, bool skipBadRows)
    {
        if (!File.Exists(path)) throw new LoraLabException($"{path}: data file not found");
        try
        {
            return ReadAsync(path, fields, skipBadRows).GetAwaiter().GetResult();
        }
        catch (Exception e) when (e is not LoraLabException and not OutOfMemoryException)
        {
            throw new LoraLabException($"{path}: cannot read as Parquet ({e.Message}); pass a valid .parquet file", e);
        }
    }

    private static async Task<FieldRows> ReadAsync(string path, IReadOnlyList<string> fields, bool skipBadRows)
    {
        using var stream = File.OpenRead(path);
        await using var reader = await ParquetReader.CreateAsync(stream);
        var columns = fields.Select(f => Column(reader.Schema, f, path)).ToArray();
        var rows = new List<string[]>();
        int bad = 0;
        string? firstBad = null;
        long rowNo = 0;
        for (int g = 0; g < reader.RowGroupCount; g++)
        {
            using var group = reader.OpenRowGroupReader(g);
            int n = checked((int)group.RowCount);
            var values = new string?[columns.Length][];
            for (int c = 0; c < columns.Length; c++)
            {
                values[c] = new string?[n];
                await group.ReadAsync(columns[c], values[c].AsMemory()!, null);
            }
            for (int r = 0; r < n; r++)
            {
                rowNo++;
                int nullAt = Array.FindIndex(values, v => v[r] is null);
                if (nullAt < 0)
                {
                    rows.Add(values.Select(v => v[r]!).ToArray());
                    continue;
                }
                string message = $"{path}:{rowNo}: field '{fields[nullAt]}' is null, expected a string";
                if (!skipBadRows) throw new LoraLabException(message + " (fix the row, or set data.skip_bad_rows: true to skip such rows)");
                bad++;
                firstBad ??= message;
            }
        }
        return new FieldRows(rows, bad, firstBad);
    }

    private static DataField Column(ParquetSchema schema, string name, string path)
    {
        var field = schema.Fields.FirstOrDefault(f => f.Name == name);
        if (field is null)
            throw new LoraLabException($"{path}:1: field '{name}' is missing (the file's columns: {string.Join(", ", schema.Fields.Select(f => f.Name))}); name the column in data.text_field / prompt_field / response_field");
        if (field is not DataField data || (data.ClrType != typeof(string) && data.ClrType != typeof(ReadOnlyMemory<char>)) || data.IsArray)
            throw new LoraLabException($"{path}:1: field '{name}' is a {Describe(field)} column, expected a string column; name a string column of the file");
        return data;
    }

    private static string Describe(Field field) => field switch
    {
        ListField => "list",
        StructField => "struct",
        MapField => "map",
        DataField { IsArray: true } => "list",
        DataField d => d.ClrType.Name,
        _ => field.SchemaType.ToString(),
    };
}
