using System.Text.Encodings.Web;
using System.Text.Json;

namespace LoraLab;

/// <summary>
/// The JSON writer settings of every file LoraLab writes, one per kind of file, so a kind is always written the same way.
/// </summary>
public static class JsonFormats
{
    /// <summary>Indented, default escaping: files other tools read (config.json, adapter_config.json, run and sweep records).</summary>
    public static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    /// <summary>Indented, text written as-is where JSON allows (quotes, non-ASCII): evaluation results people read.</summary>
    public static readonly JsonSerializerOptions IndentedText = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, WriteIndented = true };

    /// <summary>One line per value, text written as-is where JSON allows: JSON Lines logs (samples, demo data).</summary>
    public static readonly JsonSerializerOptions Line = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Typed records with snake_case property names, indented (checkpoint manifests, spectra, reports).</summary>
    public static readonly JsonSerializerOptions SnakeCase = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, WriteIndented = true };
}
