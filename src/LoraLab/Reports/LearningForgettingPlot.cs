using ScottPlot;

namespace LoraLab.Reports;

/// <summary>
/// The study's main figure: learning (target score, x) against forgetting (source score, y) for every evaluated
/// checkpoint, a line through each run's checkpoints in step order, one colour and marker per method and rank, the
/// Pareto frontier over all checkpoints dashed, and a legend.
/// </summary>
public static class LearningForgettingPlot
{
    public static byte[] Render(ReportData data, int width = 900, int height = 600)
    {
        var plot = new Plot();
        var styles = RunStyle.For(data.Runs);
        var labelled = new HashSet<string>();
        var all = new List<(double X, double Y)>();
        foreach (var run in data.Runs)
        {
            var points = run.Checkpoints.OrderBy(c => c.Step).ToArray();
            if (points.Length == 0) continue;
            var style = styles[run.RunId];
            double[] xs = points.Select(p => p.Target).ToArray(), ys = points.Select(p => p.Forgetting).ToArray();
            all.AddRange(xs.Zip(ys));
            var line = plot.Add.Scatter(xs, ys, style.Color);
            line.MarkerShape = style.Marker;
            line.MarkerSize = 9;
            line.LineWidth = 1.5f;
            if (labelled.Add(style.Label)) line.LegendText = style.Label;
            // the last checkpoint drawn larger, so a run's direction of travel reads at a glance
            var last = plot.Add.Marker(xs[^1], ys[^1], style.Marker, 14, style.Color);
            last.LegendText = "";
        }
        if (all.Count > 0)
        {
            var front = ParetoFrontier.Indices(all, data.Target.HigherIsBetter, data.Forgetting.HigherIsBetter);
            var frontier = plot.Add.Scatter(front.Select(i => all[i].X).ToArray(), front.Select(i => all[i].Y).ToArray(), Colors.Gray);
            frontier.LinePattern = LinePattern.Dashed;
            frontier.LineWidth = 2;
            frontier.MarkerShape = MarkerShape.OpenCircle;
            frontier.MarkerSize = 18;
            frontier.LegendText = "Pareto frontier";
            plot.MoveToBack(frontier);
        }
        plot.Title("Learning vs forgetting");
        plot.XLabel($"learning: {data.Target.AxisLabel}");
        plot.YLabel($"forgetting: {data.Forgetting.AxisLabel}");
        plot.ShowLegend(BestCorner(data));
        return PlotImage.Png(plot, width, height);
    }

    // The corner that is good on both axes is the one a trade-off leaves empty.
    internal static Alignment BestCorner(ReportData data) => (data.Target.HigherIsBetter, data.Forgetting.HigherIsBetter) switch
    {
        (true, true) => Alignment.UpperRight,
        (true, false) => Alignment.LowerRight,
        (false, true) => Alignment.UpperLeft,
        (false, false) => Alignment.LowerLeft,
    };
}
