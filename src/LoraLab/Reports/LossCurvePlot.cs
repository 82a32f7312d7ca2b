using ScottPlot;

namespace LoraLab.Reports;

/// <summary>Training-loss curves, one line per run, coloured by method and rank; runs of one group differ in line pattern.</summary>
public static class LossCurvePlot
{
    private static readonly LinePattern[] Patterns = [LinePattern.Solid, LinePattern.Dashed, LinePattern.Dotted, LinePattern.DenselyDashed];

    public static byte[] Render(ReportData data, int width = 900, int height = 500)
    {
        var plot = new Plot();
        var styles = RunStyle.For(data.Runs);
        var inGroup = new Dictionary<string, int>();
        foreach (var run in data.Runs)
        {
            var points = run.TrainingLoss.OrderBy(p => p.Step).ToArray();
            if (points.Length == 0) continue;
            var style = styles[run.RunId];
            int k = inGroup[style.Label] = inGroup.GetValueOrDefault(style.Label, -1) + 1;
            var line = plot.Add.ScatterLine(points.Select(p => (double)p.Step).ToArray(), points.Select(p => p.Loss).ToArray(), style.Color);
            line.LineWidth = 1.5f;
            line.LinePattern = Patterns[k % Patterns.Length];
            line.LegendText = $"{run.RunId} ({style.Label}, lr {ReportFormat.LearningRate(run.LearningRate)})";
        }
        plot.Title("Training loss");
        plot.XLabel("step");
        plot.YLabel("training loss");
        plot.ShowLegend(Alignment.UpperRight);
        return PlotImage.Png(plot, width, height);
    }
}
