using System.Text.Json.Nodes;
using LoraLab.Experiments;
using LoraLab.Tests.TestSupport;

namespace LoraLab.Tests.Experiments;

public class SweepRunnerTests
{
    private const string Grid = "  method: [lora, full]\n  lora.r: [4, 8]\n  seed: [0, 1]"; // 4 lora + 2 full = 6 points

    private static SweepRunSummary Run(SweepPlan plan, FakePointRunner runner, SweepRunOptions? options = null) =>
        SweepRunner.Run(plan, runner, options ?? new SweepRunOptions(), CancellationToken.None);

    [Fact]
    public void ResumeSkipsFinishedPointsAndRerunsOnlyMissingResults()
    {
        using var dir = new TempDir();
        var plan = SweepPlan.Load(SweepFiles.Write(dir, Grid));
        Assert.Equal(6, plan.Points.Count);

        var first = new FakePointRunner();
        var s1 = Run(plan, first);
        Assert.Equal(plan.Points.Select(p => p.Id), first.Calls); // in index order
        Assert.Equal((6, 0, 0), (s1.Ran, s1.Skipped, s1.Failed));
        foreach (var p in plan.Points)
        {
            var r = SweepResultFile.Read(Path.Combine(dir.Path, "runs", p.Id, "result.json"));
            var expected = FakePointRunner.Expected(p);
            Assert.Equal(SweepPointStatus.Ok, r.Result.Status);
            Assert.Equal(p.Id, r.PointId);
            Assert.Equal(expected.FinalTrainLoss, r.Result.FinalTrainLoss);
            Assert.Equal(expected.TargetScore, r.Result.TargetScore);
            Assert.Equal(expected.ForgettingScore, r.Result.ForgettingScore);
            Assert.Equal(0.25, r.Result.Metrics["gsm8k/exact_match"]);
            Assert.Equal("train.log", r.Result.Paths["train_log"]);
            Assert.Equal(p.Overrides, r.Overrides);
            Assert.True(File.Exists(Path.Combine(p.RunDir, SweepRunner.PointFileName)));
        }

        var second = new FakePointRunner();
        var s2 = Run(plan, second);
        Assert.Empty(second.Calls);
        Assert.Equal((0, 6), (s2.Ran, s2.Skipped));

        File.Delete(plan.Points[3].ResultPath);
        var third = new FakePointRunner();
        Run(plan, third);
        Assert.Equal([plan.Points[3].Id], third.Calls);
    }

    [Fact]
    public void FailuresAreRecordedWithoutStoppingAndRetriedNextTime()
    {
        using var dir = new TempDir();
        var plan = SweepPlan.Load(SweepFiles.Write(dir, Grid));
        var runner = new FakePointRunner();
        runner.FailIds.Add(plan.Points[1].Id);
        runner.ThrowIds.Add(plan.Points[4].Id);
        var summary = Run(plan, runner);
        Assert.Equal(6, runner.Calls.Count);
        Assert.Equal([plan.Points[1].Id, plan.Points[4].Id], summary.FailedIds);
        Assert.False(summary.StoppedEarly);

        var failed = SweepResultFile.Read(plan.Points[1].ResultPath);
        Assert.Equal((SweepPointStatus.Failed, "diverged: loss is NaN"), (failed.Result.Status, failed.Result.Error));
        var thrown = SweepResultFile.Read(plan.Points[4].ResultPath);
        Assert.Equal(SweepPointStatus.Failed, thrown.Result.Status);
        Assert.Equal("InvalidOperationException: boom in " + plan.Points[4].Id, thrown.Result.Error);
        Assert.Contains("at LoraLab.Tests.Experiments.FakePointRunner.Run", File.ReadAllText(Path.Combine(plan.Points[4].RunDir, SweepRunner.ErrorLogName)));

        // the next run retries exactly the failed points; once they succeed they are finished
        var retry = new FakePointRunner();
        var again = Run(plan, retry);
        Assert.Equal([plan.Points[1].Id, plan.Points[4].Id], retry.Calls);
        Assert.Equal((2, 4, 0), (again.Ran, again.Skipped, again.Failed));
        Assert.Equal(SweepPointStatus.Ok, SweepResultFile.Read(plan.Points[4].ResultPath).Result.Status);
        Assert.False(File.Exists(Path.Combine(plan.Points[4].RunDir, SweepRunner.ErrorLogName)));
        var last = new FakePointRunner();
        Run(plan, last);
        Assert.Empty(last.Calls);
    }

    [Fact]
    public void FailFastStopsAtTheFirstFailure()
    {
        using var dir = new TempDir();
        var plan = SweepPlan.Load(SweepFiles.Write(dir, Grid));
        var runner = new FakePointRunner();
        runner.FailIds.Add(plan.Points[2].Id);
        var summary = Run(plan, runner, new SweepRunOptions { FailFast = true });
        Assert.Equal(plan.Points.Take(3).Select(p => p.Id), runner.Calls);
        Assert.True(summary.StoppedEarly);
        Assert.False(File.Exists(plan.Points[3].ResultPath));
    }

    [Fact]
    public void IndexRunsExactlyThatPointAndLeavesTheSqliteIndexAlone()
    {
        using var dir = new TempDir();
        var plan = SweepPlan.Load(SweepFiles.Write(dir, Grid));
        var runner = new FakePointRunner();
        Run(plan, runner, new SweepRunOptions { Index = 5 });
        Assert.Equal([plan.Points[5].Id], runner.Calls);
        Assert.Equal("full-lr1e-04-dur10ba-s1", plan.Points[5].Id);
        Assert.True(File.Exists(Path.Combine(dir.Path, "runs", "full-lr1e-04-dur10ba-s1", "result.json")));
        Assert.False(File.Exists(SweepIndex.PathFor(plan.RunRoot))); // array tasks do not write the shared SQLite file
        Run(plan, runner, new SweepRunOptions { Index = 5 });
        Assert.Single(runner.Calls); // finished: skipped
        Assert.Throws<LoraLabException>(() => Run(plan, runner, new SweepRunOptions { Index = 6 }));
    }

    [Fact]
    public void CancellationWritesNoResultAndTheRunnerIsOnlyCreatedWhenNeeded()
    {
        using var dir = new TempDir();
        var plan = SweepPlan.Load(SweepFiles.Write(dir, Grid));
        using var cts = new CancellationTokenSource();
        var runner = new FakePointRunner { OnRun = p => { if (p.Index == 1) cts.Cancel(); } };
        Assert.ThrowsAny<OperationCanceledException>(() => SweepRunner.Run(plan, runner, new SweepRunOptions(), cts.Token));
        Assert.True(File.Exists(plan.Points[0].ResultPath));
        Assert.False(File.Exists(plan.Points[1].ResultPath)); // runs again next time
        Assert.False(SweepRunner.IsFinished(plan.Points[1]));

        SweepRunner.Run(plan, new FakePointRunner(), new SweepRunOptions(), CancellationToken.None);
        int created = 0;
        SweepRunner.Run(plan, () => { created++; return new FakePointRunner(); }, new SweepRunOptions(), CancellationToken.None);
        Assert.Equal(0, created); // everything finished: no runner needed
    }

    [Fact]
    public void PointFileAndResultFileHoldThePointsSettings()
    {
        using var dir = new TempDir();
        var plan = SweepPlan.Load(SweepFiles.Write(dir, "  lora.r: [4]", "eval:\n  tasks: [gsm8k]\n"));
        Run(plan, new FakePointRunner());
        var p = plan.Points[0];
        var point = JsonNode.Parse(File.ReadAllText(Path.Combine(p.RunDir, "point.json")))!;
        Assert.Equal("lora-r4-q-lr1e-04-dur10ba-s17", point["point_id"]!.GetValue<string>());
        Assert.Equal("gsm8k", point["eval"]!["tasks"]![0]!.GetValue<string>());
        Assert.Equal("save_folder=" + Path.Combine(p.RunDir, "checkpoints"), point["config_overrides"]![1]!.GetValue<string>());

        var result = JsonNode.Parse(File.ReadAllText(p.ResultPath))!;
        Assert.Equal("ok", result["status"]!.GetValue<string>());
        Assert.Equal("lora", result["method"]!.GetValue<string>());
        Assert.Equal(4, result["rank"]!.GetValue<int>());
        Assert.Equal(1e-4, result["lr"]!.GetValue<double>());
        Assert.Equal("q", result["targets"]!.GetValue<string>());
        Assert.Equal("10ba", result["duration"]!.GetValue<string>());
        Assert.Equal(17, result["seed"]!.GetValue<long>());
        Assert.Equal(3.704, result["final_train_loss"]!.GetValue<double>(), 12); // the fake's 2 + seed/10 + rank/1000 = 2 + 1.7 + 0.004
    }

    [Fact]
    public void MalformedResultFilesAreNamedAndRunAgain()
    {
        using var dir = new TempDir();
        var plan = SweepPlan.Load(SweepFiles.Write(dir, "  lora.r: [4]"));
        var p = plan.Points[0];
        Directory.CreateDirectory(p.RunDir);
        File.WriteAllText(p.ResultPath, "{\"point_id\": \"x\", \"status\": \"maybe\"}");
        Assert.Contains("status", Assert.Throws<LoraLabException>(() => SweepResultFile.Read(p.ResultPath)).Message);
        File.WriteAllText(p.ResultPath, "{not json");
        string e = Assert.Throws<LoraLabException>(() => SweepResultFile.Read(p.ResultPath)).Message;
        Assert.Contains(p.ResultPath, e);
        var runner = new FakePointRunner();
        var log = new StringWriter();
        SweepRunner.Run(plan, runner, new SweepRunOptions { Log = log }, CancellationToken.None);
        Assert.Single(runner.Calls);
        Assert.Contains("running the point again", log.ToString());
    }
}
