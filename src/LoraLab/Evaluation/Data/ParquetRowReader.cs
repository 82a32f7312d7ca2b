using System.Collections;
using System.Globalization;
using System.Text.Json.Nodes;
using Parquet.Serialization;

namespace LoraLab.Evaluation.Data;

/// <summary>
/// Reads a Parquet file (as exported by Hugging Face <c>datasets</c>) into rows: strings, numbers, booleans, lists
/// and structs become the corresponding JSON nodes, so tasks read Parquet and JSONL through the same accessors.
/// Row numbers are 1-based across row groups.
/// </summary>
public static class ParquetRowReader
{
    public static IReadOnlyList<DatasetRow> Read(string path)
    {
        if (!File.Exists(path)) throw new LoraLabException($"{path}: file not found; pass the path of a .parquet file");
        IList<Dictionary<string, object>> data;
        try
        {
            using var stream = File.OpenRead(path);
            var result = ParquetSerializer.DeserializeUntypedAsync(stream).GetAwaiter().GetResult();
            data = result.Data;
        }
        catch (Exception e) when (e is not LoraLabException and not OutOfMemoryException)
        {
            throw new LoraLabException($"{path}: cannot read as Parquet ({e.Message}); pass a valid .parquet file", e);
        }
        var rows = new List<DatasetRow>(data.Count);
        for (int i = 0; i < data.Count; i++)
        {
            var obj = new JsonObject();
            foreach (var (key, value) in data[i]) obj[key] = ToNode(value);
            rows.Add(new DatasetRow(obj, path, i + 1));
        }
        return rows;
    }

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
