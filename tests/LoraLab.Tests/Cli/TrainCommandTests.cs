using System.Text.Json;
using LoraLab.Checkpoints;
using LoraLab.Peft;
using LoraLab.Tests.TestSupport;
using LoraLab.Tests.Training;
using static TorchSharp.torch;

namespace LoraLab.Tests.Cli;

public class TrainCommandTests
{
    [SkippableFact]
    [Trait("Category", "Slow")]
    public void TrainRunsTheStories260kConfigWithOverridesEndToEnd()
    {
        SharedFiles.Require(SharedFiles.Stories260KBin);
        SharedFiles.Require(SharedFiles.Gsm8kTrain);
        using var dir = new TempDir();
        string runDir = dir.File("run");
        var r = CliRun.RunIn(SharedFiles.RepoRoot, "train", "--config", "configs/stories260k-lora-gsm8k.yaml",
            "max_duration=2ba", "eval_interval=2ba", "lora.r=8", $"run_dir={runDir}");
        Assert.True(r.ExitCode == 0, r.StdErr);
        Assert.Contains("trained 2/2 steps", r.StdOut);
        Assert.Contains("step 2/2", r.StdErr); // the progress line
        Assert.Contains("r: 8", File.ReadAllText(Path.Combine(runDir, "run_config.yaml")));
        var rows = File.ReadAllLines(Path.Combine(runDir, "metrics.jsonl")).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(["train", "train", "eval"], rows.Select(x => x.GetProperty("type").GetString()));
        Assert.Single(Directory.GetFiles(Path.Combine(runDir, "tensorboard"), "events.out.tfevents.*"));
        Assert.True(Directory.Exists(Path.Combine(runDir, "checkpoints", "step-000002")));
        Assert.Equal(8, PeftAdapter.ReadConfig(Path.Combine(runDir, "final")).Config.R);
        Assert.True(File.Exists(Path.Combine(runDir, "final-merged", "tokenizer.json")));
        using var merged = LlamaCheckpoint.Load(Path.Combine(runDir, "final-merged"));
    }

    [Fact]
    public void UnknownOverrideKeyExitsNonZeroNamingTheKey()
    {
        using var run = new TinyRun();
        var r = CliRun.Run("train", "--config", run.WriteConfig("bad"), "lora.rr=8");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("unknown key 'lora.rr'", r.StdErr);
        Assert.Contains("lora.r", r.StdErr); // the suggestion
    }

    [Fact]
    public void MergeWritesAModelWithTheAdaptedModelsLogits()
    {
        using var run = new TinyRun();
        using var trainer = TinyRun.Train(run.Config("lora", "method=lora", "lora.r=4", "max_duration=2ba", "scheduler.t_warmup=0ba", "optimizer.lr=1.0e-2"));
        string adapter = Path.Combine(trainer.RunDirectory, "final");
        string output = Path.Combine(run.Root, "merged");
        Assert.Equal(0, LoraLab.Cli.Program.Main(["merge", "--model", run.ModelDir, "--adapter", adapter, "--out", output]));

        using var adapted = PeftAdapter.LoadWithBase(run.ModelDir, adapter);
        using var merged = LlamaCheckpoint.Load(output);
        using var plain = LlamaCheckpoint.Load(run.ModelDir);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var ids = tensor(new long[] { 1, 55, 60, 70, 80, 90, 100, 3 }, new long[] { 1, 8 });
        var expected = adapted.Forward(ids);
        Assert.True(merged.Forward(ids).allclose(expected, rtol: 1e-4, atol: 1e-5), "merged logits = base + adapter logits");
        Assert.False(plain.Forward(ids).allclose(expected, rtol: 1e-4, atol: 1e-5), "the adapter changed the model");
        Assert.DoesNotContain(merged.named_parameters(), p => LoraModules.IsLoraParameter(p.name));
    }
}
