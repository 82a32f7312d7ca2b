using System.Globalization;
using LoraLab.Reports;

namespace LoraLab.Experiments.Demo;

/// <summary>
/// The study's seven findings (Biderman et al., "LoRA Learns Less and Forgets Less", TMLR 2024, arXiv 2405.09673), each
/// as the paper states it with its section, judged on the demo's runs seed by seed (<see cref="SeedVerdict"/>) with the
/// numbers. Each method is compared at its best learning rate (lowest final target loss), as the paper does.
/// </summary>
public static partial class DemoFindings
{
    /// <summary>Differences in loss (nats/token) smaller than this are too close to call.</summary>
    public const double LossTolerance = 0.01;

    /// <summary>Differences in distinct-2 smaller than this are too close to call.</summary>
    public const double DiversityTolerance = 0.005;

    /// <summary>A LoRA checkpoint is "on" full finetuning's trade-off curve when its forgetting is within this fraction of full's.</summary>
    public const double CurveTolerance = 1.0 / 3;

    /// <summary>The learning rate with the lowest final target loss, averaged over seeds, among the matching runs.</summary>
    public static double BestLr(IReadOnlyList<DemoRunResult> runs, Func<DemoRunResult, bool> method)
    {
        var byLr = runs.Where(r => method(r) && r.IsPlain && double.IsFinite(r.Final.TargetLoss)).GroupBy(r => r.LearningRate).ToList();
        if (byLr.Count == 0) throw new LoraLabException("demo: every run of a learning-rate sweep failed; see the error.log files under runs/");
        return byLr.MinBy(g => g.Average(r => r.Final.TargetLoss))!.Key;
    }

    public static IReadOnlyList<Finding> Evaluate(DemoStudy s) =>
    [
        LearnsLess(s), ForgetsLess(s), TradeOff(s), Regularisers(s), Diversity(s), DeltaRank(s), Practice(s),
    ];

    // (1) §4.1: LoRA's final target loss is higher than full finetuning's.
    private static Finding LearnsLess(DemoStudy s)
    {
        var pairs = Pairs(s, seed => s.Lora(seed));
        var margins = pairs.Select(p => p.Lora.Final.TargetLoss - p.Full.Final.TargetLoss).ToList();
        string statement = $"(1, §4.1) LoRA learns less of the target domain than full finetuning " +
            $"(r={s.Plan.SmallRank}, all modules; each at its best learning rate).";
        if (pairs.Count == 0) return Missing(statement);
        return new Finding
        {
            Statement = statement,
            Verdict = SeedVerdict.Of(margins, LossTolerance),
            Evidence = F($"final target loss (nats/token; lower = learned more): base {s.Baseline.TargetLoss:F3}; ") +
                F($"full {Mean(pairs, p => p.Full.Final.TargetLoss):F3} ") +
                F($"(acc {Mean(pairs, p => p.Full.Final.TargetAccuracy):P0}); LoRA r={s.Plan.SmallRank} {Mean(pairs, p => p.Lora.Final.TargetLoss):F3} ") +
                F($"(acc {Mean(pairs, p => p.Lora.Final.TargetAccuracy):P0}){LargeRank(s, r => r.Final.TargetLoss, "F3")}. ") +
                $"LoRA − full: {SeedVerdict.Spread(margins)}. Figure 1.",
        };
    }

    // (2) §4.2: LoRA's source-domain loss rises less than full finetuning's.
    private static Finding ForgetsLess(DemoStudy s)
    {
        var pairs = Pairs(s, seed => s.Lora(seed));
        var margins = pairs.Select(p => p.Full.Forgetting - p.Lora.Forgetting).ToList();
        const string statement = "(2, §4.2) LoRA forgets less of the source domain than full finetuning (each at its best learning rate).";
        if (pairs.Count == 0) return Missing(statement);
        double b = s.Baseline.SourceLoss, fullRise = Mean(pairs, p => p.Full.Forgetting), loraRise = Mean(pairs, p => p.Lora.Forgetting);
        string cloze = double.IsNaN(s.Baseline.ClozeAccuracy) ? "" :
            F($" Cloze accuracy on the source's world facts: base {s.Baseline.ClozeAccuracy:P0}, ") +
            F($"full {Mean(pairs, p => p.Full.Final.ClozeAccuracy):P0}, LoRA {Mean(pairs, p => p.Lora.Final.ClozeAccuracy):P0}.");
        return new Finding
        {
            Statement = statement,
            Verdict = SeedVerdict.Of(margins, LossTolerance),
            Evidence = F($"source held-out loss: base {b:F3}; full {b + fullRise:F3} ({fullRise:+0.000}, {fullRise / b:+0%}); ") +
                F($"LoRA r={s.Plan.SmallRank} {b + loraRise:F3} ({loraRise:+0.000}, {loraRise / b:+0%})") + LargeRank(s, r => r.Forgetting, "+0.000") +
                $". Full − LoRA rise: {SeedVerdict.Spread(margins)}." + cloze + " Figure 2 (forgetting along training).",
        };
    }

    // (3) §4.3: one learning–forgetting curve. LoRA sits at its learn-less/forget-less end (it learned less and forgot
    // less than full) and its checkpoints lie on full finetuning's curve — within CurveTolerance of full's forgetting at
    // the same target loss, neither clearly below (a free lunch) nor above.
    private static Finding TradeOff(DemoStudy s)
    {
        var outcomes = new List<bool?>();
        var residuals = new List<double>();
        var byRank = new Dictionary<int, List<double>>(); // each rank's residual per seed, for the evidence
        foreach (long seed in s.Seeds)
        {
            var full = s.Full(seed);
            var loras = new[] { s.Lora(seed), s.Lora(seed, rank: s.Plan.LargeRank) }.OfType<DemoRunResult>().ToList();
            if (full is null || loras.Count == 0) { outcomes.Add(null); continue; }
            var small = loras[0];
            bool atEnd = small.Final.TargetLoss > full.Final.TargetLoss && small.Forgetting < full.Forgetting;
            var curve = full.Evaluations.Select(e => (X: e.TargetLoss, Y: e.SourceLoss - s.Baseline.SourceLoss)).OrderBy(p => p.X).ToList();
            double scale = Math.Max(full.Forgetting, LossTolerance);
            // LoRA checkpoints within the target-loss range of full's curve: forgetting minus the curve there, over scale
            List<double> OffCurve(DemoRunResult r) => r.Evaluations.Skip(1)
                .Where(e => e.TargetLoss >= curve[0].X && e.TargetLoss <= curve[^1].X)
                .Select(e => (e.SourceLoss - s.Baseline.SourceLoss - Interpolate(curve, e.TargetLoss)) / scale).ToList();
            var perRun = loras.Select(r => (Rank: r.Rank ?? 0, Residuals: OffCurve(r))).ToList();
            var onCurve = perRun.SelectMany(r => r.Residuals).ToList();
            if (onCurve.Count == 0) { outcomes.Add(null); continue; }
            foreach (var (rank, own) in perRun.Where(r => r.Residuals.Count > 0))
                (byRank.TryGetValue(rank, out var l) ? l : byRank[rank] = []).Add(own.Average());
            double residual = onCurve.Average();
            residuals.Add(residual);
            outcomes.Add(atEnd && Math.Abs(residual) <= CurveTolerance);
        }
        string ranks = byRank.Count == 0 ? "" : " (by rank: " + string.Join("; ", byRank.OrderBy(kv => kv.Key)
            .Select(kv => $"r={kv.Key} {SeedVerdict.Brief(kv.Value)}")) + ")";
        return new Finding
        {
            Statement = "(3, §4.3) LoRA and full finetuning lie on one learning–forgetting trade-off curve, LoRA at its learn-less, forget-less end.",
            Verdict = SeedVerdict.All(outcomes),
            Evidence = "LoRA checkpoints' forgetting minus full finetuning's curve at the same target loss, as a fraction of full's final forgetting " +
                $"(|x| ≤ {CurveTolerance:0.00} counts as on the curve; < 0: below it, LoRA forgets less for the same learning): " +
                $"{SeedVerdict.Spread(residuals, "+0.00;-0.00")}{ranks}; LoRA at the learn-less/forget-less end: " +
                $"{string.Join(", ", s.Seeds.Select(seed => AtEnd(s, seed)))}. Figure 3.",
        };
    }

    // (4) §4.4: LoRA forgets less than full finetuning with weight decay, and than with dropout.
    private static Finding Regularisers(DemoStudy s)
    {
        var margins = new List<double>();
        var rows = new List<(DemoRunResult Lora, DemoRunResult Wd, DemoRunResult Drop, DemoRunResult? Full)>();
        foreach (long seed in s.Seeds)
        {
            if (s.Lora(seed) is not { } lora || s.FullWith(seed, true) is not { } wd || s.FullWith(seed, false) is not { } drop) continue;
            rows.Add((lora, wd, drop, s.Full(seed)));
            margins.Add(Math.Min(wd.Forgetting, drop.Forgetting) - lora.Forgetting);
        }
        string Avg(Func<DemoRunResult, double> f, Func<(DemoRunResult Lora, DemoRunResult Wd, DemoRunResult Drop, DemoRunResult? Full), DemoRunResult?> pick,
            string format = "+0.000;-0.000") =>
            rows.Select(pick).OfType<DemoRunResult>().Select(f).DefaultIfEmpty(double.NaN).Average().ToString(format, CultureInfo.InvariantCulture);
        double T(DemoRunResult r) => r.Final.TargetLoss;
        string statement = F($"(4, §4.4) LoRA forgets less than full finetuning regularised with weight decay ({s.Plan.WeightDecay:G2}) ") +
            F($"or dropout ({s.Plan.Dropout:G2}).");
        if (rows.Count == 0) return Missing(statement);
        return new Finding
        {
            Statement = statement,
            Verdict = SeedVerdict.Of(margins, LossTolerance),
            Evidence = $"source loss rise: LoRA r={s.Plan.SmallRank} {Avg(r => r.Forgetting, r => r.Lora)}, full {Avg(r => r.Forgetting, r => r.Full)}, " +
                $"full + weight decay {Avg(r => r.Forgetting, r => r.Wd)}, full + dropout {Avg(r => r.Forgetting, r => r.Drop)}; their target losses " +
                $"(learning, lower = more): LoRA {Avg(T, r => r.Lora, "F3")}, full {Avg(T, r => r.Full, "F3")}, " +
                $"weight decay {Avg(T, r => r.Wd, "F3")}, dropout {Avg(T, r => r.Drop, "F3")}. " +
                $"Less forgetting of the better regularised full run than LoRA's: {SeedVerdict.Spread(margins)}. Figure 4.",
        };
    }

    // (5) §4.4: LoRA's sampled solutions are more diverse (distinct-2) than full finetuning's.
    private static Finding Diversity(DemoStudy s)
    {
        var pairs = Pairs(s, seed => s.Lora(seed));
        var margins = pairs.Select(p => p.Lora.Diversity.Distinct2 - p.Full.Diversity.Distinct2).ToList();
        const string statement = "(5, §4.4) LoRA keeps generations more diverse than full finetuning.";
        if (pairs.Count == 0) return Missing(statement);
        return new Finding
        {
            Statement = statement,
            Verdict = SeedVerdict.Of(margins, DiversityTolerance),
            Evidence = F($"distinct-2 of {s.Plan.DiversitySamples} sampled (T = 1) solutions to each of 4 test problems: ") +
                F($"base {s.BaseDiversity.Distinct2:F3}, ") +
                F($"full {Mean(pairs, p => p.Full.Diversity.Distinct2):F3}, LoRA r={s.Plan.SmallRank} {Mean(pairs, p => p.Lora.Diversity.Distinct2):F3}") +
                LargeRank(s, r => r.Diversity.Distinct2, "F3") + $". LoRA − full: {SeedVerdict.Spread(margins, "+0.000;-0.000")}. Figure 5.",
        };
    }

    private sealed record Pair(DemoRunResult Full, DemoRunResult Lora);

    // A comparison whose runs are missing (they failed: see the runs' error.log) cannot be judged.
    private static Finding Missing(string statement) => new()
    {
        Statement = statement,
        Verdict = FindingVerdict.Inconclusive,
        Evidence = "not measured: a run this comparison needs failed (see error.log under runs/).",
    };

    // The (full, LoRA) runs of each seed where both exist.
    private static List<Pair> Pairs(DemoStudy s, Func<long, DemoRunResult?> lora) =>
        s.Seeds.Select(seed => (Full: s.Full(seed), Lora: lora(seed)))
            .Where(p => p.Full is not null && p.Lora is not null).Select(p => new Pair(p.Full!, p.Lora!)).ToList();

    private static double Mean(List<Pair> pairs, Func<Pair, double> f) => pairs.Count == 0 ? double.NaN : pairs.Average(f);

    // "; LoRA r=16 x" over the seeds that ran the large rank on all modules.
    private static string LargeRank(DemoStudy s, Func<DemoRunResult, double> f, string format)
    {
        var runs = s.Seeds.Select(seed => s.Lora(seed, rank: s.Plan.LargeRank)).OfType<DemoRunResult>().ToList();
        return runs.Count == 0 ? "" : $"; LoRA r={s.Plan.LargeRank} {runs.Average(f).ToString(format, CultureInfo.InvariantCulture)}";
    }

    private static string AtEnd(DemoStudy s, long seed) =>
        s.Full(seed) is { } full && s.Lora(seed) is { } lora
            ? (lora.Final.TargetLoss > full.Final.TargetLoss && lora.Forgetting < full.Forgetting ? "yes" : "no")
            : "n/a";

    // Piecewise-linear y(x) through points sorted by x; x within [first, last].
    private static double Interpolate(List<(double X, double Y)> curve, double x)
    {
        for (int i = 1; i < curve.Count; i++)
        {
            if (x > curve[i].X) continue;
            var (a, b) = (curve[i - 1], curve[i]);
            return b.X == a.X ? Math.Min(a.Y, b.Y) : a.Y + (b.Y - a.Y) * (x - a.X) / (b.X - a.X);
        }
        return curve[^1].Y;
    }

    private static string F(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
