using System.Globalization;
using LoraLab.Evaluation;
using LoraLab.Reports;

namespace LoraLab.Experiments.Demo;

/// <summary>
/// Checks the study's four findings on the demo's runs, honestly: each is stated with whether it held and the numbers.
/// </summary>
public static class DemoFindings
{
    public static IReadOnlyList<Finding> Evaluate(DemoMetrics baseline, DiversityResult baseDiversity, IReadOnlyList<DemoRunResult> runs)
    {
        var full = runs.Where(r => !r.IsLora).ToList();
        var lora = runs.Where(r => r.IsLora).ToList();
        if (full.Count == 0 || lora.Count == 0)
            return new[] { new Finding { Statement = "The comparison needs both full finetuning and LoRA runs.", Holds = false, Evidence = "one of the two methods has no run" } };
        var findings = new List<Finding>();

        // (1) full finetuning learns the target more than low-rank LoRA (best run of each; lower target loss = more learning)
        int lowRank = lora.Min(r => r.Rank ?? 0);
        var bestFull = full.MinBy(r => r.Final.TargetLoss)!;
        var bestLow = lora.Where(r => r.Rank == lowRank).MinBy(r => r.Final.TargetLoss)!;
        findings.Add(new Finding
        {
            Statement = $"Full finetuning learns the target domain more than low-rank LoRA (r={lowRank}).",
            Holds = bestFull.Final.TargetLoss < bestLow.Final.TargetLoss,
            Evidence = F($"best full run: target loss {bestFull.Final.TargetLoss:F3} (acc {bestFull.Final.TargetAccuracy:P0}); best LoRA r={lowRank}: {bestLow.Final.TargetLoss:F3} (acc {bestLow.Final.TargetAccuracy:P0}); base model {baseline.TargetLoss:F3}"),
        });

        // (2) LoRA forgets less at the same amount of learning: along each method's learning-forgetting frontier (the least
        // source loss reached by any checkpoint at or below a target loss), averaged over the target losses both reach
        var fullPoints = full.SelectMany(r => r.Evaluations.Skip(1)).Select(e => (e.TargetLoss, e.SourceLoss)).ToList();
        var loraPoints = lora.SelectMany(r => r.Evaluations.Skip(1)).Select(e => (e.TargetLoss, e.SourceLoss)).ToList();
        double lo = Math.Max(fullPoints.Min(p => p.TargetLoss), loraPoints.Min(p => p.TargetLoss));
        double hi = baseline.TargetLoss;
        var grid = Enumerable.Range(0, 21).Select(i => lo + (hi - lo) * i / 20.0).ToList();
        double Frontier(List<(double TargetLoss, double SourceLoss)> pts, double t) =>
            pts.Where(p => p.TargetLoss <= t + 1e-12).Select(p => p.SourceLoss).DefaultIfEmpty(baseline.SourceLoss).Min();
        double fullForget = grid.Average(t => Frontier(fullPoints, t)) - baseline.SourceLoss;
        double loraForget = grid.Average(t => Frontier(loraPoints, t)) - baseline.SourceLoss;
        double fullFinal = full.Average(r => r.Final.SourceLoss - baseline.SourceLoss);
        double loraFinal = lora.Average(r => r.Final.SourceLoss - baseline.SourceLoss);
        findings.Add(new Finding
        {
            Statement = "LoRA forgets less of the source domain than full finetuning for the same amount of learning.",
            Holds = loraForget < fullForget,
            Evidence = F($"rise of source loss over the base ({baseline.SourceLoss:F3}) along each method's learning-forgetting frontier, averaged over target losses {lo:F2}–{hi:F2}: full {fullForget:+0.000;-0.000}, LoRA {loraForget:+0.000;-0.000} (at the end of training, mean over runs: full {fullFinal:+0.000;-0.000}, LoRA {loraFinal:+0.000;-0.000})")
                + (double.IsNaN(baseline.ClozeAccuracy) ? "" : F($"; cloze accuracy: base {baseline.ClozeAccuracy:P0}, full {full.Average(r => r.Final.ClozeAccuracy):P0}, LoRA {lora.Average(r => r.Final.ClozeAccuracy):P0}")),
        });

        // (3) full finetuning's ΔW needs a far higher rank than LoRA's r for 90% of its variance
        double fullRank = full.Average(r => r.MeanDeltaRank);
        int maxR = lora.Max(r => r.Rank ?? 0);
        double randomRank = full[0].Spectrum.Average(s => s.RandomRank);
        findings.Add(new Finding
        {
            Statement = "Full finetuning's weight change needs a far higher rank than LoRA's r to explain 90% of its variance.",
            Holds = fullRank >= 2.0 * maxR,
            Evidence = F($"mean rank for 90% of ΔW's variance: full {fullRank:F1} (a random matrix of the same shapes: {randomRank:F1}); LoRA ranks used: {string.Join(", ", lora.Select(r => r.Rank).Distinct())}; LoRA ΔW ranks: {string.Join(", ", lora.Select(r => r.MeanDeltaRank.ToString("F1", CultureInfo.InvariantCulture)))}"),
        });

        // (4) LoRA keeps more diverse generations (distinct-2 of sampled source-domain continuations)
        double fullDiv = full.Average(r => r.Diversity.Distinct2);
        double loraDiv = lora.Average(r => r.Diversity.Distinct2);
        findings.Add(new Finding
        {
            Statement = "LoRA keeps more diverse generations than full finetuning.",
            Holds = loraDiv > fullDiv,
            Evidence = F($"distinct-2 of sampled worked solutions to test problems (T = 1): base {baseDiversity.Distinct2:F3}, full {fullDiv:F3}, LoRA {loraDiv:F3}"),
        });
        return findings;
    }

    private static string F(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
