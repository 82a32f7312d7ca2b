using System.Text.Json.Nodes;
using LoraLab.Evaluation.Tasks;
using LoraLab.Models.Llama;
using LoraLab.Tokenization;

namespace LoraLab.Evaluation.Suite;

/// <summary>
/// `loralab eval`: evaluates one model (optionally with a LoRA adapter) on several tasks and writes one results JSON
/// (per-task metrics with standard errors, the exact settings, model/adapter identity, the forgetting score and the
/// target score side by side) and one per-sample JSONL log beside it (every line has a "task" field).
/// </summary>
public static class EvalSuite
{
    public static EvalSuiteResult Run(LlamaForCausalLM model, ITokenizer tokenizer, string modelDir, string? adapterDir, string dtype,
        EvalSuiteOptions options, string outPath) =>
        Run(model, tokenizer, ModelIdentity.Describe(modelDir), adapterDir is null ? null : ModelIdentity.Describe(adapterDir), dtype, options, outPath);

    /// <summary>
    /// Evaluates <paramref name="model"/>; <paramref name="modelIdentity"/> / <paramref name="adapterIdentity"/> (from
    /// <see cref="ModelIdentity"/>) name what was evaluated in results.json ("adapter": the PEFT adapter or the training
    /// checkpoint applied to the base). <paramref name="progress"/> is told each task's name before it runs.
    /// <paramref name="extra"/>'s fields are written last into results.json (one write: the file is complete when it appears).
    /// </summary>
    public static EvalSuiteResult Run(LlamaForCausalLM model, ITokenizer tokenizer, JsonObject modelIdentity, JsonObject? adapterIdentity, string dtype,
        EvalSuiteOptions options, string outPath, Action<string>? progress = null, JsonObject? extra = null)
    {
        options.Validate();
        var lm = new LlamaLanguageModel(model, tokenizer, new LlamaLanguageModelOptions(
            BatchSize: options.BatchSize, ShareContext: options.ShareContext, MaxNewTokensCap: options.MaxGenTokens));
        var taskResults = new JsonObject();
        var reports = new List<EvalReport>();
        var sampleLines = new List<JsonObject>();
        var files = new JsonObject();
        MetricResult? humanEvalPass1 = null;
        foreach (string task in options.Tasks.Distinct())
        {
            string path = TaskFileResolver.EvalFile(task, options.TaskFiles, options.DataDir);
            string? fewShot = TaskFileResolver.FewShotFile(task, options.FewShotFiles, options.DataDir);
            files[task] = new JsonObject { ["file"] = Path.GetFullPath(path), ["fewshot_file"] = fewShot is null ? null : Path.GetFullPath(fewShot) };
            progress?.Invoke(task);
            var started = DateTime.UtcNow;
            JsonObject result;
            if (task == "perplexity")
            {
                result = PerplexityJson(model, tokenizer, path, options);
            }
            else if (task == "humaneval")
            {
                var (metrics, pass1, lines) = HumanEvalModelRun.Run(lm, path, options);
                result = metrics;
                humanEvalPass1 = pass1;
                sampleLines.AddRange(lines);
            }
            else
            {
                var report = Evaluator.Run(Build(task, path, fewShot), lm, new EvalOptions(options.Limit, options.NumFewShot, options.Seed));
                reports.Add(report);
                result = EvalReportWriter.MetricsJson(report.Metrics);
                result["primary_metric"] = report.PrimaryMetric;
                result["num_fewshot"] = report.NumFewShot;
                result["samples"] = report.Samples.Count;
                foreach (var s in report.Samples)
                {
                    var line = new JsonObject { ["task"] = task };
                    var body = EvalReportWriter.SampleJson(s);
                    foreach (var key in body.Select(p => p.Key).ToList())
                    {
                        var value = body[key];
                        body.Remove(key);
                        line[key] = value;
                    }
                    sampleLines.Add(line);
                }
            }
            result["seconds"] = Math.Round((DateTime.UtcNow - started).TotalSeconds, 3);
            taskResults[task] = result;
        }

        var json = new JsonObject
        {
            ["results"] = taskResults,
            ["forgetting_score"] = Forgetting(reports),
            ["target_score"] = Target(reports, humanEvalPass1),
            ["model"] = modelIdentity.DeepClone(),
            ["adapter"] = adapterIdentity?.DeepClone(),
            ["settings"] = Settings(options, dtype, lm.MaxLength, files),
            ["samples_log"] = Path.GetFileName(SamplesLogPath(outPath)),
        };
        foreach (var (key, value) in extra ?? []) json[key] = value?.DeepClone();
        // the samples log first: results.json appearing means both files are complete (eval --run resumes on it)
        AtomicFile.WriteText(SamplesLogPath(outPath), w =>
        {
            foreach (var line in sampleLines) w.WriteLine(line.ToJsonString(JsonFormats.Line));
        });
        AtomicFile.WriteText(outPath, w => w.Write(json.ToJsonString(JsonFormats.IndentedText) + "\n"));
        return EvalSuiteResult.FromJson(json);
    }

    /// <summary>results.json → results.samples.jsonl beside it.</summary>
    public static string SamplesLogPath(string outPath) => HumanEval.HumanEvalEvaluator.SamplesLogPath(outPath);

    private static IEvalTask Build(string task, string path, string? fewShot) => task switch
    {
        "gsm8k" => Gsm8kTask.FromFiles(path, fewShot),
        "hellaswag" => HellaSwagTask.FromFiles(path, fewShot),
        "arc_challenge" => ArcTask.Challenge(path, fewShot),
        "arc_easy" => ArcTask.Easy(path, fewShot),
        "winogrande" => WinoGrandeTask.FromFiles(path, fewShot),
        _ => throw new LoraLabException($"unknown task '{task}'; known tasks: {string.Join(", ", TaskFileResolver.KnownTasks)}"),
    };

    private static JsonObject PerplexityJson(LlamaForCausalLM model, ITokenizer tokenizer, string path, EvalSuiteOptions options)
    {
        var docs = Perplexity.SplitDocuments(File.ReadAllText(path), options.PerplexitySeparator);
        if (options.Limit is int limit) docs = docs.Take(limit).ToList();
        if (docs.Count == 0) throw new LoraLabException($"{path}: no text to compute perplexity on");
        var r = Perplexity.Evaluate(model, tokenizer, docs, stride: options.PerplexityStride, batchSize: options.BatchSize);
        return new JsonObject
        {
            ["nll_per_token"] = r.MeanNll,
            ["perplexity"] = r.Perplexity,
            ["bits_per_byte"] = r.BitsPerByte,
            ["total_nll_nats"] = r.TotalNll,
            ["tokens"] = r.Tokens,
            ["bytes"] = r.Bytes,
            ["documents"] = r.Documents,
            ["windows"] = r.Windows,
            ["window"] = r.WindowLength,
            ["stride"] = r.Stride,
        };
    }

    private static JsonObject? Forgetting(List<EvalReport> reports)
    {
        if (!ForgettingScore.Components.All(c => reports.Any(r => r.Task == c.Task))) return null;
        var f = ForgettingScore.Compute(reports);
        return new JsonObject
        {
            ["value"] = f.Value,
            ["stderr"] = double.IsFinite(f.Stderr) ? f.Stderr : null,
            ["components"] = new JsonArray(ForgettingScore.Components.Select(c => (JsonNode?)JsonValue.Create($"{c.Task}/{c.Metric}")).ToArray()),
        };
    }

    private static JsonObject? Target(List<EvalReport> reports, MetricResult? humanEvalPass1)
    {
        var gsm = reports.FirstOrDefault(r => r.Task == "gsm8k");
        var (task, m) = gsm is not null ? ("gsm8k", gsm.Metric(Gsm8kTask.StrictMetric)) : ("humaneval", humanEvalPass1);
        if (m is null) return null;
        return new JsonObject
        {
            ["task"] = task,
            ["metric"] = m.Name,
            ["value"] = m.Value,
            ["stderr"] = double.IsFinite(m.Stderr) ? m.Stderr : null,
        };
    }

    private static JsonObject Settings(EvalSuiteOptions o, string dtype, int maxLength, JsonObject files) => new()
    {
        ["tasks"] = new JsonArray(o.Tasks.Distinct().Select(t => (JsonNode?)JsonValue.Create(t)).ToArray()),
        ["limit"] = o.Limit,
        ["num_fewshot"] = o.NumFewShot,
        ["batch_size"] = o.BatchSize,
        ["seed"] = o.Seed,
        ["dtype"] = dtype,
        ["max_length"] = maxLength,
        ["max_gen_tokens"] = o.MaxGenTokens,
        ["share_context"] = o.ShareContext,
        ["add_bos"] = true,
        ["data_dir"] = o.DataDir is null ? null : Path.GetFullPath(o.DataDir),
        ["files"] = files,
        ["humaneval"] = new JsonObject
        {
            ["n"] = o.HumanEvalGreedy ? 1 : o.HumanEvalSamples,
            ["temperature"] = o.HumanEvalGreedy ? 0.0 : o.HumanEvalTemperature,
            ["top_p"] = o.HumanEvalGreedy ? 1.0 : o.HumanEvalTopP,
            ["greedy"] = o.HumanEvalGreedy,
            ["max_new_tokens"] = o.HumanEvalMaxNewTokens,
            ["timeout_s"] = o.HumanEvalTimeoutSeconds,
        },
        ["perplexity"] = new JsonObject { ["stride"] = o.PerplexityStride, ["separator"] = o.PerplexitySeparator },
    };
}
