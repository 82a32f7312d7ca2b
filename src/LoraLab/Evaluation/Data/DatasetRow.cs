using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace LoraLab.Evaluation.Data;

/// <summary>
/// One row of a dataset file (a JSONL line or a Parquet row) with where it came from, so that every error names
/// <c>file:line</c> and the field. Accessors throw <see cref="LoraLabException"/> for a missing field or a wrong type.
/// </summary>
public sealed class DatasetRow
{
    public DatasetRow(JsonObject data, string file, long line)
    {
        Data = data;
        File = file;
        Line = line;
    }

    /// <summary>The row's fields.</summary>
    public JsonObject Data { get; }

    /// <summary>The file the row was read from.</summary>
    public string File { get; }

    /// <summary>1-based line number (JSONL) or row number (Parquet).</summary>
    public long Line { get; }

    /// <summary>"file:line" for messages.</summary>
    public string Where => $"{File}:{Line}";

    public bool Has(string field) => Data.TryGetPropertyValue(field, out var node) && node is not null;

    public string GetString(string field) => AsString(Require(field), field);

    /// <summary>An integer given as a JSON number or as a string of digits (HF stores some labels as strings).</summary>
    public int GetIntOrIntString(string field)
    {
        var node = Require(field);
        if (node is JsonValue v)
        {
            if (v.TryGetValue(out int i)) return i;
            if (v.TryGetValue(out long l) && l is >= int.MinValue and <= int.MaxValue) return (int)l;
            if (v.TryGetValue(out double d) && d == Math.Floor(d) && Math.Abs(d) < int.MaxValue) return (int)d;
            if (v.TryGetValue(out string? s) && int.TryParse(s.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out int p)) return p;
        }
        throw Error(field, $"must be an integer or a string holding one, got {Describe(node)}");
    }

    public JsonObject GetObject(string field) =>
        Require(field) as JsonObject ?? throw Error(field, $"must be an object, got {Describe(Data[field])}");

    public JsonArray GetArray(string field) =>
        Require(field) as JsonArray ?? throw Error(field, $"must be a list, got {Describe(Data[field])}");

    /// <summary>A list of strings (e.g. HellaSwag's endings).</summary>
    public IReadOnlyList<string> GetStringList(string field) => StringList(GetArray(field), field);

    /// <summary>A list of strings nested in an object field, e.g. <c>choices.text</c> of HF ARC.</summary>
    public IReadOnlyList<string> GetStringList(string objectField, string listField)
    {
        var obj = GetObject(objectField);
        string name = objectField + "." + listField;
        if (!obj.TryGetPropertyValue(listField, out var node) || node is null) throw Error(name, "is missing");
        return StringList(node as JsonArray ?? throw Error(name, $"must be a list, got {Describe(node)}"), name);
    }

    /// <summary>Builds the standard error for this row: "file:line: field 'x' …".</summary>
    public LoraLabException Error(string field, string problem) =>
        new($"{Where}: field '{field}' {problem}; fix the row or point to a file in the expected schema");

    /// <summary>Reads a string from any node of this row (for nested values), with a field name for errors.</summary>
    public string AsString(JsonNode? node, string field)
    {
        if (node is JsonValue v && v.GetValueKind() == JsonValueKind.String) return v.GetValue<string>();
        throw Error(field, node is null ? "is missing" : $"must be a string, got {Describe(node)}");
    }

    private JsonNode Require(string field)
    {
        if (!Data.TryGetPropertyValue(field, out var node) || node is null) throw Error(field, "is missing");
        return node;
    }

    private IReadOnlyList<string> StringList(JsonArray array, string field)
    {
        var list = new List<string>(array.Count);
        for (int i = 0; i < array.Count; i++) list.Add(AsString(array[i], $"{field}[{i}]"));
        return list;
    }

    private static string Describe(JsonNode? node) => node switch
    {
        null => "null",
        JsonObject => "an object",
        JsonArray => "a list",
        JsonValue v => v.GetValueKind() switch
        {
            JsonValueKind.String => "a string",
            JsonValueKind.Number => "a number",
            JsonValueKind.True or JsonValueKind.False => "a boolean",
            _ => v.GetValueKind().ToString(),
        },
        _ => node.GetType().Name,
    };
}
