using LoraLab.Analysis;
using ScottPlot;

namespace LoraLab.Reports;

/// <summary>ΔW's rank for the variance threshold against tokens trained, one line per module type (mean over layers).</summary>
public static class SpectrumOverTrainingPlot
{
    public const string File = "spectrum_rank_vs_tokens.png";

    public static byte[] Render(IReadOnlyList<CheckpointSpectrum> checkpoints, double threshold, string title = "", int width = 900, int height = 500)
    {
        if (checkpoints.Count == 0) throw new LoraLabException("no checkpoint was analysed, so there is nothing to plot.");
        var plot = new Plot();
        var ordered = checkpoints.OrderBy(c => c.Tokens).ToList();
        var modules = ordered.SelectMany(c => c.MeanRankByModule().Select(m => m.Module)).Distinct().ToList();
        for (int i = 0; i < modules.Count; i++)
        {
            var points = ordered.Select(c => (c.Tokens,
                Rank: c.MeanRankByModule().Where(m => m.Module == modules[i]).Select(m => (double?)m.MeanRank).FirstOrDefault()))
                .Where(p => p.Rank != null).ToArray();
            var line = plot.Add.Scatter(points.Select(p => (double)p.Tokens).ToArray(), points.Select(p => p.Rank!.Value).ToArray(),
                RunStyle.Palette[i % RunStyle.Palette.Length]);
            line.MarkerSize = 7;
            line.LineWidth = 1.5f;
            line.LegendText = modules[i];
        }
        plot.Title(string.IsNullOrEmpty(title) ? $"ΔW rank for {ReportFormat.Percent(threshold)} of its variance over training" : title);
        plot.XLabel("tokens trained");
        plot.YLabel("rank (mean over layers)");
        plot.ShowLegend(Alignment.UpperLeft);
        return PlotImage.Png(plot, width, height);
    }

    /// <summary>Renders and writes <see cref="File"/> into <paramref name="outDir"/>; returns its path.</summary>
    public static string Write(IReadOnlyList<CheckpointSpectrum> checkpoints, string outDir, double threshold)
    {
        var png = Render(checkpoints, threshold);
        Directory.CreateDirectory(outDir);
        string path = Path.Combine(outDir, File);
        AtomicFile.WriteAllBytes(path, png);
        return path;
    }
}
