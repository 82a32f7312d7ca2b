using ScottPlot;

namespace LoraLab.Reports;

/// <summary>
/// Per run: the mean over modules of ΔW's rank for 90% variance next to the mean random-matrix baseline of the same
/// shapes, with each LoRA run's rank r marked (ΔW of a LoRA run cannot exceed it).
/// </summary>
public static class SpectrumSummaryPlot
{
    /// <summary>PNG of the summary, or null when no run has a spectrum.</summary>
    public static byte[]? Render(ReportData data, int width = 900, int height = 500)
    {
        var runs = data.Runs.Where(r => r.Spectrum is { Count: > 0 }).ToArray();
        if (runs.Length == 0) return null;
        double[] pos = Enumerable.Range(0, runs.Length).Select(i => (double)i).ToArray();
        double[] delta = runs.Select(r => r.Spectrum!.Average(s => (double)s.DeltaRank)).ToArray();
        double[] random = runs.Select(r => r.Spectrum!.Average(s => (double)s.RandomRank)).ToArray();

        var plot = new Plot();
        var deltaBars = plot.Add.Bars(pos.Select(p => p - 0.2).ToArray(), delta);
        deltaBars.Color = Color.FromHex("#1f77b4");
        deltaBars.LegendText = "ΔW (mean over modules)";
        var randomBars = plot.Add.Bars(pos.Select(p => p + 0.2).ToArray(), random);
        randomBars.Color = Color.FromHex("#bbbbbb");
        randomBars.LegendText = "random matrix, same shapes";
        foreach (var b in deltaBars.Bars.Concat(randomBars.Bars)) b.Size = 0.38;

        var lora = runs.Select((r, i) => (r, i)).Where(x => x.r.IsLora).ToArray();
        if (lora.Length > 0)
        {
            var rank = plot.Add.ScatterPoints(lora.Select(x => pos[x.i] - 0.2).ToArray(), lora.Select(x => (double)x.r.Rank!.Value).ToArray(), Colors.Black);
            rank.MarkerShape = MarkerShape.HorizontalBar;
            rank.MarkerSize = 30;
            rank.MarkerLineWidth = 2.5f;
            rank.LegendText = "LoRA rank r";
        }

        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(pos, runs.Select(r => $"{r.RunId}\n{r.MethodLabel}").ToArray());
        double top = delta.Concat(random).Concat(lora.Select(x => (double)x.r.Rank!.Value)).Max();
        plot.Axes.SetLimitsY(0, top * 1.2); // headroom for the one-line legend above the bars
        plot.Title("Rank needed for 90% of the variance");
        plot.YLabel("rank (mean over modules)");
        plot.ShowLegend(Alignment.UpperCenter);
        plot.Legend.Orientation = Orientation.Horizontal;
        return PlotImage.Png(plot, width, height);
    }
}
