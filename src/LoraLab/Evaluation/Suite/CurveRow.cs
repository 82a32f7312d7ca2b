using System.Text.Json;
using System.Text.Json.Serialization;
using LoraLab.Data;

namespace LoraLab.Evaluation.Suite;

/// <summary>
/// One line of <c>RUN/eval/curve.jsonl</c> (<see cref="RunEvaluation"/>): one evaluated checkpoint. The file is written
/// and read only through <see cref="WriteFile"/> and <see cref="ReadFile"/>; keys and their order are the file format
/// (<c>step, tokens, checkpoint, method, results, forgetting_score, target_score, target_metric</c>), absent values are
/// written as null, and keys a reader does not know are ignored.
/// </summary>
public sealed record CurveRow
{
    /// <summary>The checkpoint's optimizer step.</summary>
    [JsonPropertyName("step")]
    public required long Step { get; init; }

    /// <summary>Tokens seen up to that step (0 when a row lacks it).</summary>
    [JsonPropertyName("tokens")]
    public long Tokens { get; init; }

    /// <summary>The checkpoint directory, relative to the run.</summary>
    [JsonPropertyName("checkpoint")]
    public string? Checkpoint { get; init; }

    /// <summary>"lora" or "full".</summary>
    [JsonPropertyName("method")]
    public string? Method { get; init; }

    /// <summary>Every numeric metric by task, then by metric name as in results.json.</summary>
    [JsonPropertyName("results")]
    public IReadOnlyDictionary<string, IReadOnlyDictionary<string, double>> Results { get; init; } =
        new Dictionary<string, IReadOnlyDictionary<string, double>>();

    [JsonPropertyName("forgetting_score")]
    public double? ForgettingScore { get; init; }

    [JsonPropertyName("target_score")]
    public double? TargetScore { get; init; }

    /// <summary>The TASK/METRIC behind <see cref="TargetScore"/>, e.g. "gsm8k/exact_match,strict-match".</summary>
    [JsonPropertyName("target_metric")]
    public string? TargetMetric { get; init; }

    /// <summary>A metric of <see cref="Results"/>, or null when the row lacks it.</summary>
    public double? Result(string task, string metric) =>
        Results.TryGetValue(task, out var m) && m.TryGetValue(metric, out double v) ? v : null;

    /// <summary>Writes <paramref name="rows"/> as <paramref name="path"/> (one JSON object a line, atomically).</summary>
    public static void WriteFile(string path, IEnumerable<CurveRow> rows) =>
        AtomicFile.WriteText(path, w =>
        {
            foreach (var row in rows) w.WriteLine(JsonSerializer.Serialize(row, JsonFormats.Line));
        });

    /// <summary>Reads a curve file; a row that is not a curve row → "file:line: …".</summary>
    public static IReadOnlyList<CurveRow> ReadFile(string path)
    {
        if (!File.Exists(path)) throw new LoraLabException($"{path}: not found; run `loralab eval --run RUN_DIR` first.");
        var rows = new List<CurveRow>();
        foreach (var (line, lineNo) in JsonlReader.Lines(path))
        {
            try
            {
                rows.Add(JsonSerializer.Deserialize<CurveRow>(line, JsonFormats.Line)
                    ?? throw new JsonException("expected a JSON object, got null"));
            }
            catch (JsonException e)
            {
                throw new LoraLabException($"{path}:{lineNo}: not a curve row ({e.Message}); run `loralab eval --run RUN_DIR` again", e);
            }
        }
        return rows;
    }
}
