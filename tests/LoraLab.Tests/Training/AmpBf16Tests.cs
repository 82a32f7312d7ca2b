using LoraLab.Kernels;
using LoraLab.Models.Llama;
using LoraLab.Peft;
using LoraLab.Tests.Models.Llama;
using LoraLab.Tests.TestSupport;
using TorchSharp;
using static TorchSharp.torch;

namespace LoraLab.Tests.Training;

/// <summary>
/// precision: amp_bf16 (Composer's mixed precision): float32 weights and gradients, linears in bfloat16. The loss must
/// follow the float32 loss to bfloat16's precision, and differ from it (the matmuls really run in bfloat16).
/// </summary>
public class AmpBf16Tests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void AmpLossFollowsFp32AndGradientsStayFloat32(bool lora)
    {
        using var scope = NewDisposeScope();
        var config = TinyLlama.Config();
        manual_seed(5);
        using var model = LoraModel.Create(config, ScalarType.Float32, lora ? new LoraConfig(4, LoraTargets.All, dropout: 0.0) : null);
        using (no_grad()) foreach (var (name, p) in model.named_parameters()) if (name.Contains("lora_B")) p.normal_(0, 0.05);
        if (!lora) foreach (var p in model.parameters()) p.requires_grad = true;
        model.train();
        var ids = randint(0, config.VocabSize, new long[] { 2, 16 });
        var labels = randint(0, config.VocabSize, new long[] { 2, 16 });
        (float Loss, Dictionary<string, Tensor> Grads) Step(ScalarType? autocast)
        {
            model.zero_grad();
            model.Model.AutocastDType = autocast;
            using var amp = Autocast.Enter(autocast);
            var loss = LinearCrossEntropy.Sum(Autocast.Cast(model.Model.Forward(ids)), Autocast.Cast(model.OutputWeight), labels);
            Assert.Equal(ScalarType.Float32, loss.dtype);
            loss.backward();
            return (loss.item<float>(), model.named_parameters().Where(np => np.parameter.grad is not null)
                .ToDictionary(np => np.name, np => np.parameter.grad!.clone()));
        }
        var fp32 = Step(null);
        var amp = Step(ScalarType.BFloat16);
        Assert.NotEqual(fp32.Loss, amp.Loss);
        Assert.InRange(amp.Loss / fp32.Loss, 0.99, 1.01);
        foreach (var p in model.parameters()) Assert.Equal(ScalarType.Float32, p.dtype);
        foreach (var (name, g) in amp.Grads)
        {
            Assert.Equal(ScalarType.Float32, g.dtype);
            var a = fp32.Grads[name].flatten();
            var b = g.flatten();
            using Scalar tiny = 1e-12.ToScalar();
            double cos = (a.dot(b) / (a.norm() * b.norm()).add(tiny, Scalars.One)).item<float>();
            Assert.True(cos > 0.98, $"{name}: cosine {cos:F4} between amp_bf16 and fp32 gradients");
        }
        Assert.True(amp.Grads.Count >= (lora ? 28 : 10));
    }
}
