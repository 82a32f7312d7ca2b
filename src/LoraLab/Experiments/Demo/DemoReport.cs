using System.Globalization;
using System.Text.Json;
using LoraLab.Evaluation;
using LoraLab.Reports;

namespace LoraLab.Experiments.Demo;

/// <summary>Turns the demo's results into run records, the HTML/Markdown report and a console summary.</summary>
public static class DemoReport
{
    public static RunRecord ToRecord(DemoRunResult run) => new()
    {
        RunId = run.RunId,
        Method = run.Method,
        Rank = run.Rank,
        LearningRate = run.LearningRate,
        TargetModules = "all",
        Regime = "ift",
        Checkpoints = run.Evaluations.Select(e => new CheckpointPoint
        {
            Step = e.Step,
            TokensSeen = 0,
            Target = e.TargetLoss,
            Forgetting = e.SourceLoss,
            Diversity = e == run.Final ? run.Diversity.Distinct2 : null,
        }).ToList(),
        TrainingLoss = run.TrainingLoss.Select(p => new LossPoint { Step = p.Step, Loss = p.Loss }).ToList(),
        Spectrum = run.Spectrum.Select(Reports.ModuleSpectrum.From).ToList(),
    };

    public static void WriteRunRecord(DemoRunResult run) =>
        AtomicFile.WriteAllText(Path.Combine(run.RunDir, RunCollection.RunRecordFile), JsonSerializer.Serialize(ToRecord(run), ReportJson.Options));

    public static DemoSummary Write(string outDir, DemoMetrics baseline, DiversityResult baseDiversity, IReadOnlyList<DemoRunResult> runs,
        IReadOnlyList<Finding> findings, DemoOptions options)
    {
        var full = runs.Where(r => !r.IsLora).MinBy(r => r.Final.TargetLoss);
        var data = new ReportData
        {
            Title = "LoraLab demo: LoRA learns less and forgets less — in miniature",
            Subtitle = options.BaseDir is null
                ? "A small Llama pretrained here on generated stories (source), finetuned on generated arithmetic word problems (target)."
                : $"Base model {options.BaseDir}; source text {options.SourceText}; target: generated arithmetic word problems.",
            Target = new MetricSpec { Name = "target (arithmetic) answer loss, nats/token", HigherIsBetter = false },
            Forgetting = new MetricSpec { Name = "source (stories) held-out loss, nats/token", HigherIsBetter = false },
            DiversityName = "distinct-2 of sampled solutions",
            Runs = runs.Select(ToRecord).ToList(),
            Findings = findings,
            SpectrumRunId = full?.RunId,
        };
        string reportDir = Path.Combine(outDir, "report");
        ReportJson.Save(data, Path.Combine(outDir, "runs", RunCollection.ReportFile));
        string html = HtmlReport.Write(data, reportDir);
        return new DemoSummary(html, Path.Combine(reportDir, "summary.md"), findings);
    }

    public static void PrintSummary(TextWriter o, DemoMetrics baseline, DiversityResult baseDiversity, IReadOnlyList<DemoRunResult> runs, IReadOnlyList<Finding> findings)
    {
        string Row(string name, DemoMetrics m, string rank, string div, string secs) => string.Create(CultureInfo.InvariantCulture,
            $"| {name,-22} | {m.TargetLoss,11:F3} | {m.TargetAccuracy,10:P0} | {m.SourceLoss,11:F3} | {(double.IsNaN(m.ClozeAccuracy) ? "n/a" : m.ClozeAccuracy.ToString("P0", CultureInfo.InvariantCulture)),9} | {rank,8} | {div,10} | {secs,6} |");
        o.WriteLine();
        o.WriteLine("| run                    | target loss | target acc | source loss | cloze acc | ΔW rank  | distinct-2 | time s |");
        o.WriteLine("|------------------------|-------------|------------|-------------|-----------|----------|------------|--------|");
        o.WriteLine(Row("base model", baseline, "-", baseDiversity.Distinct2.ToString("F3", CultureInfo.InvariantCulture), "-"));
        foreach (var r in runs)
            o.WriteLine(Row(r.RunId, r.Final, r.MeanDeltaRank.ToString("F1", CultureInfo.InvariantCulture), r.Diversity.Distinct2.ToString("F3", CultureInfo.InvariantCulture), r.Seconds.ToString("F0", CultureInfo.InvariantCulture)));
        o.WriteLine();
        foreach (var f in findings) o.WriteLine($"[{(f.Holds ? "holds" : "does NOT hold")}] {f.Statement}\n    {f.Evidence}");
    }
}
