using LoraLab.Analysis;
using ScottPlot;
using AnalysisSpectrum = LoraLab.Analysis.ModuleSpectrum;

namespace LoraLab.Reports;

/// <summary>
/// Spectrum curves of one layer's modules, one row per module: left, the normalised singular values σ_i/σ_1 of ΔW, of
/// the base matrix W and of a seeded random Gaussian matrix of the same shape against i (log y); right, their
/// cumulative explained variance Σ_{j≤k} σ_j² / Σ σ_j² with the threshold line and each matrix's rank marked.
/// </summary>
public static class SpectrumCurvesPlot
{
    /// <summary>Singular values below this share of σ_1 are numerical zeros (float64 SVD) and are not drawn on the log axis.</summary>
    public const double ZeroBelow = 1e-12;

    private static readonly Color DeltaColor = Color.FromHex("#1f77b4");
    private static readonly Color BaseColor = Color.FromHex("#ff7f0e");
    private static readonly Color RandomColor = Color.FromHex("#7f7f7f");

    /// <summary>The layer drawn when none is named: the middle one of those analysed.</summary>
    public static int DefaultLayer(IReadOnlyList<AnalysisSpectrum> results)
    {
        var layers = results.Select(r => r.Layer).Distinct().Order().ToArray();
        if (layers.Length == 0) throw new ArgumentException("no module spectra to draw", nameof(results));
        return layers[layers.Length / 2];
    }

    /// <summary>σ_i/σ_1 of descending singular values; empty when σ_1 is zero (the matrix is zero).</summary>
    public static double[] Normalised(IReadOnlyList<double> singularValues) =>
        singularValues.Count == 0 || singularValues[0] <= 0 ? [] : singularValues.Select(s => s / singularValues[0]).ToArray();

    /// <summary>Cumulative explained variance: entry k−1 is Σ_{j≤k} σ_j² / Σ σ_j²; empty when all σ are zero.</summary>
    public static double[] CumulativeVariance(IReadOnlyList<double> singularValues)
    {
        double total = singularValues.Sum(s => s * s);
        if (total == 0) return [];
        var cumulative = new double[singularValues.Count];
        double running = 0;
        for (int k = 0; k < cumulative.Length; k++) cumulative[k] = (running += singularValues[k] * singularValues[k]) / total;
        return cumulative;
    }

    /// <summary>
    /// PNG of the curves of every analysed module of <paramref name="layer"/> (default: <see cref="DefaultLayer"/>),
    /// <paramref name="width"/> wide and <paramref name="panelHeight"/> tall per module. The random matrix is the one
    /// <see cref="Spectrum.RandomMatrixRank"/> measures for <paramref name="seed"/>.
    /// </summary>
    public static byte[] Render(IReadOnlyList<AnalysisSpectrum> results, double threshold, long seed, int? layer = null,
        int width = 1100, int panelHeight = 260)
    {
        int l = layer ?? DefaultLayer(results);
        string[] order = SpectrumHeatmapPlot.ModuleOrder(results.Select(r => r.Module));
        var rows = results.Where(r => r.Layer == l).OrderBy(r => Array.IndexOf(order, r.Module)).ToArray();
        if (rows.Length == 0)
            throw new LoraLabException($"layer {l} was not analysed; analysed layers: {string.Join(", ", results.Select(r => r.Layer).Distinct().Order())}.");

        var random = new Dictionary<(long, long), double[]>();
        var multiplot = new Multiplot();
        multiplot.AddPlots(2 * rows.Length);
        multiplot.Layout = new ScottPlot.MultiplotLayouts.Grid(rows.Length, 2);
        for (int i = 0; i < rows.Length; i++)
        {
            var r = rows[i];
            if (!random.TryGetValue((r.Rows, r.Cols), out var randomSv))
                random[(r.Rows, r.Cols)] = randomSv = Spectrum.RandomMatrixSingularValues(r.Rows, r.Cols, seed);
            var curves = new[]
            {
                new Curve("ΔW", r.DeltaSingularValues!, DeltaColor, LinePattern.Solid, 2f),
                new Curve("W (base)", r.BaseSingularValues!, BaseColor, LinePattern.Solid, 1.5f),
                new Curve("random Gaussian", randomSv, RandomColor, LinePattern.Dashed, 1.5f),
            };
            bool last = i == rows.Length - 1;
            DrawSpectrum(multiplot.GetPlot(2 * i), $"layer {l} {r.Module} ({r.Rows}×{r.Cols}): normalised singular values", curves, last);
            DrawCumulative(multiplot.GetPlot(2 * i + 1), $"layer {l} {r.Module}: cumulative explained variance", curves, threshold, last);
        }
        return PlotImage.Png(multiplot, width, panelHeight * rows.Length);
    }

    private sealed record Curve(string Name, double[] SingularValues, Color Color, LinePattern Pattern, float Width);

    private static void DrawSpectrum(Plot plot, string title, Curve[] curves, bool xLabel)
    {
        double lowest = 0;
        int longest = 1;
        foreach (var c in curves)
        {
            // numerical zeros end the curve: a rank-k change has k meaningful values
            var shown = Normalised(c.SingularValues).TakeWhile(v => v >= ZeroBelow).Select(Math.Log10).ToArray();
            if (shown.Length == 0) continue;
            var line = plot.Add.ScatterLine(Enumerable.Range(1, shown.Length).Select(i => (double)i).ToArray(), shown, c.Color);
            line.LineWidth = c.Width;
            line.LinePattern = c.Pattern;
            line.MarkerSize = shown.Length <= 16 ? 5 : 0; // a LoRA ΔW has only r values: show each
            lowest = Math.Min(lowest, shown.Min());
            longest = Math.Max(longest, c.SingularValues.Length);
        }
        double bottom = Math.Floor(lowest) - (lowest - Math.Floor(lowest) < 0.2 ? 0.5 : 0); // whole decade below the lowest value
        plot.Axes.SetLimits(0.5, longest + 0.5, Math.Min(bottom, -1), 0.25);
        plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic
        {
            IntegerTicksOnly = true,
            MinorTickGenerator = new ScottPlot.TickGenerators.LogMinorTickGenerator(),
            LabelFormatter = y => y == 0 ? "1" : $"1e{y:0}",
        };
        Style(plot, title, "σ_i / σ_1 (log)", xLabel ? "index i" : null);
    }

    private static void DrawCumulative(Plot plot, string title, Curve[] curves, double threshold, bool xLabel)
    {
        int longest = 1;
        foreach (var c in curves)
        {
            var cumulative = CumulativeVariance(c.SingularValues);
            int rank = Spectrum.RankForVariance(c.SingularValues, threshold);
            longest = Math.Max(longest, c.SingularValues.Length);
            if (cumulative.Length == 0)
            {
                plot.Add.ScatterPoints(Array.Empty<double>(), Array.Empty<double>(), c.Color).LegendText = $"{c.Name} = 0";
                continue;
            }
            var line = plot.Add.ScatterLine(Enumerable.Range(1, cumulative.Length).Select(i => (double)i).ToArray(), cumulative, c.Color);
            line.LineWidth = c.Width;
            line.LinePattern = c.Pattern;
            line.LegendText = $"{c.Name}: rank {rank}";
            // the rank: where the curve first reaches the threshold, dropped to the k axis
            var drop = plot.Add.Line(rank, 0, rank, cumulative[rank - 1]);
            drop.Color = c.Color;
            drop.LinePattern = LinePattern.Dotted;
            drop.LineWidth = 1.5f;
            plot.Add.Marker(rank, cumulative[rank - 1], MarkerShape.FilledCircle, 9, c.Color);
        }
        var level = plot.Add.HorizontalLine(threshold, 1, Colors.Black, LinePattern.Dashed);
        level.LegendText = $"{ReportFormat.Percent(threshold)} threshold";
        plot.Axes.SetLimits(0.5, longest + 0.5, 0, 1.05);
        plot.ShowLegend(Alignment.LowerRight);
        plot.Legend.FontSize = 11;
        Style(plot, title, "explained variance", xLabel ? "number of singular values k" : null);
    }

    private static void Style(Plot plot, string title, string yLabel, string? xLabel)
    {
        plot.Title(title);
        plot.Axes.Title.Label.FontSize = 13;
        plot.YLabel(yLabel);
        plot.Axes.Left.Label.FontSize = 12;
        if (xLabel != null)
        {
            plot.XLabel(xLabel);
            plot.Axes.Bottom.Label.FontSize = 12;
        }
    }
}
