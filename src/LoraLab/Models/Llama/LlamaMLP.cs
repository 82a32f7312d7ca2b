using LoraLab.Kernels;
using TorchSharp;
using static TorchSharp.torch;

namespace LoraLab.Models.Llama;

/// <summary>SwiGLU feed-forward: down_proj(silu(gate_proj(x)) · up_proj(x)). Field names are the HF keys.</summary>
public sealed class LlamaMLP : nn.Module<Tensor, Tensor>
{
#pragma warning disable IDE1006 // names follow the Hugging Face state-dict keys
    internal nn.Module<Tensor, Tensor> gate_proj;
    internal nn.Module<Tensor, Tensor> up_proj;
    internal nn.Module<Tensor, Tensor> down_proj;
#pragma warning restore IDE1006

    public LlamaMLP(LlamaConfig config, ScalarType dtype, ProjectionFactory? projections = null) : base(nameof(LlamaMLP))
    {
        projections ??= LlamaProjections.Plain;
        gate_proj = LlamaProjections.Build(projections, "gate_proj", config, dtype);
        up_proj = LlamaProjections.Build(projections, "up_proj", config, dtype);
        down_proj = LlamaProjections.Build(projections, "down_proj", config, dtype);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var h = SwiGlu.Forward(Autocast.Call(gate_proj, x), Autocast.Call(up_proj, x)); // (B, T, I)
        return Autocast.Call(down_proj, h).MoveToOuterDisposeScope(); // (B, T, C)
    }
}
