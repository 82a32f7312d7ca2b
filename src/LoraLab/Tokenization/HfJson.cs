using System.Text.Json;
using System.Text.RegularExpressions;

namespace LoraLab.Tokenization;

/// <summary>Small helpers for reading Hugging Face tokenizer JSON with errors that name the file and field.</summary>
internal static class HfJson
{
    public static JsonDocument Parse(string path)
    {
        if (!File.Exists(path)) throw new LoraLabException($"tokenizer file {path} does not exist");
        try
        {
            return JsonDocument.Parse(File.ReadAllBytes(path), new JsonDocumentOptions { AllowTrailingCommas = true });
        }
        catch (JsonException e)
        {
            throw new LoraLabException($"{path} is not valid JSON (line {e.LineNumber + 1}): {e.Message}", e);
        }
    }

    /// <summary>The property, or null when it is absent or JSON null.</summary>
    public static JsonElement? Get(JsonElement obj, string name) =>
        obj.ValueKind == JsonValueKind.Object && obj.TryGetProperty(name, out var v) && v.ValueKind != JsonValueKind.Null ? v : null;

    public static string? GetString(JsonElement obj, string name, string file, string where)
    {
        if (Get(obj, name) is not { } v) return null;
        return v.ValueKind == JsonValueKind.String ? v.GetString()
            : throw new LoraLabException($"{file}: {where}.{name} must be a string, found {v.ValueKind}");
    }

    public static string RequireString(JsonElement obj, string name, string file, string where) =>
        GetString(obj, name, file, where) ?? throw new LoraLabException($"{file}: {where}.{name} is missing");

    public static bool GetBool(JsonElement obj, string name, bool fallback, string file, string where)
    {
        if (Get(obj, name) is not { } v) return fallback;
        return v.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw new LoraLabException($"{file}: {where}.{name} must be true or false, found {v.ValueKind}"),
        };
    }

    public static int GetInt(JsonElement obj, string name, int fallback, string file, string where)
    {
        if (Get(obj, name) is not { } v) return fallback;
        return v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out int i) ? i
            : throw new LoraLabException($"{file}: {where}.{name} must be an integer, found {v}");
    }

    /// <summary>The "type" tag of a component object.</summary>
    public static string TypeOf(JsonElement obj, string file, string where)
    {
        if (obj.ValueKind != JsonValueKind.Object) throw new LoraLabException($"{file}: {where} must be an object, found {obj.ValueKind}");
        return RequireString(obj, "type", file, where);
    }

    /// <summary>Items of an array property (empty when absent).</summary>
    public static IEnumerable<JsonElement> Items(JsonElement obj, string name, string file, string where)
    {
        if (Get(obj, name) is not { } v) return [];
        return v.ValueKind == JsonValueKind.Array ? v.EnumerateArray().ToList()
            : throw new LoraLabException($"{file}: {where}.{name} must be an array, found {v.ValueKind}");
    }

    /// <summary>A pattern object {"String": "..."} or {"Regex": "..."} as a regex.</summary>
    public static Regex Pattern(JsonElement obj, string file, string where)
    {
        if (Get(obj, "pattern") is not { } p || p.ValueKind != JsonValueKind.Object)
            throw new LoraLabException($"{file}: {where}.pattern must be {{\"String\": ...}} or {{\"Regex\": ...}}");
        if (GetString(p, "String", file, where + ".pattern") is { } s) return new Regex(Regex.Escape(s), RegexOptions.CultureInvariant);
        if (GetString(p, "Regex", file, where + ".pattern") is { } r)
        {
            try
            {
                return new Regex(r, RegexOptions.CultureInvariant);
            }
            catch (ArgumentException e)
            {
                throw new LoraLabException($"{file}: {where}.pattern.Regex is not a regex .NET can use ({e.Message})", e);
            }
        }
        throw new LoraLabException($"{file}: {where}.pattern must be {{\"String\": ...}} or {{\"Regex\": ...}}");
    }

    /// <summary>A special-token setting that is either a string or an object with "content" (tokenizer_config.json).</summary>
    public static string? TokenContent(JsonElement obj, string name, string file)
    {
        if (Get(obj, name) is not { } v) return null;
        if (v.ValueKind == JsonValueKind.String) return v.GetString();
        if (v.ValueKind == JsonValueKind.Object) return RequireString(v, "content", file, name);
        throw new LoraLabException($"{file}: {name} must be a string or an object with \"content\", found {v.ValueKind}");
    }
}
