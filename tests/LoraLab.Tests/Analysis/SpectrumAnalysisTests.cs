using LoraLab.Analysis;
using LoraLab.Checkpoints;
using LoraLab.Kernels;
using LoraLab.Models.Llama;
using LoraLab.Peft;
using LoraLab.Reports;
using LoraLab.Tests.Reports;
using LoraLab.Tests.Models.Llama;
using LoraLab.Tests.TestSupport;
using TorchSharp;
using static TorchSharp.torch;

namespace LoraLab.Tests.Analysis;

public class SpectrumAnalysisTests
{
    [Fact]
    public void AdapterSpectrumFromFactorsEqualsDenseSpectrumOfTheMergedModel()
    {
        using var dir = new TempDir();
        manual_seed(11);
        var config = TinyLlama.Config();
        using var model = LoraModel.Create(config, ScalarType.Float32, new LoraConfig(3, new[] { "attention", "down_proj" }));
        using (no_grad())
            foreach (var (_, layer) in LoraModules.Find(model)) layer.LoraB.normal_(0, 0.1);
        using (var plain = new LlamaForCausalLM(config))
        {
            using (no_grad())
                foreach (var (name, p) in plain.state_dict()) p.copy_(model.state_dict()[name]);
            LlamaCheckpoint.Save(plain, dir.File("base"));
        }
        LoraModel.SaveMerged(model, dir.File("merged"));
        PeftAdapter.Save(model, dir.File("adapter"), "base");

        var analysis = new SpectrumAnalysis();
        var dense = analysis.CompareModels(dir.File("base"), dir.File("merged"));
        var factored = analysis.AnalyseAdapter(dir.File("base"), dir.File("adapter"));
        Assert.Equal(2 * 7, dense.Count);
        Assert.Equal(2 * 5, factored.Count); // only targeted modules
        foreach (var f in factored)
        {
            var d = dense.Single(x => x.Layer == f.Layer && x.Module == f.Module);
            Assert.InRange(f.DeltaRank, 1, 3); // rank ≤ r
            Assert.Equal(d.DeltaRank, f.DeltaRank);
            for (int i = 0; i < 3; i++) Assert.Equal(d.DeltaSingularValues![i], f.DeltaSingularValues![i], 4);
            Assert.Equal(d.RandomRank, f.RandomRank);
        }
        // untargeted modules did not change
        Assert.All(dense.Where(d => d.Module is "gate_proj" or "up_proj"), d => Assert.Equal(0, d.DeltaRank));

        SpectrumAnalysis.Write(dense, dir.File("out"), 0.9);
        var lines = File.ReadAllLines(dir.File("out/spectrum.csv"));
        Assert.Equal(1 + 14, lines.Length);
        Assert.StartsWith("layer,module,rows,cols,delta_rank", lines[0]);
        string json = File.ReadAllText(dir.File("out/spectrum.json"));
        Assert.Contains("\"variance_threshold\": 0.9", json);
        // spectrum.json keeps its field names; a study report's names (variance_rank, ...) are the summary's
        foreach (var name in new[] { "delta_rank", "base_rank", "random_rank", "marchenko_pastur_rank", "delta_singular_values", "base_singular_values" })
            Assert.Contains($"\"{name}\"", json);
        Assert.DoesNotContain("variance_rank", json);
    }

    [Fact]
    public void AFullRankChangeNeedsAHighRank()
    {
        using var dir = new TempDir();
        manual_seed(12);
        var config = TinyLlama.Config();
        using var model = new LlamaForCausalLM(config);
        LlamaCheckpoint.Save(model, dir.File("base"));
        using Scalar hundredth = 0.01.ToScalar();
        using (no_grad())
            foreach (var p in model.parameters()) p.add_(randn_like(p).mul(hundredth), Scalars.One);
        LlamaCheckpoint.Save(model, dir.File("ft"));
        var results = new SpectrumAnalysis().CompareModels(dir.File("base"), dir.File("ft"));
        // an i.i.d. Gaussian change behaves like the random baseline
        Assert.All(results, r => Assert.InRange(r.DeltaRank, r.RandomRank - 3, r.RandomRank + 3));
    }

    [Fact]
    public void CliWritesTheTablesAndRefusesAmbiguousInput()
    {
        using var dir = new TempDir();
        manual_seed(13);
        using var model = new LlamaForCausalLM(TinyLlama.Config());
        LlamaCheckpoint.Save(model, dir.File("base"));
        using (no_grad()) model.Model.Layers[0].SelfAttn.state_dict()["q_proj.weight"].add_(Scalars.One, Scalars.One);
        LlamaCheckpoint.Save(model, dir.File("ft"));
        var ok = CliRun.Run("analyze", "spectrum", "--base", dir.File("base"), "--finetuned", dir.File("ft"), "--out", dir.File("out"), "--no-plots");
        Assert.True(ok.ExitCode == 0, ok.StdErr);
        Assert.Empty(Directory.GetFiles(dir.File("out"), "*.png"));
        var rows = File.ReadAllLines(dir.File("out/spectrum.csv")).Skip(1).Select(l => l.Split(',')).ToList();
        // adding 1 to every entry is a rank-1 change (the all-ones matrix): rank 1 for layer 0's q_proj, 0 elsewhere
        Assert.Equal("1", rows.Single(r => r[0] == "0" && r[1] == "q_proj")[4]);
        Assert.All(rows.Where(r => !(r[0] == "0" && r[1] == "q_proj")), r => Assert.Equal("0", r[4]));
        var both = CliRun.Run("analyze", "spectrum", "--base", dir.File("base"), "--finetuned", dir.File("ft"), "--adapter", dir.File("ft"), "--out",
            dir.File("o2"));
        Assert.Equal(2, both.ExitCode);
        Assert.Contains("exactly one", both.StdErr);
    }

    [SkippableFact]
    [Trait("Category", "Slow")]
    public void CliDrawsTheCurvesAndTheHeatmap()
    {
        RequireFonts.Check();
        using var dir = new TempDir();
        manual_seed(14);
        using var model = LoraModel.Create(TinyLlama.Config(), ScalarType.Float32, new LoraConfig(2, new[] { "attention" }));
        using (no_grad())
            foreach (var (_, layer) in LoraModules.Find(model)) layer.LoraB.normal_(0, 0.1);
        LoraModel.SaveMerged(model, dir.File("base")); // merged: fine as a base, the adapter is what is analysed
        PeftAdapter.Save(model, dir.File("adapter"), "base");
        var run = CliRun.Run("analyze", "spectrum", "--base", dir.File("base"), "--adapter", dir.File("adapter"), "--out", dir.File("out"),
            "--curves-layer", "0");
        Assert.True(run.ExitCode == 0, run.StdErr);
        // 4 attention modules in layer 0: one 260-pixel row each
        ReportPlotsTests.AssertPng(File.ReadAllBytes(dir.File("out/" + SpectrumPlots.CurvesFile)), 1100, 4 * 260);
        var heatmap = File.ReadAllBytes(dir.File("out/" + SpectrumPlots.HeatmapFile));
        ReportPlotsTests.AssertPng(heatmap, 900, 600);
        Assert.True(ReportPlotsTests.DistinctColors(heatmap) > 20, "heatmap looks blank");
        var badLayer = CliRun.Run("analyze", "spectrum", "--base", dir.File("base"), "--adapter", dir.File("adapter"), "--out", dir.File("o2"),
            "--curves-layer", "9");
        Assert.NotEqual(0, badLayer.ExitCode);
        Assert.Contains("layer 9 was not analysed", badLayer.StdErr);
    }
}
