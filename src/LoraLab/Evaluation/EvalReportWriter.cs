using System.Text.Json.Nodes;

namespace LoraLab.Evaluation;

/// <summary>Writes an <see cref="EvalReport"/>: metrics as JSON, samples as JSONL (both atomically).</summary>
public static class EvalReportWriter
{
    public static void Write(EvalReport report, string resultsPath, string samplesPath)
    {
        var results = new JsonObject
        {
            ["task"] = report.Task,
            ["num_fewshot"] = report.NumFewShot,
            ["limit"] = report.Limit,
            ["seed"] = report.Seed,
            ["primary_metric"] = report.PrimaryMetric,
            ["metrics"] = MetricsJson(report.Metrics),
        };
        AtomicFile.WriteText(resultsPath, w => w.Write(results.ToJsonString(EvalJson.Indented) + "\n"));
        AtomicFile.WriteText(samplesPath, w =>
        {
            foreach (var s in report.Samples) w.WriteLine(SampleJson(s).ToJsonString(EvalJson.Compact));
        });
    }

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
