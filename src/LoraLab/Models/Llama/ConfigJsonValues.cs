using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace LoraLab.Models.Llama;

/// <summary>
/// Typed reads of <c>config.json</c> values. A JSON null counts as absent (transformers treats <c>"head_dim": null</c>
/// as "use the default"); a value of the wrong type is refused naming the file and key.
/// </summary>
internal static class ConfigJsonValues
{
    public static string? Str(JsonObject o, string key, string path, string? prefix = null)
    {
        var n = o[key];
        if (n is null) return null;
        if (n is JsonValue v && v.TryGetValue(out string? s)) return s;
        throw new LoraLabException($"{path}: '{prefix}{key}' must be a string, got {n.ToJsonString()}.");
    }

    public static bool? Bool(JsonObject o, string key, string path, string? prefix = null)
    {
        var n = o[key];
        if (n is null) return null;
        if (n is JsonValue v && v.TryGetValue(out bool b)) return b;
        throw new LoraLabException($"{path}: '{prefix}{key}' must be true or false, got {n.ToJsonString()}.");
    }

    public static int? Int(JsonObject o, string key, string path, string? prefix = null) =>
        o[key] is null ? null : IntOf(o[key], prefix + key, path);

    /// <summary>An integer that fits in 32 bits; a larger integer is refused as out of range, not as "not an integer".</summary>
    public static int IntOf(JsonNode? n, string key, string path)
    {
        if (n is JsonValue v && v.GetValueKind() == JsonValueKind.Number && v.TryGetValue(out double d) && d == Math.Floor(d))
        {
            if (Math.Abs(d) <= int.MaxValue) return (int)d;
            throw new LoraLabException(
                $"{path}: '{key}' is {d.ToString("R", CultureInfo.InvariantCulture)}, out of range (at most {int.MaxValue}); check the value.");
        }
        throw new LoraLabException($"{path}: '{key}' must be an integer, got {n?.ToJsonString() ?? "null"}.");
    }

    public static double? Num(JsonObject o, string key, string path, string? prefix = null)
    {
        var n = o[key];
        if (n is null) return null;
        if (n is JsonValue v && v.GetValueKind() == JsonValueKind.Number && v.TryGetValue(out double d)) return d;
        throw new LoraLabException($"{path}: '{prefix}{key}' must be a number, got {n.ToJsonString()}.");
    }

    /// <summary>A JSON object, or null when absent or null; any other value is refused.</summary>
    public static JsonObject? Obj(JsonObject o, string key, string path)
    {
        var n = o[key];
        if (n is null) return null;
        return n as JsonObject ?? throw new LoraLabException($"{path}: '{key}' must be an object or null, got {n.ToJsonString()}.");
    }

    public static LoraLabException Missing(string path, string field) => new($"{path}: required field '{field}' is missing.");
}
