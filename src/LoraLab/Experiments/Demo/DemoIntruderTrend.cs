using System.Globalization;

namespace LoraLab.Experiments.Demo;

/// <summary>
/// Whether intruder dimensions and forgetting grow together (Shuttleworth et al. report that full finetuning's and
/// high-rank LoRA's intruders go with forgetting): per run, the intruder count and the source-loss rise at the
/// checkpoints that counted intruders (the final one), and Spearman's rank correlation of the two over all runs.
/// </summary>
public static class DemoIntruderTrend
{
    /// <summary>Every finetuned checkpoint (the base model left out) with its intruder count: (run, intruders, forgetting).</summary>
    public static IReadOnlyList<(DemoRunResult Run, int Intruders, double Forgetting)> Points(DemoStudy s) =>
        s.Runs.SelectMany(r => r.Evaluations.Skip(1).Where(e => e.Intruders is not null && double.IsFinite(e.SourceLoss))
            .Select(e => (r, e.Intruders!.Value, e.SourceLoss - r.Evaluations[0].SourceLoss))).ToList();

    /// <summary>Spearman's ρ (Pearson's correlation of average ranks, ties shared); NaN with fewer than 3 points or no spread.</summary>
    public static double Spearman(IReadOnlyList<double> x, IReadOnlyList<double> y)
    {
        if (x.Count != y.Count) throw new ArgumentException("x and y must have the same length");
        if (x.Count < 3) return double.NaN;
        double[] rx = Ranks(x), ry = Ranks(y);
        double mx = rx.Average(), my = ry.Average();
        double sxy = 0, sxx = 0, syy = 0;
        for (int i = 0; i < rx.Length; i++)
        {
            sxy += (rx[i] - mx) * (ry[i] - my);
            sxx += (rx[i] - mx) * (rx[i] - mx);
            syy += (ry[i] - my) * (ry[i] - my);
        }
        return sxx == 0 || syy == 0 ? double.NaN : sxy / Math.Sqrt(sxx * syy);
    }

    /// <summary>One line for the summary and the report: the counts at the best rates and the correlation with forgetting.</summary>
    public static string Describe(DemoStudy s)
    {
        var points = Points(s);
        double rho = Spearman(points.Select(p => (double)p.Intruders).ToList(), points.Select(p => p.Forgetting).ToList());
        string At(string label, IEnumerable<DemoRunResult?> runs)
        {
            var finals = runs.OfType<DemoRunResult>().Where(r => r.Final.Intruders is not null).ToList();
            return finals.Count == 0 ? ""
                : F($"{label} {finals.Average(r => r.Final.Intruders!.Value):0.#} (forgetting {finals.Average(r => r.Forgetting):+0.000;-0.000}); ");
        }
        string verdict = double.IsNaN(rho) ? "too few points to say"
            : rho >= 0.5 ? "they grow together" : rho > 0.2 ? "they grow together only loosely" : "they do not grow together here";
        return "Intruder dimensions (Shuttleworth et al.; top-10 singular vectors of each projection with no base vector within cosine 0.5, " +
            "summed over the model's projections) at the end of training: " +
            At("full", s.Seeds.Select(s.Full)) + At($"LoRA r={s.Plan.SmallRank}", s.Seeds.Select(seed => s.Lora(seed))) +
            At($"LoRA r={s.Plan.LargeRank}", s.Seeds.Select(seed => s.Lora(seed, rank: s.Plan.LargeRank))) +
            F($"over the final checkpoints of all {points.Count} runs, Spearman ρ(intruders, forgetting) = {rho:0.00}: {verdict}.");
    }

    // Average ranks, 1-based; tied values share the mean of their ranks.
    private static double[] Ranks(IReadOnlyList<double> v)
    {
        var order = Enumerable.Range(0, v.Count).OrderBy(i => v[i]).ToArray();
        var ranks = new double[v.Count];
        for (int i = 0; i < order.Length;)
        {
            int j = i;
            while (j + 1 < order.Length && v[order[j + 1]] == v[order[i]]) j++;
            for (int k = i; k <= j; k++) ranks[order[k]] = (i + j) / 2.0 + 1;
            i = j + 1;
        }
        return ranks;
    }

    private static string F(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
