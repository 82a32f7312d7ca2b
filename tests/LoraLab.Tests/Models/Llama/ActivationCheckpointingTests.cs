using LoraLab.Kernels;
using LoraLab.Models.Llama;
using LoraLab.Peft;
using LoraLab.Tests.TestSupport;
using static TorchSharp.torch;

namespace LoraLab.Tests.Models.Llama;

/// <summary>
/// Activation checkpointing per decoder layer against the plain forward/backward: with every dropout on (LoRA,
/// attention, residual) and the same seed, the loss and every gradient are the same, because the recomputed forward
/// replays the generator state. Reseeds the global generator, so the class runs serially.
/// </summary>
[Collection(GlobalTorchRngCollection.Name)]
public class ActivationCheckpointingTests
{
    [Theory]
    [InlineData(true, false)]
    [InlineData(false, false)]
    [InlineData(true, true)] // the references (any device) under checkpointing
    public void LossAndGradientsEqualThePlainRun(bool lora, bool reference)
    {
        using var scope = NewDisposeScope();
        var config = TinyLlama.Config() with { AttentionDropout = 0.1, ResidualDropout = 0.1 };
        manual_seed(3);
        using var model = LoraModel.Create(config, ScalarType.Float32, lora ? new LoraConfig(4, LoraTargets.All, dropout: 0.2) : null);
        using (no_grad()) foreach (var (name, p) in model.named_parameters()) if (name.Contains("lora_B")) p.normal_(0, 0.1);
        if (!lora) foreach (var p in model.parameters()) p.requires_grad = true;
        model.train();
        var ids = randint(0, config.VocabSize, new long[] { 2, 12 });
        var labels = randint(0, config.VocabSize, new long[] { 2, 12 });
        using var choice = KernelSwitch.UseReference(reference);
        (float Loss, Dictionary<string, Tensor> Grads) Step(bool checkpointing)
        {
            model.zero_grad();
            model.Model.ActivationCheckpointing = checkpointing;
            manual_seed(42);
            var loss = LinearCrossEntropy.Sum(model.Model.Forward(ids), model.OutputWeight, labels);
            loss.backward();
            var grads = model.named_parameters().Where(np => np.parameter.grad is not null).ToDictionary(np => np.name, np => np.parameter.grad!.clone());
            return (loss.item<float>(), grads);
        }
        var plain = Step(false);
        var checkpointed = Step(true);
        Assert.Equal(plain.Loss, checkpointed.Loss);
        Assert.Equal(plain.Grads.Keys.Order(), checkpointed.Grads.Keys.Order());
        Assert.True(plain.Grads.Count >= (lora ? 28 : 10));
        foreach (var (name, g) in plain.Grads)
            Assert.True(g.allclose(checkpointed.Grads[name], rtol: 1e-5, atol: 1e-7), $"{name}: gradient differs");
    }
}
