using System.Text.Json.Nodes;
using LoraLab.Evaluation.HumanEval;

namespace LoraLab.Evaluation.Suite;

/// <summary>
/// HumanEval with a model: n completions per problem (prompt = the problem's prompt, stops = the Codex stop
/// sequences, sampled at T / top-p, or one greedy completion), each run in the <see cref="PythonSandbox"/>; pass@k
/// (unbiased estimator) for k ∈ {1, 10, 100} with k ≤ n, pass@1's standard error over problems, and the diversity
/// of each problem's completions when n &gt; 1.
/// </summary>
public static class HumanEvalModelRun
{
    public static (JsonObject Metrics, MetricResult PassAt1, List<JsonObject> SampleLines) Run(
        ILanguageModel model, string problemsPath, EvalSuiteOptions options)
    {
        var problems = HumanEvalProblems.Read(problemsPath).Take(options.Limit ?? int.MaxValue).ToList();
        int n = options.HumanEvalGreedy ? 1 : options.HumanEvalSamples;
        double temperature = options.HumanEvalGreedy ? 0.0 : options.HumanEvalTemperature;
        double topP = options.HumanEvalGreedy ? 1.0 : options.HumanEvalTopP;
        // one seed per problem; LlamaLanguageModel seeds each request from (its seed, its index), so the n samples differ
        var requests = problems.SelectMany((p, i) => Enumerable.Repeat(
            new GenerationRequest(p.Prompt, HumanEvalStops.StopSequences, options.HumanEvalMaxNewTokens, temperature, topP, options.Seed + i), n)).ToList();
        var completions = model.GenerateUntil(requests);
        var samples = problems.SelectMany((p, i) => Enumerable.Range(0, n).Select(j => new HumanEvalSample(p.TaskId, completions[i * n + j],
            $"{p.TaskId}#{j}"))).ToList();

        var sandbox = new PythonSandbox(new SandboxOptions(TimeoutSeconds: options.HumanEvalTimeoutSeconds, Workers: options.HumanEvalWorkers));
        var ks = HumanEvalEvaluator.DefaultKs.Where(k => k <= n).ToList();
        var report = HumanEvalEvaluator.Evaluate(problems, samples, ks, sandbox, truncateAtStops: true);

        var perProblemPass1 = report.Results.GroupBy(r => r.TaskId).Select(g => (double)g.Count(r => r.Execution.Passed) / g.Count()).ToList();
        var passAt1 = MetricResult.FromSamples("pass@1", perProblemPass1);
        var metrics = new JsonObject();
        foreach (var (k, v) in report.PassAtK) metrics[$"pass@{k}"] = v;
        metrics["pass@1_stderr"] = double.IsFinite(passAt1.Stderr) ? passAt1.Stderr : null;
        metrics["n_samples"] = n;
        metrics["problems"] = problems.Count;
        metrics["passed"] = report.Results.Count(r => r.Execution.Passed);
        metrics["timed_out"] = report.Results.Count(r => r.Execution.Outcome == ExecutionOutcome.TimedOut);
        if (n > 1)
        {
            var diversity = Diversity.Compute(report.Results.GroupBy(r => r.TaskId)
                .Select(g => (IReadOnlyList<string>)g.Select(r => r.Completion).ToList()).ToList());
            metrics["diversity"] = new JsonObject
            {
                ["unique_fraction"] = diversity.UniqueFraction,
                ["distinct_1"] = diversity.Distinct1,
                ["distinct_2"] = diversity.Distinct2,
                ["distinct_3"] = diversity.Distinct3,
            };
        }
        metrics["sandbox_layers"] = new JsonArray(report.Sandbox.Layers.Select(l => (JsonNode?)JsonValue.Create(l)).ToArray());

        var lines = report.Results.Select(r => new JsonObject
        {
            ["task"] = "humaneval",
            ["task_id"] = r.TaskId,
            ["completion_id"] = r.CompletionId,
            ["completion"] = r.Completion,
            ["result"] = r.Execution.Describe(),
            ["passed"] = r.Execution.Passed,
        }).ToList();
        return (metrics, passAt1, lines);
    }
}
