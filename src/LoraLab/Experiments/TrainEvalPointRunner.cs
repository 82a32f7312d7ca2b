using System.Text.Json;
using System.Text.Json.Nodes;
using LoraLab.Evaluation.Suite;
using LoraLab.Reports;
using LoraLab.Training;
using LoraLab.Training.Config;

namespace LoraLab.Experiments;

/// <summary>
/// The real sweep point: train with <see cref="Trainer"/> (resuming an interrupted run), then, when the sweep's
/// <c>eval:</c> section names tasks, evaluate the result with <see cref="EvalSuite"/>. Writes the run's
/// <c>run_record.json</c> so <c>loralab report --runs RUN_ROOT</c> can draw it.
/// </summary>
public sealed class TrainEvalPointRunner : ISweepPointRunner
{
    private readonly TextWriter log;

    public TrainEvalPointRunner(TextWriter? log = null) => this.log = log ?? Console.Error;

    public SweepPointResult Run(SweepPoint point, string runDir, CancellationToken cancellationToken)
    {
        var config = point.Config;
        config.RunDir = runDir;
        config.Resume = Directory.Exists(Path.Combine(runDir, Trainer.CheckpointsDirName)); // pick up an interrupted run
        using var trainer = new Trainer(config, new TrainerOptions { Console = log });
        var train = trainer.Run();
        cancellationToken.ThrowIfCancellationRequested();
        var metrics = new Dictionary<string, double> { ["steps"] = train.Steps, ["tokens_seen"] = train.TokensSeen };
        if (train.LastEvalLoss is double evalLoss) metrics["eval_loss"] = evalLoss;
        var paths = new Dictionary<string, string> { ["run_dir"] = runDir };
        if (train.FinalDirectory is string final) paths["final"] = final;
        double? target = null, forgetting = null;
        if (point.Eval.Tasks.Count > 0)
        {
            string results = Path.Combine(runDir, "eval", "results.json");
            bool lora = config.Method == FinetuneMethod.Lora;
            // the dtype the trained model (and so this evaluation) computes in
            string dtype = trainer.Model.DType == TorchSharp.torch.ScalarType.BFloat16 ? "bf16" : "fp32";
            var result = EvalSuite.Run(trainer.Model, trainer.Tokenizer, config.Model.Path ?? "", lora ? train.FinalDirectory : null,
                dtype, Options(point.Eval.Settings, point.Eval.Tasks), results);
            target = result.Target?.Value;
            forgetting = result.Forgetting?.Value;
            paths["eval"] = results;
        }
        WriteRunRecord(point, runDir, train, target, forgetting);
        return new SweepPointResult
        {
            Status = SweepPointStatus.Ok,
            FinalTrainLoss = train.LastLoss,
            TargetScore = target,
            ForgettingScore = forgetting,
            Metrics = metrics,
            Paths = paths,
        };
    }

    /// <summary>Reads the sweep's <c>eval:</c> settings (tasks, data_dir, task_files, limit, num_fewshot, batch_size, seed).</summary>
    public static EvalSuiteOptions Options(JsonObject s, IReadOnlyList<string> tasks)
    {
        Dictionary<string, string> Map(string key) => s[key] is JsonObject o
            ? o.ToDictionary(kv => kv.Key, kv => kv.Value?.ToString() ?? "")
            : new Dictionary<string, string>();
        int? Int(string key) => s[key] is JsonValue v && v.TryGetValue(out int i) ? i : null;
        return new EvalSuiteOptions
        {
            Tasks = tasks,
            DataDir = s["data_dir"]?.ToString(),
            TaskFiles = Map("task_files"),
            FewShotFiles = Map("fewshot_files"),
            Limit = Int("limit"),
            NumFewShot = Int("num_fewshot"),
            BatchSize = Int("batch_size") ?? 8,
            Seed = Int("seed") ?? 1234,
            MaxGenTokens = Int("max_gen_tokens"),
        };
    }

    private static void WriteRunRecord(SweepPoint point, string runDir, TrainResult train, double? target, double? forgetting)
    {
        var losses = new List<LossPoint>();
        string metricsFile = Path.Combine(runDir, "metrics.jsonl");
        if (File.Exists(metricsFile))
            foreach (var line in File.ReadLines(metricsFile))
                if (JsonNode.Parse(line) is JsonObject row && row["step"] is JsonValue s && row["loss"] is JsonValue l
                    && s.TryGetValue(out long step) && l.TryGetValue(out double loss))
                    losses.Add(new LossPoint { Step = step, Loss = loss });
        var record = new RunRecord
        {
            RunId = point.Id,
            Method = point.Method == FinetuneMethod.Lora ? "lora" : "full",
            Rank = point.Rank,
            LearningRate = point.LearningRate,
            TargetModules = point.Targets ?? "",
            Regime = point.Config.Data.Regime == DataRegime.Ift ? "ift" : "cpt",
            Seed = point.Seed,
            Checkpoints = target is double t && forgetting is double f
                ? new[] { new CheckpointPoint { Step = train.Steps, TokensSeen = train.TokensSeen, Target = t, Forgetting = f } }
                : Array.Empty<CheckpointPoint>(),
            TrainingLoss = losses,
        };
        AtomicFile.WriteAllText(Path.Combine(runDir, RunCollection.RunRecordFile), JsonSerializer.Serialize(record, ReportJson.Options));
    }
}
