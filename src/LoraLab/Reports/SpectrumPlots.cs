using AnalysisSpectrum = LoraLab.Analysis.ModuleSpectrum;

namespace LoraLab.Reports;

/// <summary>
/// The figures of <c>loralab analyze spectrum</c>: <see cref="CurvesFile"/> (<see cref="SpectrumCurvesPlot"/>, one
/// layer's modules) and <see cref="HeatmapFile"/> (<see cref="SpectrumHeatmapPlot"/>, every layer × module).
/// </summary>
public static class SpectrumPlots
{
    public const string CurvesFile = "spectrum_curves.png";

    public const string HeatmapFile = "spectrum_heatmap.png";

    /// <summary>
    /// Renders both figures for results computed at <paramref name="threshold"/> with random-matrix seed
    /// <paramref name="seed"/> and writes them atomically into <paramref name="outDir"/>; returns their paths.
    /// <paramref name="layer"/> picks the curves' layer (default: the middle one); <paramref name="title"/> heads the heatmap.
    /// </summary>
    public static IReadOnlyList<string> Write(IReadOnlyList<AnalysisSpectrum> results, string outDir, double threshold, long seed,
        int? layer = null, string? title = null)
    {
        PlotFont.Require();
        if (results.Count == 0)
            throw new LoraLabException("no module was analysed, so there is nothing to plot; check the adapter's target_modules.");
        var curves = SpectrumCurvesPlot.Render(results, threshold, seed, layer);
        var heatmap = SpectrumHeatmapPlot.Render(results.Select(r => r.Summary()).ToList(),
            title ?? $"ΔW rank for {ReportFormat.Percent(threshold)} of its variance, by layer and module", threshold);
        Directory.CreateDirectory(outDir);
        string curvesPath = Path.Combine(outDir, CurvesFile), heatmapPath = Path.Combine(outDir, HeatmapFile);
        AtomicFile.WriteAllBytes(curvesPath, curves);
        AtomicFile.WriteAllBytes(heatmapPath, heatmap);
        return [curvesPath, heatmapPath];
    }
}
