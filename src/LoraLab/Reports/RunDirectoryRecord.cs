using System.Text.Json.Nodes;
using LoraLab.Data;
using LoraLab.Evaluation.Suite;
using LoraLab.Training.Logging;
using LoraLab.Training.Config;

namespace LoraLab.Reports;

/// <summary>
/// A <see cref="RunRecord"/> read from a training run's directory: settings from <c>run_config.yaml</c>, one checkpoint
/// point per row of <c>eval/curve.jsonl</c> (<c>loralab eval --run</c>), the training loss from <c>metrics.jsonl</c>, and
/// each checkpoint's mean ΔW rank from <c>spectrum/spectrum_run.json</c> (<c>loralab analyze spectrum --run</c>) when present.
/// </summary>
public static class RunDirectoryRecord
{
    public const string CurvePath = "eval/curve.jsonl";
    public const string SpectrumPath = "spectrum/spectrum_run.json";

    /// <summary>True when <paramref name="dir"/> holds an evaluated run (run_config.yaml and eval/curve.jsonl).</summary>
    public static bool IsEvaluatedRun(string dir) =>
        File.Exists(Path.Combine(dir, "run_config.yaml")) && File.Exists(Path.Combine(dir, CurvePath));

    public static RunRecord Read(string runDir, CurveMetric target, CurveMetric forgetting)
    {
        var config = RunConfigLoader.Load(Path.Combine(runDir, "run_config.yaml"));
        string curve = Path.Combine(runDir, CurvePath);
        var ranks = DeltaRanks(Path.Combine(runDir, SpectrumPath));
        var points = new List<CheckpointPoint>();
        int line = 0;
        foreach (var row in CurveRow.ReadFile(curve))
        {
            line++;
            double t = target.ValueIn(row) ?? throw Missing(curve, line, target);
            double f = forgetting.ValueIn(row) ?? throw Missing(curve, line, forgetting);
            points.Add(new CheckpointPoint
            {
                Step = row.Step, TokensSeen = row.Tokens, Target = t, Forgetting = f,
                DeltaRank = ranks.TryGetValue(row.Step, out double r) ? r : null,
            });
        }
        string runId = Path.GetFileName(Path.GetFullPath(runDir).TrimEnd(Path.DirectorySeparatorChar));
        return RunRecord.Of(runId, config, points, TrainingLoss(Path.Combine(runDir, MetricsWriter.MetricsFile)));
    }

    private static LoraLabException Missing(string file, int line, CurveMetric m) =>
        new($"{file}:{line}: no value for {m.Key}; evaluate the run with the task it needs, or choose another with --target-metric / --forgetting-metric");

    /// <summary>Training loss per step from a run's metrics.jsonl (rows of type "train").</summary>
    public static IReadOnlyList<LossPoint> TrainingLoss(string metricsFile)
    {
        var losses = new List<LossPoint>();
        if (!File.Exists(metricsFile)) return losses;
        foreach (var (row, _) in JsonlReader.ReadObjects(metricsFile))
            if (row["step"] is JsonValue s && row["loss"] is JsonValue l
                && (row["type"] is null || row["type"]!.ToString() == "train") && s.TryGetValue(out long step) && l.TryGetValue(out double loss))
                losses.Add(new LossPoint { Step = step, Loss = loss });
        return losses;
    }

    private static Dictionary<long, double> DeltaRanks(string file)
    {
        var ranks = new Dictionary<long, double>();
        if (!File.Exists(file)) return ranks;
        if (JsonNode.Parse(File.ReadAllText(file))?["checkpoints"] is not JsonArray checkpoints)
            throw new LoraLabException($"{file}: no \"checkpoints\" list; rerun `loralab analyze spectrum --run`");
        foreach (var c in checkpoints.OfType<JsonObject>())
            if (c["step"] is JsonValue s && s.TryGetValue(out long step) && c["modules"] is JsonArray modules && modules.Count > 0)
                ranks[step] = modules.OfType<JsonObject>().Average(m => m["delta_rank"]!.GetValue<double>());
        return ranks;
    }
}
