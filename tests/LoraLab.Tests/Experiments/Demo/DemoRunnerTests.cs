using LoraLab.Experiments.Demo;
using LoraLab.Reports;
using LoraLab.Tests.Reports;
using LoraLab.Tests.TestSupport;

namespace LoraLab.Tests.Experiments.Demo;

public class DemoRunnerTests
{
    [SkippableFact]
    public void QuickDemoRunsEndToEndAndWritesEveryReportFile()
    {
        RequireFonts.Check();
        using var dir = new TempDir();
        var log = new StringWriter();
        var summary = new DemoRunner(new DemoOptions { OutDir = dir.Path, Quick = true, Log = log }).Run();

        foreach (var f in new[] { "report.html", "summary.md", "learning_vs_forgetting.png", "training_loss.png", "spectrum_heatmap.png", "spectrum_summary.png", "diversity.png" })
            Assert.True(File.Exists(Path.Combine(dir.Path, "report", f)), f);
        Assert.Equal(Path.Combine(dir.Path, "report", "report.html"), summary.ReportHtml);
        Assert.Equal(4, summary.Findings.Count);
        var data = RunCollection.Collect(Path.Combine(dir.Path, "runs"));
        var plan = DemoPlan.For(new DemoOptions { Quick = true });
        Assert.Equal(plan.Runs.Count, data.Runs.Count);
        foreach (var run in data.Runs)
        {
            Assert.Equal(plan.EvalPoints + 1, run.Checkpoints.Count); // the base model + each evaluation point
            Assert.NotEmpty(run.TrainingLoss);
            Assert.NotEmpty(run.Spectrum!);
            // learning happened: the target loss fell from the base model's
            Assert.True(run.Final!.Target < run.Checkpoints[0].Target, $"{run.RunId}: {run.Final.Target} vs {run.Checkpoints[0].Target}");
        }
        // LoRA's ΔW has rank ≤ r in every module
        foreach (var run in data.Runs.Where(r => r.IsLora))
            Assert.All(run.Spectrum!, s => Assert.InRange(s.VarianceRank, 0, run.Rank!.Value));
        string html = File.ReadAllText(summary.ReportHtml);
        Assert.Contains("data:image/png;base64,", html);
    }

    [SkippableFact]
    public void QuickDemoOnARealBaseModelUsesItsTokenizerAndTheGivenSourceText()
    {
        RequireFonts.Check();
        using var dir = new TempDir();
        LoraLab.Checkpoints.Llama2cConverter.Convert(SharedFiles.Require(SharedFiles.Stories260KBin), SharedFiles.Require(SharedFiles.Tok512Model),
            dir.File("base"), TorchSharp.torch.ScalarType.Float32);
        var summary = new DemoRunner(new DemoOptions
        {
            OutDir = dir.File("out"), Quick = true, BaseDir = dir.File("base"),
            SourceText = SharedFiles.Require(SharedFiles.TinyStories), Log = TextWriter.Null,
        }).Run();
        Assert.True(File.Exists(summary.ReportHtml));
        Assert.False(Directory.Exists(dir.File("out/base/pretrain"))); // nothing pretrained
        var data = RunCollection.Collect(dir.File("out/runs"));
        // the base model's TinyStories loss is the forgetting baseline: stories260K is good at it (about 1.25 nats/token)
        Assert.All(data.Runs, r => Assert.InRange(r.Checkpoints[0].Forgetting, 0.8, 2.0));
        Assert.DoesNotContain(summary.Findings, f => f.Evidence.Contains("NaN"));
    }
}
