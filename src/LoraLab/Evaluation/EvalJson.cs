using System.Text.Encodings.Web;
using System.Text.Json;

namespace LoraLab.Evaluation;

/// <summary>JSON output options for evaluation files: readable (no \u escapes for '+', quotes in code) and UTF-8.</summary>
internal static class EvalJson
{
    public static readonly JsonSerializerOptions Compact = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static readonly JsonSerializerOptions Indented = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, WriteIndented = true };
}
