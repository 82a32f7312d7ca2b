using LoraLab.Kernels;
using TorchSharp;
using static TorchSharp.torch;

namespace LoraLab.Models.Llama;

/// <summary>One pre-norm transformer block: x += attn(norm(x)); x += mlp(norm(x)).</summary>
public sealed class LlamaDecoderLayer : nn.Module
{
#pragma warning disable IDE1006 // names follow the Hugging Face state-dict keys
    internal readonly LlamaAttention self_attn;
    internal readonly LlamaMLP mlp;
    internal readonly LlamaRMSNorm input_layernorm;
    internal readonly LlamaRMSNorm post_attention_layernorm;
#pragma warning restore IDE1006
    private readonly double residualDropout;

    public LlamaDecoderLayer(LlamaConfig config, int layerIndex, ScalarType dtype, ProjectionFactory? projections = null) : base(nameof(LlamaDecoderLayer))
    {
        self_attn = new LlamaAttention(config, layerIndex, dtype, projections);
        mlp = new LlamaMLP(config, dtype, projections);
        input_layernorm = new LlamaRMSNorm(config.HiddenSize, config.RmsNormEps, dtype);
        post_attention_layernorm = new LlamaRMSNorm(config.HiddenSize, config.RmsNormEps, dtype);
        residualDropout = config.ResidualDropout;
        RegisterComponents();
    }

    public LlamaAttention SelfAttn => self_attn;

    public LlamaMLP Mlp => mlp;

    /// <summary>x: (B, T, C) → (B, T, C).</summary>
    public Tensor Forward(Tensor x, Tensor cos, Tensor sin, Tensor? mask, KvCache? cache, long offset)
    {
        using var scope = NewDisposeScope();
        var a = self_attn.Forward(input_layernorm.call(x), cos, sin, mask, cache, offset);
        if (training && residualDropout > 0) a = nn.functional.dropout(a, residualDropout, true);
        var h = x.add(a, Scalars.One);
        var m = mlp.call(post_attention_layernorm.call(h));
        if (training && residualDropout > 0) m = nn.functional.dropout(m, residualDropout, true);
        return h.add(m, Scalars.One).MoveToOuterDisposeScope();
    }
}
