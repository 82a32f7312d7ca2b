using System.Text.Json;

namespace LoraLab.Reports;

/// <summary>
/// Reads and writes <see cref="ReportData"/> as JSON with snake_case names (run_id, learning_rate, tokens_seen, …).
/// Loading validates: a missing required field, a null where a value is needed or a bad value throws
/// <see cref="LoraLabException"/> naming the file and field.
/// </summary>
public static class ReportJson
{
    /// <summary><see cref="JsonFormats.SnakeCase"/>, reading strictly: a null where the type has no null is an error.</summary>
    public static readonly JsonSerializerOptions Options = new(JsonFormats.SnakeCase) { RespectNullableAnnotations = true };

    public static string Serialize(ReportData data) => JsonSerializer.Serialize(data, Options);

    public static void Save(ReportData data, string path) => AtomicFile.WriteAllText(path, Serialize(data) + "\n");

    /// <summary>Parses and validates; <paramref name="source"/> names the input in error messages.</summary>
    public static ReportData Parse(string json, string source)
    {
        ReportData? data;
        try
        {
            data = JsonSerializer.Deserialize<ReportData>(json, Options);
        }
        catch (JsonException e)
        {
            string where = e.Path is { Length: > 0 } p ? $" at {p}" : "";
            string line = e.LineNumber is { } l ? $" (line {l + 1})" : "";
            throw new LoraLabException($"{source}: invalid report JSON{where}{line}: {e.Message.ReplaceLineEndings(" ")}", e);
        }
        if (data is null) throw new LoraLabException($"{source}: the JSON is null; expected an object with title, target, forgetting and runs.");
        ReportValidator.Validate(data, source);
        return data;
    }

    public static ReportData Load(string path)
    {
        if (!File.Exists(path)) throw new LoraLabException($"{path}: report data file not found; write the study's results JSON first.");
        return Parse(File.ReadAllText(path), path);
    }
}
