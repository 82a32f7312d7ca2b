using LoraLab.Tests.TestSupport;
using LoraLab.Training;
using LoraLab.Training.Checkpointing;
using LoraLab.Training.Config;

namespace LoraLab.Tests.Training;

[Collection(GlobalTorchRngCollection.Name)]
public class TrainerResumeTests
{
    [Theory]
    [InlineData("full", "decoupled_lionw")] // dropout on attention/MLP outputs
    [InlineData("lora", "adamw")] // lora_dropout; AdamW's per-parameter step tensors
    public void ResumedRunIsBitwiseIdenticalToAnUninterruptedOne(string method, string optimizer)
    {
        using var run = new TinyRun();
        string[] settings = method == "full"
            ? ["method=full", "full.dropout=0.1", $"optimizer.name={optimizer}", "gradient_clipping.max_norm=0.5"]
            : ["method=lora", "lora.r=4", "lora.lora_dropout=0.1", $"optimizer.name={optimizer}", "optimizer.weight_decay=0.01"];
        using var straight = TinyRun.Train(run.Config("straight", settings));

        var interrupted = run.Config("resumed", settings);
        using (var first = TinyRun.Trainer(interrupted, stopAfter: 3)) Assert.Null(first.Run().FinalDirectory);
        // a kill while writing the step-6 checkpoint leaves a temporary directory (never taken for a checkpoint); a step-*
        // folder without a manifest (never written by LoraLab: checkpoints are renamed into place complete) is refused by
        // name rather than silently skipped, and resuming works once it is moved away
        string checkpoints = Path.Combine(interrupted.RunDirectory, Trainer.CheckpointsDirName);
        Directory.CreateDirectory(Path.Combine(checkpoints, ".tmp-step-000006-0badf00d"));
        File.WriteAllText(Path.Combine(checkpoints, ".tmp-step-000006-0badf00d", "model.safetensors"), "half-written");
        Directory.CreateDirectory(Path.Combine(checkpoints, "step-000009"));
        Assert.Contains("step-000009", Assert.Throws<LoraLabException>(() => TrainingCheckpoint.FindLatest(checkpoints)).Message);
        Directory.Delete(Path.Combine(checkpoints, "step-000009"));
        Assert.EndsWith("step-000003", TrainingCheckpoint.FindLatest(checkpoints));

        using var resumed = TinyRun.Trainer(run.Config("resumed", [.. settings, "resume=true"]));
        resumed.Run();
        Assert.EndsWith("step-000003", resumed.ResumedFrom);
        Assert.Equal(6, resumed.Step);
        Assert.Equal(straight.TokensSeen, resumed.TokensSeen);
        var a = straight.Model.state_dict();
        foreach (var (name, p) in resumed.Model.state_dict()) Assert.True(TinyRun.Same(a[name], p), $"{name} differs after resume");
        Assert.False(Directory.Exists(Path.Combine(checkpoints, ".tmp-step-000006-0badf00d")), "leftover temporary removed");

        var rowsA = TinyRun.TrainRows(straight.RunDirectory);
        var rowsB = TinyRun.TrainRows(resumed.RunDirectory);
        Assert.Equal(Enumerable.Range(1, 6), rowsB.Select(r => (int)TinyRun.Num(r, "step"))); // no duplicated steps
        for (int i = 0; i < 6; i++)
        {
            Assert.Equal(TinyRun.Num(rowsA[i], "loss"), TinyRun.Num(rowsB[i], "loss"));
            Assert.Equal(TinyRun.Num(rowsA[i], "grad_norm"), TinyRun.Num(rowsB[i], "grad_norm"));
            Assert.Equal(TinyRun.Num(rowsA[i], "lr"), TinyRun.Num(rowsB[i], "lr"));
        }
    }

    [Fact]
    public void StartingOverAnExistingRunWithoutResumeIsRefused()
    {
        using var run = new TinyRun();
        using (var t = TinyRun.Trainer(run.Config("r", "max_duration=3ba"))) t.Run();
        using var again = TinyRun.Trainer(run.Config("r", "max_duration=3ba"));
        var e = Assert.Throws<LoraLabException>(again.Setup);
        Assert.Contains("--resume", e.Message);
    }

    [Fact]
    public void KeepsOnlyTheLastKCheckpoints()
    {
        using var run = new TinyRun();
        using var t = TinyRun.Train(run.Config("keep", "save_interval=1ba", "save_num_checkpoints_to_keep=2"));
        Assert.Equal([5L, 6L], TrainingCheckpoint.List(t.CheckpointsDirectory).Select(c => c.Step));
        Assert.Empty(Directory.GetDirectories(t.CheckpointsDirectory, ".tmp-*"));
    }

    [Fact]
    public void CooldownFromACheckpointWithAShorterMaxDuration()
    {
        using var run = new TinyRun();
        // inverse-sqrt: warmup 1, scale 2, cooldown 2 batches; planned for 10 batches, stopped after 4
        string[] schedule = ["scheduler={name: inv_sqrt_with_warmup, t_warmup: 1ba, t_scale: 2ba, t_cooldown: 2ba}",
            "optimizer.lr=1.0e-3", "save_interval=2ba"];
        var config = run.Config("cool", [.. schedule, "max_duration=10ba"]);
        using (var t = TinyRun.Trainer(config, stopAfter: 4)) t.Run();
        using var cool = TinyRun.Trainer(run.Config("cool", [.. schedule, "max_duration=6ba", "resume=true"]));
        var result = cool.Run();
        Assert.Equal(6, result.Steps);
        Assert.NotNull(result.FinalDirectory);
        // Step k uses α(k − 1). Decay branch α(t) = sqrt(t_scale / (t − t_warmup + t_scale)); with t_max = 6 the cooldown
        // starts at t_c = max(1, 6 − 2) = 4 and falls linearly to 0 over 2 batches: α(5) = α_decay(4) · (1 − 1/2).
        double[] alpha = [0.0, 1.0, Math.Sqrt(2.0 / 3), Math.Sqrt(2.0 / 4), Math.Sqrt(2.0 / 5), 0.5 * Math.Sqrt(2.0 / 5)];
        var lrs = TinyRun.TrainRows(cool.RunDirectory).Select(r => TinyRun.Num(r, "lr")).ToList();
        Assert.Equal(6, lrs.Count);
        for (int i = 0; i < 6; i++) Assert.Equal(1e-3 * alpha[i], lrs[i], 12);
    }

    [Fact]
    public void ResolvedConfigRoundTrips()
    {
        using var run = new TinyRun();
        var c = run.Config("x", "lora.r=8", "method=lora", "eval_interval=2ba");
        string yaml = RunConfigWriter.ToYaml(c);
        var again = RunConfigLoader.Parse(yaml, "resolved.yaml");
        Assert.Equal(yaml.Split('\n')[1..], RunConfigWriter.ToYaml(again).Split('\n')[1..]);
        Assert.Equal(8, again.Lora.R);
        Assert.Equal(FinetuneMethod.Lora, again.Method);
        Assert.Equal(Duration.Batches(2), again.EvalInterval);
    }
}
