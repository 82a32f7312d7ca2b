using LoraLab.Reports;
using LoraLab.Tests.TestSupport;
using AnalysisSpectrum = LoraLab.Analysis.ModuleSpectrum;

namespace LoraLab.Tests.Reports;

public class SpectrumPlotsTests
{
    private static readonly string[] Modules = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"];

    /// <summary>
    /// A made-up analysis of 3 layers × 7 modules: ΔW decays geometrically (a LoRA-like rank-4 change in the attention
    /// modules, a full-length one in the MLP), W slowly; layer 1's up_proj did not change (ΔW = 0).
    /// </summary>
    internal static List<AnalysisSpectrum> FakeAnalysis()
    {
        var results = new List<AnalysisSpectrum>();
        for (int layer = 0; layer < 3; layer++)
            foreach (string module in Modules)
            {
                bool mlp = module is "gate_proj" or "up_proj" or "down_proj";
                (long rows, long cols) = module switch { "down_proj" => (32L, 48L), "gate_proj" or "up_proj" => (48L, 32L),
                    "k_proj" or "v_proj" => (16L, 32L), _ => (32L, 32L) };
                int n = (int)Math.Min(rows, cols);
                double[] delta = mlp ? Decay(n, 0.7 + 0.05 * layer) : Decay(4, 0.5);
                if (layer == 1 && module == "up_proj") delta = new double[n];
                double[] w = Enumerable.Range(0, n).Select(i => 3.0 - 2.5 * i / n).ToArray();
                int deltaRank = LoraLab.Analysis.Spectrum.RankForVariance(delta, 0.9);
                results.Add(new AnalysisSpectrum
                {
                    Layer = layer, Module = module, Rows = rows, Cols = cols, DeltaRank = deltaRank,
                    BaseRank = LoraLab.Analysis.Spectrum.RankForVariance(w, 0.9), RandomRank = n / 2, MarchenkoPasturRank = n / 2,
                    DeltaFrobeniusNorm = Math.Sqrt(delta.Sum(s => s * s)), DeltaSingularValues = delta, BaseSingularValues = w,
                });
            }
        return results;
    }

    private static double[] Decay(int n, double ratio) => Enumerable.Range(0, n).Select(i => 2 * Math.Pow(ratio, i)).ToArray();

    [Fact]
    public void NormalisedAndCumulativeSpectraMatchHandValues()
    {
        // σ = (4, 2, 1): σ/σ_1 = (1, 1/2, 1/4); σ² = (16, 4, 1), total 21 → cumulative (16/21, 20/21, 1)
        Assert.Equal([1.0, 0.5, 0.25], SpectrumCurvesPlot.Normalised([4.0, 2, 1]));
        var cumulative = SpectrumCurvesPlot.CumulativeVariance([4.0, 2, 1]);
        Assert.Equal(16.0 / 21, cumulative[0], 15);
        Assert.Equal(20.0 / 21, cumulative[1], 15);
        Assert.Equal(1.0, cumulative[2], 15);
        Assert.Empty(SpectrumCurvesPlot.Normalised([0.0, 0]));
        Assert.Empty(SpectrumCurvesPlot.CumulativeVariance([0.0, 0]));
    }

    [Fact]
    public void TheDefaultLayerIsTheMiddleOne()
    {
        var results = FakeAnalysis();
        Assert.Equal(1, SpectrumCurvesPlot.DefaultLayer(results));
        Assert.Equal(2, SpectrumCurvesPlot.DefaultLayer(results.Where(r => r.Layer > 0).Append(results[0] with { Layer = 3 }).ToList()));
    }

    [SkippableFact]
    public void CurvesAreANonBlankPngWithOneRowPerModule()
    {
        RequireFonts.Check();
        var png = SpectrumCurvesPlot.Render(FakeAnalysis(), 0.9, seed: 3, layer: 1, width: 900, panelHeight: 200);
        ReportPlotsTests.AssertPng(png, 900, 7 * 200);
        Assert.True(ReportPlotsTests.DistinctColors(png) > 20, "curves look blank");
        var two = SpectrumCurvesPlot.Render(FakeAnalysis().Where(r => r.Module is "q_proj" or "down_proj").ToList(), 0.5, seed: 3, width: 600,
            panelHeight: 250);
        ReportPlotsTests.AssertPng(two, 600, 2 * 250);
        var missing = Assert.Throws<LoraLabException>(() => SpectrumCurvesPlot.Render(FakeAnalysis(), 0.9, 3, layer: 7));
        Assert.Contains("0, 1, 2", missing.Message);
    }

    [SkippableFact]
    public void WriteProducesBothFiguresAndTheHeatmapKeepsTheRanks()
    {
        RequireFonts.Check();
        using var dir = new TempDir();
        var results = FakeAnalysis();
        var paths = SpectrumPlots.Write(results, dir.File("out"), 0.9, seed: 0);
        Assert.Equal([dir.File("out/spectrum_curves.png"), dir.File("out/spectrum_heatmap.png")], paths);
        ReportPlotsTests.AssertPng(File.ReadAllBytes(paths[0]), 1100, 7 * 260);
        ReportPlotsTests.AssertPng(File.ReadAllBytes(paths[1]), 900, 600);
        Assert.True(ReportPlotsTests.DistinctColors(File.ReadAllBytes(paths[1])) > 20, "heatmap looks blank");
        Assert.Empty(Directory.GetFiles(dir.File("out"), "*.tmp*"));

        var summary = results[5].Summary();
        Assert.Equal((0, "up_proj", 48L, 32L, results[5].DeltaRank, results[5].RandomRank),
            (summary.Layer, summary.Module, summary.Rows, summary.Cols, summary.DeltaRank, summary.RandomRank));
        Assert.Null(summary.DeltaSingularValues);
        Assert.Throws<LoraLabException>(() => SpectrumPlots.Write([], dir.File("empty"), 0.9, 0));
    }
}
