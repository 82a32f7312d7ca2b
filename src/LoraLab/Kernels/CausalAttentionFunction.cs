using TorchSharp;
using static TorchSharp.torch;

namespace LoraLab.Kernels;

/// <summary>
/// Causal scaled-dot-product attention as one autograd node over <see cref="AttentionTiles"/>: keeps q, k, v, the output
/// and each row's log-sum-exp (B·H·T floats) for backward, which recomputes the probabilities block by block.
/// Outputs and gradients are in the inputs' dtype, laid out as (B, T, heads, D) memory seen through (B, heads, T, D)
/// views, the layout the projections on either side read and write without copies.
/// Arguments: q (B, H, T, D), k and v (B, H_kv, T, D) with H a multiple of H_kv, float32 or bfloat16, stride 1 in D,
/// D a multiple of 16; the scale (double).
/// </summary>
internal sealed class CausalAttentionFunction : autograd.SingleTensorFunction<CausalAttentionFunction>
{
    public override string Name => nameof(CausalAttentionFunction);

    /// <summary>Whether the node takes these inputs.</summary>
    public static bool Serves(Tensor q, Tensor k, Tensor v)
    {
        if (q.dtype is not (ScalarType.Float32 or ScalarType.BFloat16) || k.dtype != q.dtype || v.dtype != q.dtype) return false;
        if (q.dim() != 4 || k.dim() != 4 || !k.shape.SequenceEqual(v.shape)) return false;
        long d = q.shape[3];
        return d > 0 && d % 16 == 0 && k.shape[3] == d && q.shape[0] == k.shape[0] && q.shape[2] == k.shape[2]
            && k.shape[1] > 0 && q.shape[1] % k.shape[1] == 0 && q.stride(3) == 1 && k.stride(3) == 1 && v.stride(3) == 1;
    }

    public override Tensor forward(autograd.AutogradContext ctx, params object[] vars)
    {
        GradientHandoff.Release();
        using var scope = NewDisposeScope();
        var (q, k, v) = ((Tensor)vars[0], (Tensor)vars[1], (Tensor)vars[2]);
        double scale = (double)vars[3];
        var lse = empty(q.shape[0], q.shape[1], q.shape[2], dtype: ScalarType.Float32); // (B, H, T)
        var o = Compute(q, k, v, scale, lse);
        ctx.save_data("saved", new SavedTensors(q, k, v, o, lse)); // released when this node's backward ends
        ctx.save_data("scale", scale);
        ctx.set_materialize_grads(false);
        return GradientHandoff.HandOver(o, lse);
    }

    /// <summary>The forward arithmetic (no autograd); each row's log-sum-exp into <paramref name="lse"/> when given.</summary>
    internal static unsafe Tensor Compute(Tensor q, Tensor k, Tensor v, double scale, Tensor? lse = null)
    {
        var o = Like(q); // (B, H, T, D)
        var shape = ShapeOf(q, k, scale);
        fixed (byte* l = lse is null ? Span<byte>.Empty : lse.bytes)
            AttentionTiles.Forward(Heads(q), Heads(k), Heads(v), Heads(o), (float*)l, shape);
        return o;
    }

    public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor gradOutput)
    {
        GradientHandoff.Release();
        var saved = ((SavedTensors)ctx.get_data("saved")).Take();
        try
        {
            var grads = new List<Tensor> { null!, null!, null!, null! };
            if (gradOutput is null || gradOutput.IsInvalid) return grads;
            using var scope = NewDisposeScope();
            var (q, k, v, o, lse) = (saved[0]!, saved[1]!, saved[2]!, saved[3]!, saved[4]!);
            var g = gradOutput.dtype == q.dtype ? gradOutput : gradOutput.to_type(q.dtype); // (B, H, T, D)
            if (g.stride(3) != 1) g = g.contiguous();
            var (dq, dk, dv) = (Like(q), Like(k), Like(v));
            Backward(q, k, v, o, g, lse, dq, dk, dv, (double)ctx.get_data("scale"));
            (grads[0], grads[1], grads[2]) = (dq, dk, dv);
            gradOutput.Dispose();
            return GradientHandoff.Return(grads);
        }
        finally
        {
            SavedTensors.Release(saved);
        }
    }

    private static unsafe void Backward(Tensor q, Tensor k, Tensor v, Tensor o, Tensor g, Tensor lse, Tensor dq, Tensor dk, Tensor dv, double scale)
    {
        fixed (byte* l = lse.bytes)
            AttentionTiles.Backward(Heads(q), Heads(k), Heads(v), Heads(o), Heads(g), (float*)l, Heads(dq), Heads(dk), Heads(dv), ShapeOf(q, k, scale));
    }

    // An uninitialised (B, heads, T, D) tensor of x's shape and dtype over (B, T, heads, D) memory.
    private static Tensor Like(Tensor x) =>
        empty(x.shape[0], x.shape[2], x.shape[1], x.shape[3], dtype: x.dtype).transpose(1, 2);

    private static AttentionTiles.Shape ShapeOf(Tensor q, Tensor k, double scale) =>
        new(q.shape[0], q.shape[1], k.shape[1], q.shape[2], (int)q.shape[3], (float)scale);

    private static AttentionTiles.Heads Heads(Tensor x) => AttentionTiles.Heads.Of(x);
}
