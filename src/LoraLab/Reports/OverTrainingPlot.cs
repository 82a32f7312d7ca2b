using ScottPlot;

namespace LoraLab.Reports;

/// <summary>
/// Each run's evaluated checkpoints against tokens trained, as the study's curves over training: the target score
/// (learning), the forgetting score and, when analysed, ΔW's mean rank for 90% of its variance — one panel each, one
/// line per run in its method/rank style.
/// </summary>
public static class OverTrainingPlot
{
    public const string File = "over_training.png";

    /// <summary>PNG of the panels, or null when no run has two or more evaluated checkpoints.</summary>
    public static byte[]? Render(ReportData data, int width = 900, int panelHeight = 300)
    {
        var runs = data.Runs.Where(r => r.Checkpoints.Count >= 2).ToList();
        if (runs.Count == 0) return null;
        bool ranks = runs.Any(r => r.Checkpoints.Any(c => c.DeltaRank is not null));
        var panels = new List<(string Title, string YLabel, Func<CheckpointPoint, double?> Value)>
        {
            ($"Learning: {data.Target.AxisLabel}", data.Target.Name, c => c.Target),
            ($"Forgetting: {data.Forgetting.AxisLabel}", data.Forgetting.Name, c => c.Forgetting),
        };
        if (ranks) panels.Add(("ΔW: rank for 90% of its variance, mean over modules", "ΔW rank", c => c.DeltaRank));
        var styles = RunStyle.For(data.Runs);
        var multiplot = new Multiplot();
        multiplot.AddPlots(panels.Count);
        multiplot.Layout = new ScottPlot.MultiplotLayouts.Grid(panels.Count, 1);
        for (int p = 0; p < panels.Count; p++)
        {
            var plot = multiplot.GetPlot(p);
            foreach (var run in runs)
            {
                var points = run.Checkpoints.OrderBy(c => c.TokensSeen).Select(c => (X: (double)c.TokensSeen, Y: panels[p].Value(c)))
                    .Where(q => q.Y is not null).ToArray();
                if (points.Length == 0) continue;
                var style = styles[run.RunId];
                var line = plot.Add.Scatter(points.Select(q => q.X).ToArray(), points.Select(q => q.Y!.Value).ToArray(), style.Color);
                line.MarkerShape = style.Marker;
                line.MarkerSize = 7;
                line.LineWidth = 1.5f;
                if (p == 0) line.LegendText = $"{run.RunId} ({style.Label})";
            }
            plot.Title(panels[p].Title);
            plot.YLabel(panels[p].YLabel);
            plot.XLabel("tokens trained");
            if (p == 0) plot.ShowLegend(Alignment.UpperLeft);
        }
        return PlotImage.Png(multiplot, width, panelHeight * panels.Count);
    }
}
