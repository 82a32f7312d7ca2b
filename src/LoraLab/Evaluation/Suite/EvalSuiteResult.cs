using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace LoraLab.Evaluation.Suite;

/// <summary>A summary score of a results.json: the forgetting score (mean of source tasks) or the target score (one task's metric).</summary>
public sealed record EvalScore(double Value, double? Stderr, string? Task = null, string? Metric = null)
{
    /// <summary>"task/metric" for a target score, null for the forgetting score.</summary>
    public string? Name => Task is null ? null : $"{Task}/{Metric}";
}

/// <summary>
/// The typed view of one <c>loralab eval</c> results.json: per-task numeric metrics and the two summary scores.
/// <see cref="EvalSuite"/> writes the document; <see cref="FromJson"/> is the one place that reads it back.
/// </summary>
public sealed class EvalSuiteResult
{
    /// <summary>Numeric metrics per task (e.g. gsm8k → {exact_match_strict: 0.12, exact_match_strict_stderr: 0.01}), timings left out.</summary>
    public required IReadOnlyDictionary<string, IReadOnlyDictionary<string, double>> Metrics { get; init; }

    public EvalScore? Forgetting { get; init; }

    public EvalScore? Target { get; init; }

    /// <summary>The results.json document as written.</summary>
    public required JsonObject Json { get; init; }

    /// <summary>Reads a results.json document (written by <see cref="EvalSuite"/>).</summary>
    public static EvalSuiteResult FromJson(JsonObject json)
    {
        var metrics = new Dictionary<string, IReadOnlyDictionary<string, double>>();
        foreach (var (task, node) in (json["results"] as JsonObject) ?? new JsonObject())
        {
            var m = new Dictionary<string, double>();
            foreach (var (name, value) in (node as JsonObject) ?? new JsonObject())
                if (name != "seconds" && Number(value) is double d) m[name] = d;
            metrics[task] = m;
        }
        return new EvalSuiteResult { Metrics = metrics, Forgetting = Score(json["forgetting_score"]), Target = Score(json["target_score"]), Json = json };
    }

    private static EvalScore? Score(JsonNode? node) =>
        node is JsonObject o && Number(o["value"]) is double value
            ? new EvalScore(value, Number(o["stderr"]), o["task"]?.ToString(), o["metric"]?.ToString())
            : null;

    // a number whether the node was parsed from text or built in memory from an int, long or double
    private static double? Number(JsonNode? node) =>
        node is JsonValue v && v.GetValueKind() == JsonValueKind.Number ? double.Parse(v.ToJsonString(), CultureInfo.InvariantCulture) : null;
}
