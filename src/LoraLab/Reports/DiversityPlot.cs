using ScottPlot;

namespace LoraLab.Reports;

/// <summary>Generation diversity of each run at its last checkpoint that measured it, one bar per run.</summary>
public static class DiversityPlot
{
    /// <summary>The run's diversity at its last checkpoint with one, or null.</summary>
    public static double? FinalDiversity(RunRecord run) =>
        run.Checkpoints.Where(c => c.Diversity.HasValue).MaxBy(c => c.Step)?.Diversity;

    /// <summary>PNG of the bars, or null when no run has a diversity score.</summary>
    public static byte[]? Render(ReportData data, int width = 900, int height = 500)
    {
        var runs = data.Runs.Where(r => FinalDiversity(r).HasValue).ToArray();
        if (runs.Length == 0) return null;
        var styles = RunStyle.For(data.Runs);
        var plot = new Plot();
        var bars = runs.Select((r, i) => new Bar { Position = i, Value = FinalDiversity(r)!.Value, FillColor = styles[r.RunId].Color, Size = 0.7 }).ToList();
        plot.Add.Bars(bars);
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(
            Enumerable.Range(0, runs.Length).Select(i => (double)i).ToArray(), runs.Select(r => $"{r.RunId}\n{r.MethodLabel}").ToArray());
        plot.Axes.Margins(bottom: 0);
        plot.Title($"Generation diversity ({data.DiversityName}) at the last checkpoint");
        plot.YLabel(data.DiversityName);
        return PlotImage.Png(plot, width, height);
    }
}
