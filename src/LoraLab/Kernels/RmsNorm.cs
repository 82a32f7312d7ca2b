using TorchSharp;
using static TorchSharp.torch;

namespace LoraLab.Kernels;

/// <summary>
/// Llama's RMSNorm, y = w · (x / √(mean(x²) + ε)), computed in float32 and cast back to the input's dtype before the
/// weight multiplies it (Hugging Face's LlamaRMSNorm). On the CPU, float32 input and weight run as the fused node
/// <see cref="RmsNormFunction"/> (one pass each way, keeps x and one 1/rms per row for backward); any other dtype,
/// device, or <see cref="KernelSwitch"/>'s reference selection runs <see cref="Reference"/>.
/// Shapes: x (…, C), weight (C) → (…, C).
/// </summary>
public static class RmsNorm
{
    /// <summary>
    /// Without a gradient to track, the fused path runs the node's own arithmetic (<see cref="RmsNormFunction.Compute"/>),
    /// so a no-grad forward (activation checkpointing's first pass) gives bit for bit the values of the tracked one.
    /// </summary>
    public static Tensor Forward(Tensor x, Tensor weight, double eps)
    {
        if (!KernelSwitch.Fused(x) || !RmsNormFunction.Serves(x, weight)) return Reference(x, weight, eps);
        using var scope = NewDisposeScope();
        var input = x.is_contiguous() ? x : x.contiguous();
        bool tracked = is_grad_enabled() && (x.requires_grad || weight.requires_grad);
        Tensor y;
        if (tracked) y = RmsNormFunction.apply(input, weight, eps);
        else
        {
            using var noGrad = no_grad();
            y = RmsNormFunction.Compute(input, weight, eps, null);
        }
        return y.MoveToOuterDisposeScope();
    }

    /// <summary>The composed operations, on any device and dtype; libtorch's autograd gives the gradients.</summary>
    public static Tensor Reference(Tensor x, Tensor weight, double eps)
    {
        using var scope = NewDisposeScope();
        var inputType = x.dtype;
        var h = x.to_type(ScalarType.Float32);
        using Scalar epsilon = eps.ToScalar();
        var variance = h.mul(h).mean(new long[] { -1 }, keepdim: true); // (…, 1)
        h = h * rsqrt(variance.add(epsilon, Scalars.One));
        return (weight * h.to_type(inputType)).MoveToOuterDisposeScope();
    }
}
