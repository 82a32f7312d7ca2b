using System.Globalization;
using LoraLab.Reports;

namespace LoraLab.Experiments.Demo;

/// <summary>Turns the demo's results into the HTML/Markdown report (one figure per finding) and a console summary.</summary>
public static class DemoReport
{
    public static DemoSummary Write(string outDir, DemoStudy study, IReadOnlyList<Finding> findings, DemoOptions options)
    {
        var data = new ReportData
        {
            Title = "LoraLab demo: LoRA learns less and forgets less — in miniature",
            Subtitle = (options.BaseDir is null
                ? "A small Llama pretrained here on generated stories (source), finetuned on generated arithmetic word problems (target). "
                : $"Base model {options.BaseDir}; source text {options.SourceText}; target: generated arithmetic word problems. ") +
                $"Each method at its best learning rate (full {ReportFormat.LearningRate(study.FullLr)}, " +
                $"LoRA {ReportFormat.LearningRate(study.LoraLr)}); {study.Plan.Seeds.Count} seed(s); " +
                "findings as Biderman et al., TMLR 2024 (arXiv 2405.09673) state them.",
            Target = new MetricSpec { Name = "target (arithmetic) answer loss, nats/token", HigherIsBetter = false },
            Forgetting = new MetricSpec { Name = "source (stories) held-out loss, nats/token", HigherIsBetter = false },
            DiversityName = "distinct-2 of sampled solutions",
            Runs = study.Runs.Select(r => r.Record).ToList(),
            Findings = findings,
            SpectrumRunId = study.Full(study.Plan.Seeds[0])?.RunId,
        };
        string reportDir = Path.Combine(outDir, "report");
        ReportJson.Save(data, Path.Combine(outDir, "runs", RunCollection.ReportFile));
        string html = HtmlReport.Write(data, reportDir, DemoFigures.Render(study));
        return new DemoSummary(html, Path.Combine(reportDir, HtmlReport.MarkdownFile), findings);
    }

    public static void PrintSummary(TextWriter o, DemoStudy study, IReadOnlyList<Finding> findings)
    {
        string Row(string name, DemoMetrics m, string rank, string div, string secs) => string.Create(CultureInfo.InvariantCulture,
            $"| {name,-46} | {m.TargetLoss,11:F3} | {m.TargetAccuracy,10:P0} | {m.SourceLoss,11:F3} | {Pct(m.ClozeAccuracy),9} " +
            $"| {rank,7} | {(m.Intruders?.ToString(CultureInfo.InvariantCulture) ?? "-"),9} | {div,10} | {secs,6} |");
        o.WriteLine();
        o.WriteLine("| run                                            | target loss | target acc | source loss | cloze acc | ΔW rank " +
            "| intruders | distinct-2 | time s |");
        o.WriteLine("|------------------------------------------------|-------------|------------|-------------|-----------|---------" +
            "|-----------|------------|--------|");
        o.WriteLine(Row("base model", study.Baseline, "-", F($"{study.BaseDiversity.Distinct2:F3}"), "-"));
        foreach (var r in study.Runs)
            o.WriteLine(Row(r.RunId, r.Final, F($"{r.MeanDeltaRank:F1}"), F($"{r.Diversity.Distinct2:F3}"), F($"{r.Seconds:F0}")));
        o.WriteLine();
        foreach (var f in findings) o.WriteLine($"[{f.VerdictText}] {f.Statement}\n    {f.Evidence}");
        o.WriteLine($"[beyond] {DemoIntruderTrend.Describe(study)}");
        int held = findings.Count(f => f.Verdict == FindingVerdict.Holds), failed = findings.Count(f => f.Verdict == FindingVerdict.DoesNotHold);
        o.WriteLine($"\n{held} of {findings.Count} findings held, {failed} did not, {findings.Count - held - failed} inconclusive.");
    }

    /// <summary>A share as a whole percentage ("42 %"), or "n/a" for NaN (cloze accuracy when no cloze test ran).</summary>
    internal static string Pct(double v) => double.IsNaN(v) ? "n/a" : v.ToString("P0", CultureInfo.InvariantCulture);

    private static string F(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
