using LoraLab.Evaluation.Suite;
using LoraLab.Reports;
using LoraLab.Training;
using LoraLab.Training.Config;
using LoraLab.Training.Logging;

namespace LoraLab.Experiments;

/// <summary>
/// The real sweep point: train with <see cref="Trainer"/> (resuming an interrupted run), then, when the sweep's
/// <c>eval:</c> section names tasks, evaluate the final model with <see cref="EvalSuite"/> (<c>eval_checkpoints: final</c>,
/// the default) or the selected checkpoints with <see cref="RunEvaluation"/> (<c>all</c>, <c>every N</c>: one report point
/// per checkpoint, target_score against forgetting_score, or source NLL when the forgetting tasks did not run). Writes the run's
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
        var points = new List<CheckpointPoint>();
        // the dtype the trained model (and so this evaluation) computes in
        string dtype = trainer.Model.DType == TorchSharp.torch.ScalarType.BFloat16 ? "bf16" : "fp32";
        if (point.Eval.Options is { } options && point.Eval.Checkpoints.FinalOnly)
        {
            string results = Path.Combine(runDir, "eval", "results.json");
            bool lora = config.Method == FinetuneMethod.Lora;
            var result = EvalSuite.Run(trainer.Model, trainer.Tokenizer, config.Model.Path ?? "", lora ? train.FinalDirectory : null,
                dtype, options, results);
            target = result.Target?.Value;
            forgetting = result.Forgetting?.Value;
            paths["eval"] = results;
            if (target is double t && forgetting is double f)
                points.Add(new CheckpointPoint { Step = train.Steps, TokensSeen = train.TokensSeen, Target = t, Forgetting = f });
        }
        else if (point.Eval.Options is { } each)
        {
            // several checkpoints: eval --run's curve (resumable, base loaded once); forgetting falls back to source NLL
            var rows = RunEvaluation.EvaluateCheckpoints(runDir, each,
                new RunEvaluationOptions { Selection = point.Eval.Checkpoints, Dtype = dtype, Progress = log, Tokenizer = trainer.Tokenizer });
            var targetMetric = new CurveMetric(CurveMetric.TargetScore);
            var forgettingMetric = CurveMetric.DefaultForgetting(rows);
            foreach (var row in rows)
                if (targetMetric.ValueIn(row) is double t && forgettingMetric.ValueIn(row) is double f)
                    points.Add(new CheckpointPoint { Step = row.Step, TokensSeen = row.Tokens, Target = t, Forgetting = f });
            target = rows.Count > 0 ? targetMetric.ValueIn(rows[^1]) : null;
            // the point's forgetting_score is the three-task score only, never the source-NLL fallback
            forgetting = rows.Count > 0 ? new CurveMetric(CurveMetric.ForgettingScore).ValueIn(rows[^1]) : null;
            paths["eval_curve"] = Path.Combine(runDir, RunEvaluation.EvalDirName, RunEvaluation.CurveFile);
            metrics["checkpoints_evaluated"] = rows.Count;
        }
        WriteRunRecord(point, runDir, points);
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

    private static void WriteRunRecord(SweepPoint point, string runDir, IReadOnlyList<CheckpointPoint> checkpoints) =>
        RunCollection.WriteRunRecord(runDir, RunRecord.Of(point.Id, point.Config, checkpoints,
            RunDirectoryRecord.TrainingLoss(Path.Combine(runDir, MetricsWriter.MetricsFile))));
}
