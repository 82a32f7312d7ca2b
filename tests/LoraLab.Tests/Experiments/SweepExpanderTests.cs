using LoraLab.Experiments;
using LoraLab.Training;
using LoraLab.Training.Config;
using LoraLab.Tests.TestSupport;

namespace LoraLab.Tests.Experiments;

public class SweepExpanderTests
{
    private static SweepPlan Plan(TempDir dir, string grid, string extra = "") => SweepPlan.Load(SweepFiles.Write(dir, grid, extra));

    private static string Error(TempDir dir, string grid, string extra = "") =>
        Assert.Throws<LoraLabException>(() => Plan(dir, grid, extra)).Message;

    /// <summary>The study grid's ids, written out by hand from the documented order (method, r, targets, lr, dur, seed; last fastest).</summary>
    private static List<string> ExpectedStudyIds()
    {
        var ids = new List<string>();
        foreach (string r in new[] { "16", "64" })
            foreach (string t in new[] { "all", "attention" })
                foreach (string lr in new[] { "1e-05", "2e-04" })
                    foreach (string s in new[] { "0", "1" })
                        ids.Add($"lora-r{r}-{t}-lr{lr}-dur20ba-s{s}");
        foreach (string lr in new[] { "1e-05", "2e-04" })
            foreach (string s in new[] { "0", "1" })
                ids.Add($"full-lr{lr}-dur20ba-s{s}");
        return ids;
    }

    [Fact]
    public void FullFinetuneCollapsesRankAndTargetAxes()
    {
        using var dir = new TempDir();
        var plan = Plan(dir, SweepFiles.StudyGrid);
        // lora: 2 ranks × 2 targets × 2 lrs × 1 duration × 2 seeds = 16; full: 2 lrs × 2 seeds = 4 (not ×4 for r × targets)
        Assert.Equal(20, plan.Points.Count);
        Assert.Equal(ExpectedStudyIds(), plan.Points.Select(p => p.Id).ToList());
        Assert.Equal(Enumerable.Range(0, 20), plan.Points.Select(p => p.Index));
        Assert.All(plan.Points.Where(p => p.Method == FinetuneMethod.Full), p =>
        {
            Assert.DoesNotContain(p.Overrides, o => o.StartsWith("lora.", StringComparison.Ordinal));
            Assert.Null(p.Rank);
            Assert.Null(p.Targets);
        });
    }

    [Fact]
    public void OrderDoesNotDependOnTheOrderOfGridKeys()
    {
        using var a = new TempDir();
        using var b = new TempDir();
        string reversed = string.Join('\n', SweepFiles.StudyGrid.Split('\n', StringSplitOptions.RemoveEmptyEntries).Reverse());
        Assert.Equal(Plan(a, SweepFiles.StudyGrid).Points.Select(p => p.Id), Plan(b, reversed).Points.Select(p => p.Id));
    }

    [Fact]
    public void IndexMapsToExactlyOnePoint()
    {
        using var dir = new TempDir();
        var plan = Plan(dir, SweepFiles.StudyGrid);
        Assert.Equal("lora-r16-all-lr1e-05-dur20ba-s0", plan.At(0).Id);
        Assert.Equal("lora-r16-attention-lr1e-05-dur20ba-s0", plan.At(4).Id);
        Assert.Equal("lora-r64-all-lr1e-05-dur20ba-s0", plan.At(8).Id);
        Assert.Equal("full-lr1e-05-dur20ba-s0", plan.At(16).Id);
        Assert.Equal("full-lr2e-04-dur20ba-s1", plan.At(19).Id);
        Assert.Equal(20, plan.Points.Select(p => p.Id).Distinct().Count());
        Assert.Contains("0-19", Assert.Throws<LoraLabException>(() => plan.At(20)).Message);
        Assert.Contains("0-19", Assert.Throws<LoraLabException>(() => plan.At(-1)).Message);
    }

    [Fact]
    public void OverridesReachTheRunConfig()
    {
        using var dir = new TempDir();
        var plan = Plan(dir, SweepFiles.StudyGrid + "\n  optimizer.weight_decay: [0.1]\n  lora.lora_alpha: [32]");
        var p = plan.Points.Single(x => x.Id == "lora-r64-attention-lr2e-04-dur20ba-weight_decay0.1-lora_alpha32-s1");
        var c = p.Config;
        Assert.Equal(FinetuneMethod.Lora, c.Method);
        Assert.Equal(64, c.Lora.R);
        Assert.Equal(32.0, c.Lora.EffectiveAlpha);
        Assert.Equal(["q_proj", "k_proj", "v_proj", "o_proj"], c.Lora.ResolveTargetModules(out _)!);
        Assert.Equal(2e-4, c.Optimizer.Lr);
        Assert.Equal(0.1, c.Optimizer.WeightDecay);
        Assert.Equal(Duration.Parse("20ba"), c.MaxDuration);
        Assert.Equal(1, c.Seed);
        Assert.Equal("/models/llama", c.Model.Path); // from the base
        Assert.Equal(4, c.GlobalTrainBatchSize);
        Assert.Equal(Path.Combine(dir.Path, "runs", p.Id), p.RunDir);
        Assert.Equal(Path.Combine(p.RunDir, "checkpoints"), c.SaveFolder);
        Assert.Equal((64, "attention", 2e-4, 1L), (p.Rank!.Value, p.Targets!, p.LearningRate, p.Seed));

        // a full point: lora.* overrides dropped (the base's lora section is untouched), the other overrides kept
        var full = plan.Points.Single(x => x.Id == "full-lr1e-05-dur20ba-weight_decay0.1-s0");
        Assert.Equal(FinetuneMethod.Full, full.Config.Method);
        Assert.Equal(8, full.Config.Lora.R);
        Assert.Equal(0.1, full.Config.Optimizer.WeightDecay);
        Assert.Equal(["method=full", "optimizer.lr=1e-5", "max_duration=20ba", "optimizer.weight_decay=0.1", "seed=0"], full.Overrides);

        // the config can be reloaded from its base and overrides
        var again = RunConfigLoader.Parse(plan.Definition.BaseYaml, plan.Definition.BaseSource, p.ConfigOverrides);
        Assert.Equal((c.Lora.R, c.Optimizer.Lr, c.SaveFolder), (again.Lora.R, again.Optimizer.Lr, again.SaveFolder));
    }

    [Fact]
    public void AxesNotOnTheGridComeFromTheBaseAndListsOfModulesWork()
    {
        using var dir = new TempDir();
        var plan = Plan(dir, "  lora.target_modules: [[q_proj, v_proj], mlp]");
        Assert.Equal(["lora-r8-q+v-lr1e-04-dur10ba-s17", "lora-r8-mlp-lr1e-04-dur10ba-s17"], plan.Points.Select(p => p.Id));
        Assert.Equal(["q_proj", "v_proj"], plan.Points[0].TargetModules!);
        Assert.Equal(["lora.target_modules=[q_proj, v_proj]"], plan.Points[0].Overrides);
    }

    [Fact]
    public void BaseMethodFullCollapsesLoraAxesWithoutAMethodAxis()
    {
        using var dir = new TempDir();
        string path = dir.File("full.yaml");
        File.WriteAllText(path, "method: full\n" + string.Join('\n', SweepFiles.InlineBase.Split('\n').Select(l => l.Length >= 2 ? l[2..] : l)));
        File.WriteAllText(dir.File("sweep.yaml"), "run_root: out\nbase_config: full.yaml\ngrid:\n  lora.r: [4, 8, 16]\n  seed: [1, 2]\n");
        var plan = SweepPlan.Load(dir.File("sweep.yaml"));
        Assert.Equal(["full-lr1e-04-dur10ba-s1", "full-lr1e-04-dur10ba-s2"], plan.Points.Select(p => p.Id));
        Assert.Equal("sweep", plan.Definition.Name); // the file name by default
        Assert.Equal(Path.Combine(dir.Path, "out"), plan.RunRoot); // relative to the sweep file
        Assert.Equal(path, plan.Definition.BaseConfigPath);
    }

    [Fact]
    public void BadGridKeyIsNamedWithTheClosestKey()
    {
        using var dir = new TempDir();
        string e = Error(dir, "  lora.rank: [16, 64]");
        Assert.Contains("sweep.yaml:19", e); // the grid key's line
        Assert.Contains("'lora.rank'", e);
        Assert.Contains("did you mean 'lora.r'", e);
        Assert.Contains("'optimiser.lr'", Error(dir, "  optimiser.lr: [1e-4]"));
        Assert.Contains("is a section", Error(dir, "  lora: [16]"));
        Assert.Contains("'seed' is not a section", Error(dir, "  seed.x: [1]"));
        Assert.Contains("save_folder", Error(dir, "  save_folder: [a]"));
        Assert.Contains("non-empty list", Error(dir, "  lora.r: 16"));
        Assert.Contains("non-empty list", Error(dir, "  lora.r: []"));
        Assert.Contains("twice", Error(dir, "  lora.r: [16, 16]"));
    }

    [Fact]
    public void BadValuesAndFilesNameTheirSource()
    {
        using var dir = new TempDir();
        Assert.Contains("override 'lora.r=sixteen'", Error(dir, "  lora.r: [16, sixteen]"));
        Assert.Contains("override 'method=partial'", Error(dir, "  method: [lora, partial]"));
        Assert.Contains("same run", Error(dir, "  optimizer.lr: [1e-4, 1.0e-4]"));
        Assert.Contains("unknown key 'grids'", Error(dir, "  seed: [1]", "grids: {}"));

        // an error inside the inline base points at the sweep file's line
        string good = SweepFiles.Write(dir, "  seed: [1]");
        File.WriteAllText(dir.File("bad.yaml"), File.ReadAllText(good).Replace("r: 8", "r: eight", StringComparison.Ordinal));
        string e = Assert.Throws<LoraLabException>(() => SweepPlan.Load(dir.File("bad.yaml"))).Message;
        Assert.Contains("bad.yaml:7", e);
        Assert.Contains("lora.r", e);

        File.WriteAllText(dir.File("nobase.yaml"), "run_root: r\ngrid:\n  seed: [1]\n");
        Assert.Contains("base_config", Assert.Throws<LoraLabException>(() => SweepPlan.Load(dir.File("nobase.yaml"))).Message);
        File.WriteAllText(dir.File("missing.yaml"), "run_root: r\nbase_config: nope.yaml\ngrid:\n  seed: [1]\n");
        Assert.Contains("not found", Assert.Throws<LoraLabException>(() => SweepPlan.Load(dir.File("missing.yaml"))).Message);
        File.WriteAllText(dir.File("noroot.yaml"), "base_config: nope.yaml\ngrid:\n  seed: [1]\n");
        Assert.Contains("run_root", Assert.Throws<LoraLabException>(() => SweepPlan.Load(dir.File("noroot.yaml"))).Message);
    }

    [Fact]
    public void EvalSettingsAreKeptForTheRunner()
    {
        using var dir = new TempDir();
        var plan = Plan(dir, "  seed: [1]", "eval:\n  tasks: [gsm8k, {name: hellaswag}]\n  limit: 100\n  ppl_separator: '8'\n");
        var eval = plan.Points[0].Eval;
        Assert.Equal(["gsm8k", "hellaswag"], eval.Tasks);
        Assert.Equal(100L, eval.Settings["limit"]!.GetValue<long>());
        Assert.Equal("8", eval.Settings["ppl_separator"]!.GetValue<string>()); // quoted stays a string
        Assert.Equal("8", eval.Options!.PerplexitySeparator);
        Assert.Equal(100, eval.Options.Limit);
    }

    [Theory]
    [InlineData(2e-4, "2e-04")]
    [InlineData(1e-5, "1e-05")]
    [InlineData(1.5e-5, "1.5e-05")]
    [InlineData(3e-3, "3e-03")]
    [InlineData(0.1, "1e-01")]
    [InlineData(1.0, "1e+00")]
    [InlineData(12.5, "1.25e+01")]
    public void LearningRatesAreWrittenAsShortestPercentE(double lr, string expected) =>
        Assert.Equal(expected, PointIds.FormatLr(lr)); // as C's printf("%.Ne") with the fewest digits N that round-trip
}
