using System.Text.Json.Nodes;
using LoraLab.Evaluation.Suite;

namespace LoraLab.Tests.Evaluation.Suite;

public sealed class EvalSuiteResultTests
{
    [Fact]
    public void ReadsNumericMetricsAndBothScores()
    {
        var json = JsonNode.Parse("""
            {"results": {"gsm8k": {"exact_match_strict": 0.25, "exact_match_strict_stderr": 0.1, "primary_metric": "exact_match_strict",
                                   "seconds": 3.5, "samples": 4},
                         "hellaswag": {"acc_norm": 0.5, "acc_norm_stderr": null}},
             "forgetting_score": {"value": 0.5, "stderr": null, "components": ["hellaswag/acc_norm"]},
             "target_score": {"task": "gsm8k", "metric": "exact_match_strict", "value": 0.25, "stderr": 0.1}}
            """)!.AsObject();
        var r = EvalSuiteResult.FromJson(json);
        Assert.Equal(new Dictionary<string, double> { ["exact_match_strict"] = 0.25, ["exact_match_strict_stderr"] = 0.1, ["samples"] = 4 },
            r.Metrics["gsm8k"]);
        Assert.Equal(new Dictionary<string, double> { ["acc_norm"] = 0.5 }, r.Metrics["hellaswag"]);
        Assert.Equal(new EvalScore(0.5, null), r.Forgetting);
        Assert.Equal(new EvalScore(0.25, 0.1, "gsm8k", "exact_match_strict"), r.Target);
        Assert.Equal("gsm8k/exact_match_strict", r.Target!.Name);
        Assert.Same(json, r.Json);
    }

    [Fact]
    public void MissingScoresAreNull()
    {
        var r = EvalSuiteResult.FromJson(JsonNode.Parse("""{"results": {}, "forgetting_score": null}""")!.AsObject());
        Assert.Empty(r.Metrics);
        Assert.Null(r.Forgetting);
        Assert.Null(r.Target);
    }
}
