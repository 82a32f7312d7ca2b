using System.Text.Json;
using System.Text.Json.Nodes;
using LoraLab.Checkpoints;
using LoraLab.Data;
using LoraLab.Models.Llama;
using LoraLab.Training.Logging;
using LoraLab.Training;

namespace LoraLab.Evaluation.Suite;

/// <summary>
/// <c>loralab eval --run RUN_DIR</c>: evaluates a run's checkpoints (the newest is the final model) with
/// <see cref="EvalSuite"/>, writing <c>RUN/eval/step-NNNNNN.json</c> (+ its per-sample log) per checkpoint and
/// <c>RUN/eval/curve.jsonl</c>, one <see cref="CurveRow"/> per evaluated checkpoint in step order.
/// <para>
/// The base model is loaded once; each checkpoint's own weights (LoRA adapters, or every weight of a full finetune) are
/// copied into it in turn. Resumable: a checkpoint whose step file exists, was made from the same checkpoint (its
/// manifest's created_utc) and with the same evaluation request is not evaluated again; a file made with another
/// request is refused rather than mixed into the curve.
/// </para>
/// </summary>
public static class RunEvaluation
{
    public const string EvalDirName = "eval";
    public const string CurveFile = "curve.jsonl";
    private const string RunEvalKey = "run_eval";

    /// <summary>The library entry point: evaluates the selected checkpoints of <paramref name="runDir"/>; returns the curve rows.</summary>
    public static IReadOnlyList<CurveRow> EvaluateCheckpoints(string runDir, EvalSuiteOptions options, RunEvaluationOptions? settings = null)
    {
        settings ??= new RunEvaluationOptions();
        options.Validate();
        var all = ModelSource.RunCheckpoints(runDir);
        runDir = all[0].RunDirectory!;
        var steps = settings.Selection.Select(all.Select(c => c.Manifest!.Step).ToList());
        var chosen = all.Where(c => steps.Contains(c.Manifest!.Step)).ToList();
        string outDir = Path.GetFullPath(settings.OutDir ?? Path.Combine(runDir, EvalDirName));
        Directory.CreateDirectory(outDir);
        var request = Request(options, settings.Dtype);
        var pending = chosen.Where(c => !IsDone(StepFile(outDir, c), c, request)).ToList();
        var progress = new ProgressLine(settings.Progress, (long)pending.Count * options.Tasks.Distinct().Count(), 0);
        if (chosen.Count > pending.Count)
            progress.Message($"eval --run: {chosen.Count - pending.Count} of {chosen.Count} checkpoints already evaluated in {outDir}");
        if (pending.Count > 0)
        {
            var dtype = Checkpoints.LlamaCheckpoint.ParseDtype(settings.Dtype);
            using LlamaForCausalLM model = pending[0].LoadBase(dtype);
            var tokenizer = settings.Tokenizer ?? pending[0].LoadTokenizer(model.Config.VocabSize);
            var (baseId, _) = ModelIdentity.Of(pending[0]);
            long done = 0;
            for (int i = 0; i < pending.Count; i++)
            {
                var c = pending[i];
                string name = Path.GetFileName(c.Path);
                c.ApplyTo(model);
                string outPath = StepFile(outDir, c);
                var runEval = new JsonObject
                {
                    ["step"] = c.Manifest!.Step,
                    ["tokens"] = c.Manifest.TokensSeen,
                    ["checkpoint"] = Path.GetRelativePath(runDir, c.Path),
                    ["checkpoint_created_utc"] = c.Manifest.CreatedUtc,
                    ["method"] = c.Method,
                    ["request"] = request.DeepClone(),
                };
                EvalSuite.Run(model, tokenizer, baseId, ModelIdentity.Of(c).Weights, settings.Dtype, options, outPath,
                    task => progress.Update(done++, "tasks", $"eval {name} ({i + 1}/{pending.Count}) {task}"),
                    new JsonObject { [RunEvalKey] = runEval });
                WriteCurve(outDir);
                settings.AfterCheckpoint?.Invoke(c);
            }
            progress.Update(done, "tasks", $"eval --run: {pending.Count} checkpoint(s) evaluated");
            progress.Finish();
        }
        return WriteCurve(outDir);
    }

    /// <summary>RUN/eval/step-NNNNNN.json of a checkpoint.</summary>
    public static string StepFile(string outDir, ModelSource checkpoint) => Path.Combine(outDir, Path.GetFileName(checkpoint.Path) + ".json");

    /// <summary>Rebuilds curve.jsonl from every finished step file in <paramref name="outDir"/>, in step order.</summary>
    private static List<CurveRow> WriteCurve(string outDir)
    {
        var rows = new List<CurveRow>();
        foreach (var file in Directory.GetFiles(outDir, Training.Checkpointing.TrainingCheckpoint.DirPrefix + "*.json"))
        {
            if (file.EndsWith(".samples.jsonl", StringComparison.Ordinal)) continue;
            if (ReadStep(file) is not { } json || json[RunEvalKey] is not JsonObject info) continue;
            var result = EvalSuiteResult.FromJson(json);
            rows.Add(new CurveRow
            {
                Step = info["step"]!.GetValue<long>(),
                Tokens = info["tokens"]!.GetValue<long>(),
                Checkpoint = info["checkpoint"]!.GetValue<string>(),
                Method = info["method"]?.GetValue<string>(),
                Results = result.Metrics,
                ForgettingScore = result.Forgetting?.Value,
                TargetScore = result.Target?.Value,
                TargetMetric = result.Target?.Name,
            });
        }
        rows.Sort((a, b) => a.Step.CompareTo(b.Step));
        CurveRow.WriteFile(Path.Combine(outDir, CurveFile), rows);
        return rows;
    }

    private static JsonObject? ReadStep(string file)
    {
        try
        {
            return JsonNode.Parse(File.ReadAllText(file)) as JsonObject;
        }
        catch (JsonException e)
        {
            throw new LoraLabException($"{file}: invalid JSON ({e.Message}); delete it and run eval --run again");
        }
    }

    private static bool IsDone(string file, ModelSource checkpoint, JsonObject request)
    {
        if (!File.Exists(file) || ReadStep(file) is not { } json || json[RunEvalKey] is not JsonObject info) return false;
        if (info["checkpoint_created_utc"]?.ToString() != checkpoint.Manifest!.CreatedUtc) return false; // retrained since
        if (!JsonNode.DeepEquals(info["request"], request))
            throw new LoraLabException($"{file}: evaluated with other settings ({info["request"]?.ToJsonString(JsonFormats.Line)}); " +
                "delete that eval directory or give --out DIR to evaluate this request separately");
        return true;
    }

    /// <summary>The evaluation request as JSON (what must match for a step file to count as done).</summary>
    private static JsonObject Request(EvalSuiteOptions o, string dtype)
    {
        var node = JsonSerializer.SerializeToNode(o, JsonFormats.Line)!.AsObject();
        node["dtype"] = dtype;
        node.Remove(nameof(EvalSuiteOptions.BatchSize)); // does not change the numbers
        node.Remove(nameof(EvalSuiteOptions.HumanEvalWorkers));
        return node;
    }
}
