using static TorchSharp.torch;

namespace LoraLab.Kernels;

/// <summary>
/// Causal scaled-dot-product attention, softmax(s · Q Kᵀ + causal mask) V with s = 1/√D, for grouped-query heads (each
/// key/value head serves H / H_kv consecutive query heads). On the CPU, for float32 or bfloat16 heads whose dim is a
/// multiple of 16, it runs as the fused node <see cref="CausalAttentionFunction"/>; otherwise, and whenever
/// <see cref="KernelSwitch"/> selects it, as <see cref="Reference"/>, libtorch's scaled_dot_product_attention. The two agree
/// up to float rounding (the fused node sums in float32 and rounds bfloat16 outputs once).
/// Shapes: q (B, H, T, D), k and v (B, H_kv, T, D) → (B, H, T, D).
/// </summary>
public static class CausalAttention
{
    /// <summary>
    /// Attention of q over k and v. Without a gradient to track, the fused path runs the node's own forward arithmetic, so
    /// a no-grad forward (activation checkpointing's first pass) gives bit for bit the values of the tracked one.
    /// </summary>
    public static Tensor Forward(Tensor q, Tensor k, Tensor v)
    {
        using var scope = NewDisposeScope();
        double scale = 1.0 / Math.Sqrt(q.shape[^1]);
        Tensor y;
        if (!KernelSwitch.Fused(q) || !CausalAttentionFunction.Serves(q, k, v)) y = Reference(q, k, v);
        else if (is_grad_enabled() && (q.requires_grad || k.requires_grad || v.requires_grad)) y = CausalAttentionFunction.apply(q, k, v, scale);
        else
        {
            using var noGrad = no_grad();
            y = CausalAttentionFunction.Compute(q, k, v, scale);
        }
        return y.MoveToOuterDisposeScope();
    }

    /// <summary>libtorch's scaled_dot_product_attention, each key/value head repeated for its group; any device and dtype.</summary>
    public static Tensor Reference(Tensor q, Tensor k, Tensor v)
    {
        using var scope = NewDisposeScope();
        (k, v) = RepeatKv(q, k, v);
        return nn.functional.scaled_dot_product_attention(q, k, v, is_casual: true).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// k and v (B, H_kv, S, D) with each key/value head repeated for its group of query heads → (B, H, S, D), as
    /// libtorch's scaled-dot-product attention needs them; k and v themselves when H = H_kv.
    /// </summary>
    public static (Tensor K, Tensor V) RepeatKv(Tensor q, Tensor k, Tensor v)
    {
        long groups = q.shape[1] / k.shape[1];
        return groups > 1 ? (k.repeat_interleave(groups, dim: 1), v.repeat_interleave(groups, dim: 1)) : (k, v);
    }
}
