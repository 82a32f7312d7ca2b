using System.Text.Encodings.Web;
using System.Text.Json;

namespace LoraLab.Experiments.Demo;

/// <summary>JSON options for the demo's JSONL files: compact, with quotes and non-ASCII written as-is where JSON allows.</summary>
internal static class DemoJson
{
    public static readonly JsonSerializerOptions Options = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
}
