using System.Globalization;
using LoraLab.Reports;

namespace LoraLab.Experiments.Demo;

/// <summary>Findings (6) and (7): the rank of full finetuning's weight change, and the practical recipe.</summary>
public static partial class DemoFindings
{
    /// <summary>§4.5: full finetuning's ΔW needs a rank 10–100× typical LoRA ranks for 90% of its variance.</summary>
    public const double RankRatio = 10;

    /// <summary>§4.6 "~10×": the ratio of best learning rates counts as about ten within a factor of √10 either way.</summary>
    public const double LrRatioLow = 3, LrRatioHigh = 30;

    // (6) §4.5: mean rank for 90% of full finetuning's ΔW's variance over the typical (small) LoRA rank.
    private static Finding DeltaRank(DemoStudy s)
    {
        var fulls = s.Seeds.Select(s.Full).OfType<DemoRunResult>().Where(r => r.Spectrum.Count > 0).ToList();
        var ratios = fulls.Select(r => r.MeanDeltaRank / s.Plan.SmallRank).ToList();
        var verdict = ratios.Count == 0 ? FindingVerdict.Inconclusive
            : ratios.All(x => x >= RankRatio) ? FindingVerdict.Holds
            : ratios.All(x => x < RankRatio) ? FindingVerdict.DoesNotHold : FindingVerdict.Inconclusive;
        var loras = s.Runs.Where(r => r.IsLora && r.Spectrum.Count > 0).ToList();
        long minDim = fulls.SelectMany(r => r.Spectrum).Select(m => Math.Min(m.Rows, m.Cols)).DefaultIfEmpty(0).Min();
        return new Finding
        {
            Statement = $"(6, §4.5) Full finetuning's weight change ΔW needs a rank {RankRatio:0}–100× typical LoRA ranks " +
                $"(r={s.Plan.SmallRank} here) to explain 90% of its variance.",
            Verdict = verdict,
            Evidence = F($"mean rank for 90% of ΔW's variance over layers and modules: full {Avg(fulls, r => r.MeanDeltaRank):F1} ") +
                F($"(a random matrix of the same shapes: {Avg(fulls, r => r.MeanRandomRank):F1}; smallest dimension {minDim}), ") +
                $"that is {SeedVerdict.Spread(ratios, "0.0'×'")} r={s.Plan.SmallRank}; LoRA's own ΔW ranks: " +
                string.Join(", ", loras.GroupBy(r => r.Rank).OrderBy(g => g.Key).Select(g => F($"r={g.Key}: {g.Average(r => r.MeanDeltaRank):F1}"))) +
                F($". (The paper: 10–100× r=16 in 4096 dimensions; here {minDim} dimensions cap the ratio at ") +
                F($"{minDim / (double)s.Plan.SmallRank:0}×.) Figure 6."),
        };
    }

    private static string Lr(double lr) => ReportFormat.LearningRate(lr);

    // " (the top of its grid: the optimum may lie higher)", likewise at the bottom; "" for a rate inside its grid.
    private static string GridEdge(double best, IReadOnlyList<double> grid) =>
        best >= grid.Max() ? " (the top of its grid: the optimum may lie higher)"
        : best <= grid.Min() ? " (the bottom of its grid: the optimum may lie lower)" : "";

    private static double Avg(List<DemoRunResult> runs, Func<DemoRunResult, double> f) => runs.Count == 0 ? double.NaN : runs.Average(f);

    // (7) §4.6: LoRA's best learning rate is about 10× full finetuning's; target modules all > MLP > attention (lower
    // final target loss at LoRA's best rate, at the small rank and — when the plan runs it — the large one). A best rate
    // at an end of its grid only bounds the optimum (it may lie beyond): the ratio is then the grid's, not the data's,
    // and the learning-rate half of the finding is inconclusive.
    private static Finding Practice(DemoStudy s)
    {
        double ratio = s.LoraLr / s.FullLr;
        bool lrHolds = ratio >= LrRatioLow && ratio <= LrRatioHigh;
        string fullEdge = GridEdge(s.FullLr, s.Plan.FullLrs), loraEdge = GridEdge(s.LoraLr, s.Plan.LoraLrs);
        bool atEdge = fullEdge.Length > 0 || loraEdge.Length > 0;
        var ranks = new[] { s.Plan.SmallRank, s.Plan.LargeRank };
        var orders = new List<bool?>();
        var texts = new List<string>();
        foreach (long seed in s.Seeds)
        {
            foreach (int rank in ranks)
            {
                var (all, mlp, attn) = (s.Lora(seed, "all", rank), s.Lora(seed, "mlp", rank), s.Lora(seed, "attention", rank));
                if (all is null || mlp is null || attn is null) continue;
                orders.Add(all.Final.TargetLoss < mlp.Final.TargetLoss && mlp.Final.TargetLoss < attn.Final.TargetLoss);
                texts.Add(F($"r={rank} seed {seed}: all {all.Final.TargetLoss:F3}, MLP {mlp.Final.TargetLoss:F3}, attention {attn.Final.TargetLoss:F3}"));
            }
        }
        var order = SeedVerdict.All(orders);
        var verdict = order == FindingVerdict.DoesNotHold ? FindingVerdict.DoesNotHold
            : atEdge ? FindingVerdict.Inconclusive
            : !lrHolds ? FindingVerdict.DoesNotHold
            : order == FindingVerdict.Holds ? FindingVerdict.Holds : FindingVerdict.Inconclusive;
        string Sweep(bool lora) => string.Join(", ", s.Seeds.SelectMany(seed => s.LrSweep(lora, seed))
            .GroupBy(r => r.LearningRate).OrderBy(g => g.Key).Select(g => F($"{Lr(g.Key)} → {g.Average(r => r.Final.TargetLoss):F3}")));
        return new Finding
        {
            Statement = "(7, §4.6) In practice: LoRA's best learning rate is about 10× full finetuning's, and LoRA on all modules " +
                "learns more than on MLP only, more than on attention only.",
            Verdict = verdict,
            Evidence = F($"best learning rate by final target loss: full {Lr(s.FullLr)}{fullEdge}, LoRA {Lr(s.LoraLr)}{loraEdge}, ratio {ratio:0.#}× ") +
                (lrHolds ? "(about 10×); " : F($"(outside {LrRatioLow:0}–{LrRatioHigh:0}×); ")) +
                $"sweeps (lr → target loss): full {Sweep(false)}; LoRA {Sweep(true)}. Target modules (final target loss, lower = learned more): " +
                (texts.Count == 0 ? "not run" : string.Join("; ", texts)) +
                $" — all > MLP > attention: {order switch { FindingVerdict.Holds => "yes", FindingVerdict.DoesNotHold => "no", _ => "mixed" }}. Figure 7.",
        };
    }
}
