using System.Collections;
using System.Globalization;
using System.Text.Json.Nodes;
using Parquet;
using Parquet.Schema;
using Parquet.Serialization;

namespace LoraLab.Data;

/// <summary>
/// The one reader of Parquet files (Hugging Face <c>datasets</c> exports). Rows are numbered from 1 across row groups.
/// <see cref="ReadStringColumns"/> streams only the asked top-level string columns one row group at a time (training
/// data); <see cref="ReadObjects"/> turns every column of every row into JSON nodes (small task files), so tasks read
/// Parquet and JSONL through the same accessors. A file that does not parse → "file: cannot read as Parquet".
/// </summary>
public static class ParquetFile
{
    /// <summary>
    /// The named string columns of every row. A missing column or a column that is not a plain string column fails for
    /// the whole file (row 1); a null value is a bad row (counted instead of thrown with <paramref name="skipBadRows"/>).
    /// </summary>
    public static FieldRows ReadStringColumns(string path, IReadOnlyList<string> fields, bool skipBadRows) =>
        Guarded(path, () => ReadStringColumnsAsync(path, fields, skipBadRows).GetAwaiter().GetResult());

    /// <summary>Every row as a JSON object: strings, numbers, booleans, lists and structs become the matching JSON nodes.</summary>
    public static IReadOnlyList<JsonObject> ReadObjects(string path)
    {
        var data = Guarded(path, () =>
        {
            using var stream = File.OpenRead(path);
            return ParquetSerializer.DeserializeUntypedAsync(stream).GetAwaiter().GetResult().Data;
        });
        return data.Select(row => ToObject((IDictionary<string, object?>)row!)).ToList();
    }

    private static T Guarded<T>(string path, Func<T> read)
    {
        if (!File.Exists(path)) throw new LoraLabException($"{path}: file not found; pass the path of a .parquet file");
        try
        {
            return read();
        }
        catch (Exception e) when (e is not LoraLabException and not OutOfMemoryException)
        {
            throw new LoraLabException($"{path}: cannot read as Parquet ({e.Message}); pass a valid .parquet file", e);
        }
    }

    private static async Task<FieldRows> ReadStringColumnsAsync(string path, IReadOnlyList<string> fields, bool skipBadRows)
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
            throw new LoraLabException($"{path}:1: field '{name}' is missing (the file's columns: {string.Join(", ", schema.Fields.Select(f => f.Name))}); "
                + "name the column in data.text_field / prompt_field / response_field");
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

    private static JsonNode? ToNode(object? value) => value switch
    {
        null => null,
        string s => JsonValue.Create(s),
        ReadOnlyMemory<char> chars => JsonValue.Create(chars.ToString()),
        ReadOnlyMemory<byte> raw => JsonValue.Create(Convert.ToBase64String(raw.Span)),
        bool b => JsonValue.Create(b),
        byte or sbyte or short or ushort or int or uint or long => JsonValue.Create(Convert.ToInt64(value, CultureInfo.InvariantCulture)),
        ulong u => JsonValue.Create(u),
        float f => JsonValue.Create((double)f),
        double d => JsonValue.Create(d),
        decimal m => JsonValue.Create(m),
        DateTime t => JsonValue.Create(t),
        DateTimeOffset t => JsonValue.Create(t),
        byte[] bytes => JsonValue.Create(Convert.ToBase64String(bytes)),
        IDictionary<string, object?> dict => ToObject(dict),
        IDictionary dict => ToObject(dict),
        IEnumerable list => ToArray(list),
        _ => JsonValue.Create(Convert.ToString(value, CultureInfo.InvariantCulture)),
    };

    private static JsonObject ToObject(IDictionary<string, object?> dict)
    {
        var obj = new JsonObject();
        foreach (var (key, value) in dict) obj[key] = ToNode(value);
        return obj;
    }

    private static JsonObject ToObject(IDictionary dict)
    {
        var obj = new JsonObject();
        foreach (DictionaryEntry entry in dict) obj[Convert.ToString(entry.Key, CultureInfo.InvariantCulture) ?? ""] = ToNode(entry.Value);
        return obj;
    }

    private static JsonArray ToArray(IEnumerable list)
    {
        var array = new JsonArray();
        foreach (var item in list) array.Add(ToNode(item));
        return array;
    }
}
