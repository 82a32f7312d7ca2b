using System.Text.Json;
using LoraLab.Tests.TestSupport;

namespace LoraLab.Tests.Cli;

/// <summary>
/// Cooldown from a checkpoint, as the study did it: retrain from a checkpoint before the cooldown with a new
/// max_duration (`train --from-checkpoint`); the inverse-sqrt schedule's linear cooldown then ends at the new max_duration.
/// </summary>
public class CooldownTests
{
    private static List<JsonElement> TrainRows(string runDir) => File.ReadAllLines(Path.Combine(runDir, "metrics.jsonl"))
        .Select(l => JsonDocument.Parse(l).RootElement.Clone()).Where(r => r.GetProperty("type").GetString() == "train").ToList();

    private static double Lr(List<JsonElement> rows, long step) => rows.Single(r => r.GetProperty("step").GetInt64() == step).GetProperty("lr").GetDouble();

    [SkippableFact]
    [Trait("Category", "Slow")]
    public void CooldownFromACheckpointContinuesTheRunAndCoolsDownToTheNewMaxDuration()
    {
        SharedFiles.Require(SharedFiles.Stories260KBin);
        SharedFiles.Require(SharedFiles.Gsm8kTrain);
        using var dir = new TempDir();
        string main = dir.File("main"), cool = dir.File("cool");
        // inverse-sqrt decay with a 2-step linear cooldown at the end of max_duration (llm-foundry's inv_sqrt_with_warmup)
        var r = CliRun.RunIn(SharedFiles.RepoRoot, "train", "--config", "configs/stories260k-lora-gsm8k.yaml", "eval_data=null",
            "scheduler={name: inv_sqrt_with_warmup, t_warmup: 1ba, t_scale: 1ba, t_cooldown: 2ba}", "data.seq_len=64",
            "global_train_batch_size=4", "device_train_microbatch_size=4", "max_duration=6ba", "save_interval=2ba",
            "save_num_checkpoints_to_keep=-1", "save_merged_model=false", $"run_dir={main}");
        Assert.True(r.ExitCode == 0, r.StdErr);

        // the cooldown: from step 2 of the main run, max_duration = 2 + t_cooldown
        string checkpoint = Path.Combine(main, "checkpoints", "step-000002");
        string[] args = ["train", "--config", Path.Combine(main, "run_config.yaml"), "--from-checkpoint", checkpoint, "max_duration=4ba"];
        var same = CliRun.Run(args); // without a new run_dir it would overwrite the main run
        Assert.Equal(2, same.ExitCode);
        Assert.Contains("run_dir", same.StdErr);
        var c = CliRun.Run([.. args, $"run_dir={cool}"]);
        Assert.True(c.ExitCode == 0, c.StdErr);
        Assert.Contains("trained 4/4 steps", c.StdOut);

        var mainRows = TrainRows(main);
        var coolRows = TrainRows(cool);
        Assert.Equal([3L, 4L], coolRows.Select(x => x.GetProperty("step").GetInt64()));
        // step 3 is the main run's step 3 (same weights, optimizer state, data position and, at the cooldown's start, lr)
        Assert.Equal(Lr(mainRows, 3), Lr(coolRows, 3), 12);
        Assert.Equal(mainRows[2].GetProperty("loss").GetDouble(), coolRows[0].GetProperty("loss").GetDouble(), 6);
        // then the linear cooldown: α(t) = α_c · (1 − (t − t_c) / t_cooldown), t_c = 2, t_cooldown = 2 → step 4 (t = 3) at half
        Assert.Equal(Lr(coolRows, 3) / 2, Lr(coolRows, 4), 12);
        Assert.NotEqual(Lr(mainRows, 4), Lr(coolRows, 4), 6);
        Assert.Equal(mainRows[3].GetProperty("tokens_seen").GetInt64(), coolRows[1].GetProperty("tokens_seen").GetInt64());
        Assert.True(Directory.Exists(Path.Combine(cool, "checkpoints", "step-000004")));
        Assert.True(File.Exists(Path.Combine(cool, "final", "adapter_config.json")));
        Assert.False(Directory.Exists(Path.Combine(main, "final-merged")));
        Assert.True(Directory.Exists(Path.Combine(main, "checkpoints", "step-000006")), "the main run is untouched");
    }
}
