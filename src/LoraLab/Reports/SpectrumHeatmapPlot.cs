using LoraLab.Analysis;
using LoraLab.Models.Llama;
using ScottPlot;

namespace LoraLab.Reports;

/// <summary>
/// Layers × modules heatmap of the rank ΔW needs to explain 90% of its variance, for one run, with the value written
/// in each cell when the grid is small enough to read. Missing cells (modules not trained) are grey.
/// </summary>
public static class SpectrumHeatmapPlot
{
    private static readonly string[] Canonical = [.. LlamaProjections.All];

    /// <summary>The run the heatmap is drawn for: <see cref="ReportData.SpectrumRunId"/>, else the first with a spectrum.</summary>
    public static RunRecord? PickRun(ReportData data) => data.SpectrumRunId is { } id
        ? data.Runs.FirstOrDefault(r => r.RunId == id)
        : data.Runs.FirstOrDefault(r => r.Spectrum is { Count: > 0 });

    /// <summary>Modules in Hugging Face order (q, k, v, o, gate, up, down), unknown ones after, alphabetically.</summary>
    public static string[] ModuleOrder(IEnumerable<string> modules) => modules.Distinct()
        .OrderBy(m => Array.IndexOf(Canonical, m) is var i && i >= 0 ? i : Canonical.Length).ThenBy(m => m, StringComparer.Ordinal)
        .ToArray();

    /// <summary>PNG of the heatmap, or null when no run has a spectrum.</summary>
    public static byte[]? Render(ReportData data, int width = 900, int height = 600)
    {
        var run = PickRun(data);
        if (run?.Spectrum is not { Count: > 0 } spectrum) return null;
        return Render(spectrum, $"ΔW rank for 90% variance: {run.RunId} ({run.MethodLabel})", 0.9, width, height);
    }

    /// <summary>
    /// PNG of the heatmap of <paramref name="spectrum"/> (one cell per layer × module) under <paramref name="title"/>;
    /// <paramref name="threshold"/> only labels the colour bar (the ranks were computed for it).
    /// </summary>
    public static byte[] Render(IReadOnlyList<ModuleSpectrum> spectrum, string title, double threshold = 0.9, int width = 900, int height = 600)
    {
        if (spectrum.Count == 0) throw new ArgumentException("no module spectra to draw", nameof(spectrum));
        string[] modules = ModuleOrder(spectrum.Select(s => s.Module));
        int layers = spectrum.Max(s => s.Layer) + 1;
        var grid = new double[layers, modules.Length]; // (layers, modules); row 0 = layer 0
        for (int l = 0; l < layers; l++)
            for (int m = 0; m < modules.Length; m++)
                grid[l, m] = double.NaN;
        foreach (var s in spectrum) grid[s.Layer, Array.IndexOf(modules, s.Module)] = s.DeltaRank;

        var plot = new Plot();
        var heatmap = plot.Add.Heatmap(grid);
        heatmap.Colormap = new ScottPlot.Colormaps.Viridis();
        heatmap.NaNCellColor = Colors.LightGray;
        // cell (l, m) centred on x = m, y = l: the bitmap's edges are half a cell outside the first and last centres.
        // ScottPlot draws row 0 at the top unless flipped; flip to put layer 0 at the bottom.
        heatmap.Rectangle = new CoordinateRect(-0.5, modules.Length - 0.5, -0.5, layers - 0.5);
        heatmap.FlipVertically = true;
        double lo = spectrum.Min(s => s.DeltaRank), hi = spectrum.Max(s => s.DeltaRank);
        if (hi == lo) heatmap.ManualRange = new ScottPlot.Range(lo - 1, hi + 1); // one rank everywhere (e.g. LoRA r=1): the bar still needs a span
        var bar = plot.Add.ColorBar(heatmap);
        bar.Axis.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic { IntegerTicksOnly = true }; // ranks are whole
        bar.Label = $"rank for {ReportFormat.Percent(threshold)} of ΔW variance";

        if (layers * modules.Length <= 256)
            foreach (var s in spectrum)
            {
                double t = hi > lo ? (s.DeltaRank - lo) / (hi - lo) : 0;
                var text = plot.Add.Text(ReportFormat.Integer(s.DeltaRank), Array.IndexOf(modules, s.Module), s.Layer);
                text.LabelAlignment = Alignment.MiddleCenter;
                text.LabelFontSize = 11;
                text.LabelFontColor = t < 0.6 ? Colors.White : Colors.Black; // viridis is dark at the low end
            }

        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(
            Enumerable.Range(0, modules.Length).Select(i => (double)i).ToArray(), modules);
        int every = Math.Max(1, (int)Math.Ceiling(layers / 32.0));
        var layerTicks = Enumerable.Range(0, layers).Where(l => l % every == 0).ToArray();
        plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericManual(
            layerTicks.Select(l => (double)l).ToArray(), layerTicks.Select(l => ReportFormat.Integer(l)).ToArray());
        plot.Axes.SetLimits(-0.5, modules.Length - 0.5, -0.5, layers - 0.5);
        plot.HideGrid();
        plot.Title(title);
        plot.XLabel("module");
        plot.YLabel("layer");
        return PlotImage.Png(plot, width, height);
    }
}
