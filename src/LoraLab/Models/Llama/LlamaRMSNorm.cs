using LoraLab.Kernels;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LoraLab.Models.Llama;

/// <summary>RMSNorm as Hugging Face Llama: computed in fp32, y = weight · (x / sqrt(mean(x²) + eps)) (<see cref="RmsNorm"/>).</summary>
public sealed class LlamaRMSNorm : nn.Module<Tensor, Tensor>
{
    private readonly Parameter weight; // (C)
    private readonly double eps;

    public LlamaRMSNorm(int size, double eps, ScalarType dtype = ScalarType.Float32) : base(nameof(LlamaRMSNorm))
    {
        weight = new Parameter(ones(size, dtype: dtype));
        this.eps = eps;
        RegisterComponents();
    }

    public Parameter Weight => weight;

    public override Tensor forward(Tensor x) => RmsNorm.Forward(x, weight, eps);
}
