using System.Text.Json;
using System.Text.Json.Nodes;
using LoraLab.Evaluation.Suite;

namespace LoraLab.Reports;

/// <summary>
/// Gathers a report's data from a runs directory: either one <c>report.json</c> (a whole <see cref="ReportData"/>), or one
/// <c>run_record.json</c> (a <see cref="RunRecord"/>) in each run's subdirectory, with optional <c>report_settings.json</c>
/// (title, target/forgetting metric names and directions, findings) beside them. A training run directory evaluated with
/// <c>loralab eval --run</c> (run_config.yaml + eval/curve.jsonl, no run_record.json) counts as a run too, read by
/// <see cref="RunDirectoryRecord"/>: one point per checkpoint; <c>runs</c> may be such a run directory itself.
/// </summary>
public static class RunCollection
{
    public const string ReportFile = "report.json";
    public const string RunRecordFile = "run_record.json";
    public const string SettingsFile = "report_settings.json";

    /// <summary>Writes <paramref name="record"/> as <c>RUN_DIR/run_record.json</c> (atomically), the file <see cref="Collect"/> reads.</summary>
    public static void WriteRunRecord(string runDir, RunRecord record) =>
        AtomicFile.WriteAllText(Path.Combine(runDir, RunRecordFile), JsonSerializer.Serialize(record, ReportJson.Options));

    /// <param name="target">For evaluated run directories: the plotted learning measure (default target_score).</param>
    /// <param name="forgetting">For evaluated run directories: the plotted forgetting measure (default forgetting_score when
    /// every row has it, else the source-domain NLL of the perplexity task).</param>
    public static ReportData Collect(string runsDir, CurveMetric? target = null, CurveMetric? forgetting = null)
    {
        if (!Directory.Exists(runsDir)) throw new LoraLabException($"{runsDir}: runs directory not found.");
        string whole = Path.Combine(runsDir, ReportFile);
        if (File.Exists(whole)) return ReportJson.Load(whole);
        var runs = new List<RunRecord>();
        foreach (var file in Directory.EnumerateFiles(runsDir, RunRecordFile, SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            try
            {
                runs.Add(JsonSerializer.Deserialize<RunRecord>(File.ReadAllText(file), ReportJson.Options)
                    ?? throw new LoraLabException($"{file}: the JSON is null; expected a run record."));
            }
            catch (JsonException e)
            {
                throw new LoraLabException($"{file}: invalid run record JSON at {e.Path}: {e.Message.ReplaceLineEndings(" ")}", e);
            }
        }
        var evaluated = EvaluatedRuns(runsDir);
        if (runs.Count == 0 && evaluated.Count == 0)
            throw new LoraLabException($"{runsDir}: no {ReportFile}, no */{RunRecordFile} and no run evaluated with `loralab eval --run` found; run a " +
                "sweep, the demo or eval --run first.");
        var targetSpec = new MetricSpec { Name = "target score", HigherIsBetter = true };
        var forgettingSpec = new MetricSpec { Name = "source score", HigherIsBetter = true };
        if (evaluated.Count > 0)
        {
            target ??= new CurveMetric(CurveMetric.TargetScore);
            forgetting ??= CurveMetric.DefaultForgetting(evaluated.SelectMany(d => CurveRow.ReadFile(Path.Combine(d, RunDirectoryRecord.CurvePath))));
            runs.AddRange(evaluated.Select(d => RunDirectoryRecord.Read(d, target, forgetting)));
            if (runs.Count == evaluated.Count)
            {
                targetSpec = new MetricSpec { Name = TargetName(evaluated[0], target), HigherIsBetter = target.HigherIsBetter };
                forgettingSpec = new MetricSpec { Name = forgetting.Key == CurveMetric.SourceNll ? "source NLL/token" : forgetting.Key,
                    HigherIsBetter = forgetting.HigherIsBetter };
            }
        }
        var data = new ReportData
        {
            Title = "LoRA vs full finetuning: learning and forgetting",
            Target = targetSpec,
            Forgetting = forgettingSpec,
            Runs = runs,
        };
        string settings = Path.Combine(runsDir, SettingsFile);
        if (File.Exists(settings))
        {
            // the settings file is a report.json whose "runs" list is empty (the runs come from the run records)
            ReportData? s;
            try
            {
                s = JsonSerializer.Deserialize<ReportData>(File.ReadAllText(settings), ReportJson.Options);
            }
            catch (JsonException e)
            {
                throw new LoraLabException($"{settings}: invalid report settings JSON at {e.Path}: {e.Message.ReplaceLineEndings(" ")}", e);
            }
            if (s is null) throw new LoraLabException($"{settings}: the JSON is null.");
            data = data with { Title = s.Title, Subtitle = s.Subtitle, Target = s.Target, Forgetting = s.Forgetting, DiversityName = s.DiversityName,
                Findings = s.Findings, SpectrumRunId = s.SpectrumRunId };
        }
        ReportValidator.Validate(data, runsDir);
        return data;
    }

    /// <summary>Run directories evaluated with eval --run that have no run_record.json: runsDir itself or its subdirectories.</summary>
    private static List<string> EvaluatedRuns(string runsDir)
    {
        var dirs = new[] { runsDir }.Concat(Directory.EnumerateDirectories(runsDir, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal));
        return dirs.Where(d => RunDirectoryRecord.IsEvaluatedRun(d) && !File.Exists(Path.Combine(d, RunRecordFile))).ToList();
    }

    private static string TargetName(string runDir, CurveMetric target)
    {
        if (target.Key != CurveMetric.TargetScore) return target.Key;
        var rows = CurveRow.ReadFile(Path.Combine(runDir, RunDirectoryRecord.CurvePath));
        return rows.Count > 0 && rows[0].TargetMetric is string name ? name : "target score";
    }
}
