using LoraLab.Experiments.Demo;
using LoraLab.Experiments.Demo.Data;
using LoraLab.Reports;
using LoraLab.Tests.Reports;
using LoraLab.Tests.TestSupport;

namespace LoraLab.Tests.Experiments.Demo;

public class DemoRunnerTests
{
    // The demo's whole method at a toy size: both learning-rate sweeps, targets and ranks, both regularisation baselines.
    // Tests the composition (sweep files, point ids, records, findings, figures), not the findings' verdicts.
    private static DemoPlan Tiny(int seed) => new()
    {
        Data = new DemoDataOptions
        {
            Seed = seed, SourceTrainStories = 120, SourceHeldOutStories = 8, ClozeItems = 8, TargetTrainProblems = 60, TargetTestProblems = 6,
        },
        PretrainSteps = 6,
        FinetuneSteps = 4,
        EvalPoints = 2,
        FullLrs = [1e-5, 1e-4],
        LoraLrs = [1e-3],
        SmallRank = 2,
        LargeRank = 4,
        Seeds = [seed],
        SeqLen = 96,
        BatchSize = 4,
        FinetuneBatchSize = 4,
        DiversitySamples = 2,
        DiversityTokens = 8,
    };

    [SkippableFact]
    [Trait("Category", "Slow")]
    public void TinyDemoRunsEveryStageAndJudgesSevenFindingsWithAFigureEach()
    {
        RequireFonts.Check();
        using var dir = new TempDir();
        var plan = Tiny(7);
        var summary = new DemoRunner(new DemoOptions { OutDir = dir.Path, Seed = 7, Log = TextWriter.Null }, plan).Run();

        Assert.Equal(7, summary.Findings.Count);
        for (int i = 0; i < 7; i++) Assert.StartsWith($"({i + 1}, §4.", summary.Findings[i].Statement);
        Assert.All(summary.Findings, f => Assert.DoesNotContain("NaN", f.Evidence));
        foreach (string f in new[] { "finding1_learning", "finding2_forgetting", "finding3_tradeoff", "finding4_regularisation",
                     "finding5_diversity", "finding6_rank", "finding7_lr_sweep", "finding7b_targets", "intruders", "learning_vs_forgetting" })
            Assert.True(File.Exists(Path.Combine(dir.Path, "report", f + ".png")), f);
        foreach (string sweep in new[] { "lr-full", "lr-lora", "targets", "large-rank", "full-weight-decay", "full-dropout" })
            Assert.True(File.Exists(Path.Combine(dir.Path, "sweeps", sweep + ".yaml")), sweep);

        // 2 + 1 learning rates, mlp and attention (all is the LR sweep's point), the large rank, weight decay and dropout
        var data = RunCollection.Collect(Path.Combine(dir.Path, "runs"));
        Assert.Equal(8, data.Runs.Count);
        Assert.Single(data.Runs, r => r.RunId == "full-lr1e-04-dur4ba-weight_decay0.001-s7" || r.RunId == "full-lr1e-05-dur4ba-weight_decay0.001-s7");
        Assert.Single(data.Runs, r => r.RunId.Contains("-dropout0.1-s7", StringComparison.Ordinal));
        Assert.Single(data.Runs, r => r.RunId == "lora-r2-attention-lr1e-03-dur4ba-s7");
        Assert.Single(data.Runs, r => r.RunId == "lora-r4-all-lr1e-03-dur4ba-s7");
        foreach (var run in data.Runs)
        {
            Assert.Equal(plan.EvalPoints + 1, run.Checkpoints.Count); // the base model + each evaluation point
            Assert.True(run.Checkpoints[^1].TokensSeen > run.Checkpoints[1].TokensSeen, run.RunId);
            Assert.NotEmpty(run.Spectrum!);
        }
        // LoRA's ΔW has rank ≤ r in every module
        foreach (var run in data.Runs.Where(r => r.IsLora))
            Assert.All(run.Spectrum!, s => Assert.InRange(s.DeltaRank, 0, run.Rank!.Value));
    }

    [SkippableFact]
    [Trait("Category", "Slow")]
    public void QuickDemoRunsEndToEndAndWritesEveryReportFile()
    {
        RequireFonts.Check();
        using var dir = new TempDir();
        var summary = new DemoRunner(new DemoOptions { OutDir = dir.Path, Quick = true, Log = TextWriter.Null }).Run();

        Assert.Equal(Path.Combine(dir.Path, "report", "report.html"), summary.ReportHtml);
        Assert.Equal(7, summary.Findings.Count);
        Assert.All(summary.Findings, f => Assert.DoesNotContain("NaN", f.Evidence));
        var data = RunCollection.Collect(Path.Combine(dir.Path, "runs"));
        foreach (var run in data.Runs)
            Assert.True(run.Final!.Target < run.Checkpoints[0].Target, $"{run.RunId}: learning happened: {run.Final.Target} vs {run.Checkpoints[0].Target}");
        Assert.Contains("data:image/png;base64,", File.ReadAllText(summary.ReportHtml));
    }

    [SkippableFact]
    [Trait("Category", "Slow")]
    public void TinyDemoOnARealBaseModelUsesItsTokenizerAndTheGivenSourceText()
    {
        RequireFonts.Check();
        using var dir = new TempDir();
        LoraLab.Checkpoints.Llama2cConverter.Convert(SharedFiles.Require(SharedFiles.Stories260KBin), SharedFiles.Require(SharedFiles.Tok512Model),
            dir.File("base"), TorchSharp.torch.ScalarType.Float32);
        var plan = Tiny(3);
        var summary = new DemoRunner(new DemoOptions
        {
            OutDir = dir.File("out"), BaseDir = dir.File("base"), SourceText = SharedFiles.Require(SharedFiles.TinyStories), Log = TextWriter.Null,
        }, plan).Run();
        Assert.True(File.Exists(summary.ReportHtml));
        Assert.False(Directory.Exists(dir.File("out/base/pretrain"))); // nothing pretrained
        var data = RunCollection.Collect(dir.File("out/runs"));
        // the base model's TinyStories loss is the forgetting baseline: stories260K is good at it (about 1.25 nats/token)
        Assert.All(data.Runs, r => Assert.InRange(r.Checkpoints[0].Forgetting, 0.8, 2.0));
        Assert.DoesNotContain(summary.Findings, f => f.Evidence.Contains("NaN"));
    }
}
