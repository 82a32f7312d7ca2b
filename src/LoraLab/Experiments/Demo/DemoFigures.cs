using System.Globalization;
using LoraLab.Reports;
using ScottPlot;

namespace LoraLab.Experiments.Demo;

/// <summary>
/// One figure per finding, numbered as the findings are: learning curves (1), forgetting curves (2), the trade-off (3),
/// the regularisation baselines (4), diversity (5), ΔW's rank (6), the learning-rate sweeps (7) and target modules (7b);
/// then intruder dimensions against forgetting (beyond the paper).
/// Full finetuning is drawn in black, LoRA in colours, regularised full finetuning in greys.
/// </summary>
public static class DemoFigures
{
    private static readonly Color FullColor = Color.FromHex("#222222"), LoraColor = Color.FromHex("#1f77b4"),
        LargeColor = Color.FromHex("#ff7f0e"), WdColor = Color.FromHex("#8c564b"), DropColor = Color.FromHex("#9e9e9e"),
        BaseColor = Color.FromHex("#2ca02c");

    private static readonly LinePattern[] Patterns = [LinePattern.Solid, LinePattern.Dashed, LinePattern.Dotted, LinePattern.DenselyDashed];

    private sealed record Series(string Label, double[] X, double[] Y, Color Color, LinePattern Pattern);

    public static IReadOnlyList<ReportFigure> Render(DemoStudy s)
    {
        var figures = new List<ReportFigure>
        {
            new("finding1_learning.png", "Finding 1: learning curves",
                "Target-domain answer loss against finetuning tokens, each method at its best learning rate (one line per seed); lower is more learned.",
                Lines("Learning: target loss along training", "tokens seen", "target answer loss (nats/token)",
                    Best(s).Select(r => Along(r, e => e.TargetLoss, ColorOf(s, r))).ToList())),
            new("finding2_forgetting.png", "Finding 2: forgetting curves",
                "Source-domain held-out loss against finetuning tokens for every run of both learning-rate sweeps (the shape of forgetting): " +
                "black full finetuning, blue LoRA; a darker line is a higher learning rate.",
                Lines("Forgetting: source loss along training", "tokens seen", "source held-out loss (nats/token)",
                    s.Seeds.Take(1).SelectMany(seed => s.LrSweep(false, seed).Concat(s.LrSweep(true, seed)))
                        .Select(r => Along(r, e => e.SourceLoss, Shade(s, r))).ToList())),
            new("finding3_tradeoff.png", "Finding 3: the learning–forgetting trade-off",
                "Every checkpoint of the best-rate runs (and the base model, where all start): learning on x (target loss, lower = more), " +
                "forgetting on y (source loss). One curve through both methods, LoRA at its learn-less, forget-less end.",
                Lines("Learning vs forgetting", "target answer loss (nats/token; lower = learned more)", "source held-out loss (nats/token)",
                    Best(s).Select(r => new Series(Name(r), [.. r.Evaluations.Select(e => e.TargetLoss)],
                        [.. r.Evaluations.Select(e => e.SourceLoss)], ColorOf(s, r), LinePattern.Solid)).ToList(), markers: true)),
            new("finding4_regularisation.png", "Finding 4: LoRA against regularised full finetuning",
                "Rise of the source loss over the base model (forgetting, left bars) and the final target loss (learning, right bars), mean over seeds.",
                Bars("Forgetting (source loss rise) | learning (target loss)", "nats/token", Regularised(s))),
            new("finding5_diversity.png", "Finding 5: generation diversity",
                "distinct-2 of sampled worked solutions (T = 1) to four test problems, mean over seeds.",
                Bars("Diversity of sampled solutions", "distinct-2",
                    [("base", s.BaseDiversity.Distinct2, BaseColor), .. Picks(s).Select(p => (p.Label, p.Runs.Average(r => r.Diversity.Distinct2), p.Color))])),
            new("finding6_rank.png", "Finding 6: the rank of ΔW",
                "Mean rank needed for 90% of ΔW's variance (over layers and modules), beside random matrices of the same shapes and the LoRA ranks used.",
                Bars("Rank for 90% of ΔW's variance", "rank", Ranks(s))),
            new("finding7_lr_sweep.png", "Finding 7: learning-rate sweeps",
                "Final target loss against learning rate (log scale) for full finetuning and LoRA (all modules), one line per seed; " +
                "each method's best rate is its minimum.",
                Lines("Learning-rate sweeps", "log10(learning rate)", "final target loss (nats/token)",
                    s.Seeds.SelectMany((seed, i) => new[] { false, true }.Select(lora => LrLine(s, lora, seed, i))).ToList(), markers: true)),
            new("finding7b_targets.png", "Finding 7b: target modules",
                "Final target loss of LoRA on all, MLP-only and attention-only modules at LoRA's best learning rate, mean over seeds; lower is more learned.",
                Bars("LoRA target modules", "final target loss (nats/token)", Targets(s))),
            new("intruders.png", "Beyond the paper: intruder dimensions and forgetting",
                "Forgetting (source loss rise) against intruder dimensions at the final checkpoint of every run of the first seed, " +
                "joined to the base model at (0, 0). " + DemoIntruderTrend.Describe(s),
                Lines("Intruder dimensions vs forgetting", "intruder dimensions (sum over projections)", "source loss rise (nats/token)",
                    s.Runs.Where(r => r.Seed == s.Plan.Seeds[0]).Select(IntruderLine(s)).ToList(), markers: true)),
        };
        return figures;
    }

    // Full and LoRA (both ranks, all modules) at their best rates, every seed.
    private static IEnumerable<DemoRunResult> Best(DemoStudy s) => s.Seeds.SelectMany(seed =>
        new[] { s.Full(seed), s.Lora(seed), s.Lora(seed, rank: s.Plan.LargeRank) }.OfType<DemoRunResult>());

    // A run's checkpoints that measured intruders: (intruders, source loss rise).
    private static Func<DemoRunResult, Series> IntruderLine(DemoStudy s) => r =>
    {
        var points = r.Evaluations.Where(e => e.Intruders is not null).ToList();
        return new Series(Name(r), [.. points.Select(e => (double)e.Intruders!.Value)],
            [.. points.Select(e => e.SourceLoss - r.Evaluations[0].SourceLoss)], ColorOf(s, r), LinePattern.Solid);
    };

    private static Series Along(DemoRunResult r, Func<DemoMetrics, double> y, Color color) =>
        new(Name(r), [.. r.Evaluations.Select(e => (double)e.TokensSeen)], [.. r.Evaluations.Select(y)], color, Patterns[(int)(r.Seed % Patterns.Length)]);

    private static string Name(DemoRunResult r) => $"{r.Label}, seed {r.Seed}";

    private static Color ColorOf(DemoStudy s, DemoRunResult r) =>
        !r.IsLora ? (r.WeightDecay > 0 ? WdColor : r.Dropout > 0 ? DropColor : FullColor) : r.Rank == s.Plan.LargeRank ? LargeColor : LoraColor;

    // Darker for a higher learning rate within its method's sweep.
    private static Color Shade(DemoStudy s, DemoRunResult r)
    {
        var lrs = r.IsLora ? s.Plan.LoraLrs : s.Plan.FullLrs;
        double t = lrs.Count <= 1 ? 1 : (double)lrs.ToList().IndexOf(r.LearningRate) / (lrs.Count - 1);
        var c = r.IsLora ? LoraColor : FullColor;
        return c.WithAlpha(0.3 + 0.7 * t);
    }

    private static IEnumerable<(string Label, List<DemoRunResult> Runs, Color Color)> Picks(DemoStudy s)
    {
        var picks = new (string, Func<long, DemoRunResult?>, Color)[]
        {
            ("full", s.Full, FullColor), ($"LoRA r={s.Plan.SmallRank}", seed => s.Lora(seed), LoraColor),
            ($"LoRA r={s.Plan.LargeRank}", seed => s.Lora(seed, rank: s.Plan.LargeRank), LargeColor),
        };
        foreach (var (label, pick, color) in picks)
        {
            var runs = s.Seeds.Select(pick).OfType<DemoRunResult>().ToList();
            if (runs.Count > 0) yield return (label, runs, color);
        }
    }

    private static List<(string, double, Color)> Regularised(DemoStudy s)
    {
        var groups = new (string Label, Func<long, DemoRunResult?> Pick, Color Color)[]
        {
            ("full", s.Full, FullColor), ("full + wd", seed => s.FullWith(seed, true), WdColor),
            ("full + dropout", seed => s.FullWith(seed, false), DropColor), ($"LoRA r={s.Plan.SmallRank}", seed => s.Lora(seed), LoraColor),
        };
        var bars = new List<(string, double, Color)>();
        foreach (bool forgetting in new[] { true, false })
        {
            foreach (var (label, pick, color) in groups)
            {
                var runs = s.Seeds.Select(pick).OfType<DemoRunResult>().ToList();
                if (runs.Count == 0) continue;
                bars.Add(($"{label}\n{(forgetting ? "forgetting" : "target loss")}", runs.Average(r => forgetting ? r.Forgetting : r.Final.TargetLoss), color));
            }
        }
        return bars;
    }

    private static List<(string, double, Color)> Ranks(DemoStudy s)
    {
        var fulls = s.Seeds.Select(s.Full).OfType<DemoRunResult>().ToList();
        var bars = new List<(string, double, Color)>();
        if (fulls.Count > 0)
        {
            bars.Add(("full ΔW", fulls.Average(r => r.MeanDeltaRank), FullColor));
            bars.Add(("random", fulls.Average(r => r.MeanRandomRank), DropColor));
        }
        foreach (var (label, runs, color) in Picks(s).Where(p => p.Label != "full"))
            bars.Add(($"{label} ΔW", runs.Average(r => r.MeanDeltaRank), color));
        return bars;
    }

    private static List<(string, double, Color)> Targets(DemoStudy s)
    {
        var bars = new List<(string, double, Color)>();
        foreach (int rank in new[] { s.Plan.SmallRank, s.Plan.LargeRank })
        {
            foreach (string t in new[] { "all", "mlp", "attention" })
            {
                var runs = s.Seeds.Select(seed => s.Lora(seed, t, rank)).OfType<DemoRunResult>().ToList();
                if (runs.Count > 0) bars.Add(($"r={rank}\n{t}", runs.Average(r => r.Final.TargetLoss), rank == s.Plan.SmallRank ? LoraColor : LargeColor));
            }
        }
        return bars;
    }

    private static Series LrLine(DemoStudy s, bool lora, long seed, int i)
    {
        var runs = s.LrSweep(lora, seed).Where(r => double.IsFinite(r.Final.TargetLoss)).ToList();
        return new Series($"{(lora ? $"LoRA r={s.Plan.SmallRank}" : "full")}, seed {seed}", [.. runs.Select(r => Math.Log10(r.LearningRate))],
            [.. runs.Select(r => r.Final.TargetLoss)], lora ? LoraColor : FullColor, Patterns[i % Patterns.Length]);
    }

    private static byte[] Lines(string title, string x, string y, IReadOnlyList<Series> series, bool markers = false)
    {
        var plot = new Plot();
        foreach (var line in series.Where(l => l.X.Length > 0))
        {
            var scatter = plot.Add.Scatter(line.X, line.Y, line.Color);
            scatter.LineWidth = 1.5f;
            scatter.LinePattern = line.Pattern;
            scatter.MarkerSize = markers ? 7 : 4;
            scatter.LegendText = line.Label;
        }
        plot.Title(title);
        plot.XLabel(x);
        plot.YLabel(y);
        plot.ShowLegend(Alignment.UpperRight);
        return PlotImage.Png(plot, 900, 550);
    }

    private static byte[] Bars(string title, string y, IReadOnlyList<(string Label, double Value, Color Color)> bars)
    {
        var plot = new Plot();
        plot.Add.Bars(bars.Select((b, i) => new Bar { Position = i, Value = b.Value, FillColor = b.Color, Size = 0.7 }).ToList());
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(
            Enumerable.Range(0, bars.Count).Select(i => (double)i).ToArray(), bars.Select(b => b.Label).ToArray());
        foreach (var (b, i) in bars.Select((b, i) => (b, i)))
            plot.Add.Text(b.Value.ToString("0.###", CultureInfo.InvariantCulture), i, b.Value).LabelFontSize = 11;
        plot.Axes.Margins(bottom: 0);
        plot.Title(title);
        plot.YLabel(y);
        return PlotImage.Png(plot, 900, 500);
    }
}
