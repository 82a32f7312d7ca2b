using System.Text.Json.Nodes;

namespace LoraLab.Evaluation;

/// <summary>The JSON shapes of an <see cref="EvalReport"/>: metrics lm-eval style, and one object per sample log line.</summary>
public static class EvalReportWriter
{
    /// <summary>lm-eval style: {"acc": v, "acc_stderr": se, ...}; NaN is written as null.</summary>
    public static JsonObject MetricsJson(IEnumerable<MetricResult> metrics)
    {
        var obj = new JsonObject();
        foreach (var m in metrics)
        {
            obj[m.Name] = Num(m.Value);
            obj[m.Name + "_stderr"] = Num(m.Stderr);
        }
        return obj;
    }

    /// <summary>One per-sample log line (a JSON object) for a sample.</summary>
    public static JsonObject SampleJson(SampleLog s)
    {
        var obj = new JsonObject
        {
            ["doc_id"] = s.DocIndex,
            ["prompt"] = s.Prompt,
            ["target"] = s.Target,
        };
        if (s.LogLikelihoods is not null)
        {
            obj["continuations"] = new JsonArray(s.Requests.Select(r => (JsonNode?)JsonValue.Create(r.Continuation)).ToArray());
            obj["loglikelihoods"] = new JsonArray(s.LogLikelihoods.Select(r => Num(r.LogLikelihood)).ToArray());
            obj["is_greedy"] = new JsonArray(s.LogLikelihoods.Select(r => (JsonNode?)JsonValue.Create(r.IsGreedy)).ToArray());
        }
        if (s.Output is not null) obj["output"] = s.Output;
        obj["prediction"] = s.Prediction;
        if (s.Extracted is not null)
        {
            var ex = new JsonObject();
            foreach (var (k, v) in s.Extracted) ex[k] = v;
            obj["extracted"] = ex;
        }
        obj["correct"] = s.Correct;
        var metrics = new JsonObject();
        foreach (var (k, v) in s.Metrics) metrics[k] = Num(v);
        obj["metrics"] = metrics;
        return obj;
    }

    private static JsonNode? Num(double v) => double.IsFinite(v) ? JsonValue.Create(v) : null;
}
