using LoraLab.Checkpoints;
using LoraLab.Models.Llama;
using LoraLab.Peft;
using LoraLab.Tests.TestSupport;
using LoraLab.Tests.Training;
using LoraLab.Training;
using LoraLab.Training.Checkpointing;
using static TorchSharp.torch;

namespace LoraLab.Tests.Training;

/// <summary>A run's checkpoints open as models: LoRA = base from the run's config + that step's adapter; full = its weights.</summary>
[Collection(GlobalTorchRngCollection.Name)]
public class ModelSourceTests
{
    private static Tensor Logits(LlamaForCausalLM model)
    {
        model.eval();
        using var noGrad = no_grad();
        return model.Forward(tensor(new long[] { 1, 72, 101, 108, 108, 111, 32, 99, 97 }, new long[] { 1, 9 })).detach().clone(); // (1, 9, V)
    }

    [Theory]
    [InlineData("lora")]
    [InlineData("full")]
    public void EveryCheckpointLoadsAsTheModelTrainedToThatStep(string method)
    {
        using var run = new TinyRun();
        // 6 steps, a checkpoint every 3: step-000003 and step-000006 (= the final model)
        using var trainer = TinyRun.Train(run.Config(method, $"method={method}", "lora.r=4", "optimizer.lr=0.01"));
        var checkpoints = ModelSource.RunCheckpoints(trainer.RunDirectory);
        Assert.Equal([3L, 6L], checkpoints.Select(c => c.Manifest!.Step));
        Assert.All(checkpoints, c => Assert.Equal(ModelSourceKind.TrainingCheckpoint, c.Kind));
        Assert.Equal(method, checkpoints[1].Method);

        using var final = checkpoints[1].Load();
        var expected = Logits(trainer.Model);
        Assert.True(Logits(final).allclose(expected, rtol: 1e-5, atol: 1e-5), "the last checkpoint is the trained model");

        // swapping step 3 into the loaded step-6 model gives what loading step 3 gives, and it differs from step 6
        using var step3 = checkpoints[0].Load();
        checkpoints[0].ApplyTo(final);
        Assert.True(Logits(final).allclose(Logits(step3), rtol: 1e-6, atol: 1e-6));
        Assert.False(Logits(step3).allclose(expected, rtol: 1e-4, atol: 1e-4), "training moved the model between steps 3 and 6");

        // a LoRA checkpoint stores only the adapters, never the base again
        using var reader = SafetensorsReader.Open(Path.Combine(checkpoints[1].Path, TrainingCheckpoint.ModelFile));
        Assert.Equal(method == "lora", reader.Tensors.All(t => LoraModules.IsLoraParameter(t.Name)));
    }

    [Fact]
    public void LoraFinalDirectoryFindsItsBaseThroughTheRun()
    {
        using var run = new TinyRun();
        using var trainer = TinyRun.Train(run.Config("lora", "method=lora", "lora.r=4", "optimizer.lr=0.01"));
        var source = ModelSource.Resolve(Path.Combine(trainer.RunDirectory, Trainer.FinalDirName));
        Assert.Equal(ModelSourceKind.Adapter, source.Kind);
        Assert.Equal(Path.GetFullPath(run.ModelDir), source.Base.Path);
        using var model = source.Load();
        Assert.True(Logits(model).allclose(Logits(trainer.Model), rtol: 1e-5, atol: 1e-5));
    }

    [Fact]
    public void BadRunsGiveOneClearError()
    {
        using var run = new TinyRun();
        using (TinyRun.Train(run.Config("lora", "method=lora", "lora.r=4", "max_duration=3ba"))) { }
        string runDir = Path.Combine(run.Root, "lora");
        string checkpoint = TrainingCheckpoint.List(Path.Combine(runDir, Trainer.CheckpointsDirName))[0].Dir;

        // the base model moved
        Directory.Move(run.ModelDir, run.ModelDir + "-moved");
        var moved = Assert.Throws<LoraLabException>(() => ModelSource.Resolve(checkpoint));
        Assert.Contains("base model", moved.Message);
        Assert.Contains("model.path", moved.Message);
        Assert.Contains("run_config.yaml", moved.Message);
        Directory.Move(run.ModelDir + "-moved", run.ModelDir);

        // a run directory without checkpoints, and an --adapter beside a checkpoint
        Directory.CreateDirectory(Path.Combine(run.Root, "empty-run"));
        Assert.Contains("no checkpoints", Assert.Throws<LoraLabException>(() => ModelSource.RunCheckpoints(Path.Combine(run.Root, "empty-run"))).Message);
        Assert.Contains("drop --adapter", Assert.Throws<LoraLabException>(() => ModelSource.Resolve(checkpoint, run.ModelDir)).Message);
    }
}
