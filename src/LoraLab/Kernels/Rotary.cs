using static TorchSharp.torch;

namespace LoraLab.Kernels;

/// <summary>
/// Rotary position embedding in Hugging Face's "rotate_half" layout, y = x · cos + rotate_half(x) · sin with
/// rotate_half(x) = [−x₂, x₁] (x₁, x₂ the first and second halves of each head). On the CPU, for float32 or bfloat16 x
/// whose last dimension is contiguous and float32 contiguous tables, it runs as the fused node <see cref="RotaryFunction"/>
/// (one pass per direction, keeps only the tables for backward); otherwise, and whenever <see cref="KernelSwitch"/>
/// selects it, as <see cref="Reference"/>. Both give the same values and x gradients bit for bit (bfloat16 included: the
/// node rounds where the composed operations round), NaN payloads aside.
/// Shapes: x (B, H, T, D) with D even, any strides; cos and sin (B, T, D) (or (1, T, D)) float32 → (B, H, T, D).
/// </summary>
public static class Rotary
{
    /// <summary>
    /// The rotation of x. Without a gradient to track, the fused path runs the node's own forward arithmetic
    /// (<see cref="RotaryFunction.Compute"/>), so a no-grad forward (activation checkpointing's first pass) gives bit for bit
    /// the values of the tracked one. The fused output has x's memory layout (a transposed view in, a transposed view out).
    /// </summary>
    public static Tensor Forward(Tensor x, Tensor cos, Tensor sin)
    {
        using var scope = NewDisposeScope();
        bool grad = is_grad_enabled();
        Tensor y;
        if (!KernelSwitch.Fused(x) || !RotaryFunction.Serves(x, cos, sin) || (grad && (cos.requires_grad || sin.requires_grad)))
            y = Reference(x, cos, sin);
        else if (grad && x.requires_grad) y = RotaryFunction.apply(x, cos, sin);
        else
        {
            using var noGrad = no_grad();
            y = RotaryFunction.Compute(x, cos, sin);
        }
        return y.MoveToOuterDisposeScope();
    }

    /// <summary>The composed operations, on any device and dtype; libtorch's autograd gives the gradients.</summary>
    public static Tensor Reference(Tensor x, Tensor cos, Tensor sin)
    {
        using var scope = NewDisposeScope();
        var c = cos.unsqueeze(1).to_type(x.dtype); // (B, 1, T, D)
        var s = sin.unsqueeze(1).to_type(x.dtype); // (B, 1, T, D)
        long half = x.shape[^1] / 2;
        var x1 = x.narrow(-1, 0, half);
        var x2 = x.narrow(-1, half, half);
        var rotated = cat(new[] { -x2, x1 }, -1); // rotate_half(x): (B, H, T, D)
        return (x * c).add(rotated * s, Scalars.One).MoveToOuterDisposeScope();
    }
}
