using LoraLab.Checkpoints;
using LoraLab.Tests.TestSupport;
using LoraLab.Training.Config;

namespace LoraLab.Tests.Training;

/// <summary>
/// The trainer with <c>precision: amp_bf16</c> and <c>activation_checkpointing: true</c>: a tiny run end to end, and the
/// shipped stories260K LoRA config. Runs compare per-step losses bit for bit, so the class runs serially.
/// </summary>
[Collection(GlobalTorchRngCollection.Name)]
public class ScaleTrainingTests
{
    private static double[] Losses(string runDir) =>
        TinyRun.TrainRows(runDir).Select(r => TinyRun.Num(r, "loss")).ToArray();

    [Fact]
    public void CheckpointedRunsHaveThePlainRunsLossesWithDropoutOn()
    {
        using var run = new TinyRun();
        string[] lora = ["method=lora", "lora.r=4", "lora.lora_dropout=0.2", "max_duration=3ba"];
        using (var plain = TinyRun.Train(run.Config("plain", lora))) { }
        using (var checkpointed = TinyRun.Train(run.Config("ckpt", [.. lora, "activation_checkpointing=true"]))) { }
        var expected = Losses(Path.Combine(run.Root, "plain"));
        Assert.Equal(3, expected.Length);
        Assert.Equal(expected, Losses(Path.Combine(run.Root, "ckpt")));
    }

    [Fact]
    public void AmpBf16TrainsNearTheFp32LossesAndSavesFloat32()
    {
        using var run = new TinyRun();
        string[] full = ["method=full", "max_duration=3ba", "save_interval=3ba"];
        using (TinyRun.Train(run.Config("fp32", full))) { }
        using (var amp = TinyRun.Train(run.Config("amp", [.. full, "precision=amp_bf16"])))
            Assert.Equal(Precision.AmpBf16, amp.Config.Precision);
        var fp32 = Losses(Path.Combine(run.Root, "fp32"));
        var bf16 = Losses(Path.Combine(run.Root, "amp"));
        Assert.Equal(fp32.Length, bf16.Length);
        Assert.NotEqual(fp32, bf16);
        for (int i = 0; i < fp32.Length; i++) Assert.InRange(bf16[i] / fp32[i], 0.97, 1.03);
        string final = Path.Combine(run.Root, "amp", "final");
        var files = Directory.GetFiles(final, "*.safetensors");
        Assert.NotEmpty(files);
        foreach (var file in files)
        {
            using var reader = SafetensorsReader.Open(file);
            Assert.All(reader.Tensors, t => Assert.Equal(SafetensorsDType.F32, t.DType));
        }
    }

    [SkippableFact]
    [Trait("Category", "Slow")]
    public void TheStories260kLoraConfigTrainsWithAmpAndWithCheckpointing()
    {
        SharedFiles.Require(SharedFiles.Stories260KBin);
        SharedFiles.Require(SharedFiles.Gsm8kTrain);
        SharedFiles.Require(SharedFiles.TinyStories);
        using var dir = new TempDir();
        string config = Path.Combine(SharedFiles.RepoRoot, "configs", "stories260k-lora-gsm8k.yaml");
        double[] Train(string name, params string[] extra)
        {
            string[] common = ["max_duration=3ba", "eval_interval=3ba", "save_interval=3ba", "save_merged_model=false", $"run_dir={dir.File(name)}"];
            string cwd = Environment.CurrentDirectory;
            Environment.CurrentDirectory = SharedFiles.RepoRoot; // the config's paths are relative to the repository root
            try
            {
                using var trainer = new LoraLab.Training.Trainer(RunConfigLoader.Load(config, [.. common, .. extra]), new() { Console = null });
                trainer.Run();
            }
            finally
            {
                Environment.CurrentDirectory = cwd;
            }
            return Losses(dir.File(name));
        }
        var plain = Train("plain");
        Assert.Equal(plain, Train("ckpt", "activation_checkpointing=true"));
        var amp = Train("amp", "precision=amp_bf16");
        for (int i = 0; i < plain.Length; i++) Assert.InRange(amp[i] / plain[i], 0.97, 1.03);
    }
}
