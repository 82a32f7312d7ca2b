using LoraLab.Kernels;
using TorchSharp;
using static TorchSharp.torch;

namespace LoraLab.Models.Llama;

/// <summary>
/// Grouped-query self-attention with rotary embeddings: plain causal attention without dropout through
/// <see cref="CausalAttention"/>, masked or dropped-out attention through libtorch's scaled-dot-product attention.
/// Field names are the Hugging Face keys (q_proj, k_proj, v_proj, o_proj).
/// </summary>
public sealed class LlamaAttention : nn.Module
{
#pragma warning disable IDE1006 // names follow the Hugging Face state-dict keys
    internal nn.Module<Tensor, Tensor> q_proj;
    internal nn.Module<Tensor, Tensor> k_proj;
    internal nn.Module<Tensor, Tensor> v_proj;
    internal nn.Module<Tensor, Tensor> o_proj;
#pragma warning restore IDE1006
    private readonly int numHeads;
    private readonly int numKvHeads;
    private readonly int headDim;
    private readonly int layerIndex;
    private readonly double attentionDropout;

    public LlamaAttention(LlamaConfig config, int layerIndex, ScalarType dtype, ProjectionFactory? projections = null) : base(nameof(LlamaAttention))
    {
        numHeads = config.NumAttentionHeads;
        numKvHeads = config.NumKeyValueHeads;
        headDim = config.HeadDim;
        this.layerIndex = layerIndex;
        attentionDropout = config.AttentionDropout;
        projections ??= LlamaProjections.Plain;
        q_proj = LlamaProjections.Build(projections, "q_proj", config, dtype);
        k_proj = LlamaProjections.Build(projections, "k_proj", config, dtype);
        v_proj = LlamaProjections.Build(projections, "v_proj", config, dtype);
        o_proj = LlamaProjections.Build(projections, "o_proj", config, dtype);
        RegisterComponents();
    }

    /// <param name="x">(B, T, C) normalised hidden states.</param>
    /// <param name="cos">(B, T, D) rotary table for these positions; <paramref name="sin"/> likewise.</param>
    /// <param name="mask">(B, 1, T, S) boolean, true = may attend; null = plain causal (requires an empty cache).</param>
    /// <param name="cache">KV cache to write into and read from, or null.</param>
    /// <param name="offset">Number of positions already in the cache.</param>
    public Tensor Forward(Tensor x, Tensor cos, Tensor sin, Tensor? mask, KvCache? cache, long offset)
    {
        using var scope = NewDisposeScope();
        long b = x.shape[0], t = x.shape[1];
        var q = Autocast.Call(q_proj, x).view(b, t, numHeads, headDim).transpose(1, 2); // (B, H, T, D)
        var k = Autocast.Call(k_proj, x).view(b, t, numKvHeads, headDim).transpose(1, 2); // (B, H_kv, T, D)
        var v = Autocast.Call(v_proj, x).view(b, t, numKvHeads, headDim).transpose(1, 2); // (B, H_kv, T, D)
        q = RotaryEmbedding.Apply(q, cos, sin);
        k = RotaryEmbedding.Apply(k, cos, sin);
        if (cache is not null) (k, v) = cache.Update(layerIndex, k, v, offset); // (B, H_kv, S, D)
        double p = training ? attentionDropout : 0.0;
        Tensor y;
        if (mask is null && p == 0) y = CausalAttention.Forward(q, k, v); // (B, H, T, D)
        else
        {
            (k, v) = CausalAttention.RepeatKv(q, k, v); // (B, H, S, D)
            y = mask is null
                ? nn.functional.scaled_dot_product_attention(q, k, v, p: p, is_casual: true)
                : nn.functional.scaled_dot_product_attention(q, k, v, attn_mask: mask, p: p);
        }
        y = y.transpose(1, 2).reshape(b, t, numHeads * headDim); // (B, T, H·D)
        return Autocast.Call(o_proj, y).MoveToOuterDisposeScope(); // (B, T, C)
    }
}
