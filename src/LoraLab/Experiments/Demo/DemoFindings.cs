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

        // (2) LoRA forgets less: rise of the source-domain loss over the base model, averaged per method
        double fullForget = full.Average(r => r.Final.SourceLoss - baseline.SourceLoss);
        double loraForget = lora.Average(r => r.Final.SourceLoss - baseline.SourceLoss);
        findings.Add(new Finding
        {
            Statement = "LoRA forgets less of the source domain than full finetuning.",
            Holds = loraForget < fullForget,
            Evidence = F($"mean rise of source loss over the base ({baseline.SourceLoss:F3}): full {fullForget:+0.000;-0.000}, LoRA {loraForget:+0.000;-0.000}; cloze accuracy: base {baseline.ClozeAccuracy:P0}, full {full.Average(r => r.Final.ClozeAccuracy):P0}, LoRA {lora.Average(r => r.Final.ClozeAccuracy):P0}"),
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
            Evidence = F($"distinct-2 of sampled story continuations: base {baseDiversity.Distinct2:F3}, full {fullDiv:F3}, LoRA {loraDiv:F3}"),
        });
        return findings;
    }

    private static string F(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
