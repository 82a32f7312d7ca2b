using LoraLab.Kernels;
using LoraLab.Models.Llama;
using LoraLab.Peft;
using LoraLab.Tests.Models.Llama;
using LoraLab.Tests.TestSupport;
using LoraLab.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace LoraLab.Tests.Training;

/// <summary>
/// bf16 training (precision: bf16) through the trainer's loss path — LoRA nodes and the chunked linear cross-entropy —
/// against the same model in fp32: the loss and every trainable gradient must agree to bfloat16's precision.
/// </summary>
public class Bf16TrainingTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Bf16LossAndGradientsFollowFp32(bool lora)
    {
        using var scope = NewDisposeScope();
        var config = TinyLlama.Config();
        var loraConfig = lora ? new LoraConfig(4, LoraTargets.All, dropout: 0.0) : null;
        manual_seed(5);
        using var fp32 = LoraModel.Create(config, ScalarType.Float32, loraConfig);
        using var bf16 = LoraModel.Create(config, ScalarType.BFloat16, loraConfig);
        using (no_grad())
        {
            foreach (var (name, p) in fp32.named_parameters())
            {
                if (lora && name.EndsWith("lora_B.weight", StringComparison.Ordinal)) p.normal_(0, 0.05); // non-zero B
            }
            var target = bf16.named_parameters().ToDictionary(x => x.name, x => x.parameter);
            foreach (var (name, p) in fp32.named_parameters()) target[name].copy_(p);
        }
        fp32.train();
        bf16.train();
        var ids = randint(0, config.VocabSize, new long[] { 2, 16 });
        var labels = randint(0, config.VocabSize, new long[] { 2, 16 });
        var l32 = LinearCrossEntropy.Sum(fp32.Model.Forward(ids), fp32.OutputWeight, labels);
        var l16 = LinearCrossEntropy.Sum(bf16.Model.Forward(ids), bf16.OutputWeight, labels);
        Assert.Equal(ScalarType.Float32, l16.dtype);
        Assert.InRange(l16.item<float>() / l32.item<float>(), 0.98, 1.02);
        l32.backward();
        l16.backward();
        var g16 = bf16.named_parameters().Where(x => x.parameter.requires_grad).ToDictionary(x => x.name, x => x.parameter.grad!);
        int compared = 0;
        foreach (var (name, p) in fp32.named_parameters().Where(x => x.parameter.requires_grad))
        {
            var a = p.grad!.flatten();
            var b = g16[name].to_type(ScalarType.Float32).flatten();
            Assert.Equal(ScalarType.BFloat16, g16[name].dtype);
            using Scalar tiny = 1e-12.ToScalar();
            double cos = (a.dot(b) / (a.norm() * b.norm()).add(tiny, Scalars.One)).item<float>();
            Assert.True(cos > 0.98, $"{name}: cosine {cos:F4} between bf16 and fp32 gradients");
            compared++;
        }
        Assert.True(compared >= (lora ? 14 : 10));
    }
}
