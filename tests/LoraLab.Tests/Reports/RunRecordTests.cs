using LoraLab.Reports;
using LoraLab.Tests.Training.Config;
using LoraLab.Training.Config;

namespace LoraLab.Tests.Reports;

/// <summary><see cref="RunRecord.Of"/>: a run's settings come from its run config, spelled as the report shows them.</summary>
public class RunRecordTests
{
    private static readonly CheckpointPoint[] Points = [new() { Step = 3, TokensSeen = 96, Target = 0.5, Forgetting = 0.25 }];
    private static readonly LossPoint[] Losses = [new() { Step = 1, Loss = 2.5 }];

    private static RunRecord Of(params string[] overrides) =>
        RunRecord.Of("run-a", RunConfigLoader.Parse(RunConfigTests.Valid, "run.yaml", overrides), Points, Losses);

    [Fact]
    public void LoraRunKeepsItsTargetModulesAsTheConfigGivesThem()
    {
        var r = Of("seed=7");
        Assert.Equal(("run-a", "lora", (int?)8, 2.0e-4), (r.RunId, r.Method, r.Rank, r.LearningRate));
        Assert.Equal("q_proj,v_proj,mlp", r.TargetModules);
        Assert.Equal(("ift", 7L), (r.Regime, r.Seed));
        Assert.Same(Points, r.Checkpoints);
        Assert.Same(Losses, r.TrainingLoss);
        Assert.Null(r.Spectrum);
        Assert.Equal("all", Of("lora.target_modules=all").TargetModules);
    }

    [Fact]
    public void FullRunHasNoRankAndTargetsAllModules()
    {
        var r = Of("method=full", "data.regime=cpt", "data.preset=null");
        Assert.Equal(("full", (int?)null, "all", "cpt"), (r.Method, r.Rank, r.TargetModules, r.Regime));
    }
}
