using TorchSharp;
using static TorchSharp.torch;

namespace LoraLab.Kernels;

/// <summary>
/// The LoRA linear y = x Wᵀ + s · (dropout(x) Aᵀ) Bᵀ (Hugging Face PEFT's forward), dropout drawn as a
/// <see cref="DropoutMask"/> keyed from libtorch's global generator. With a gradient to compute on the CPU it runs as the
/// fused node <see cref="LoraLinearFunction"/> (keeps x and an 8-byte key for backward); otherwise, and whenever
/// <see cref="KernelSwitch"/> selects it, as <see cref="Reference"/>. Both draw one key per call when p &gt; 0, so a
/// reseeded (or restored) generator replays the same mask on either path.
/// Shapes: x (…, in), W (out, in), A (r, in), B (out, r) → (…, out).
/// </summary>
public static class LoraLinearKernel
{
    /// <summary>
    /// Under <see cref="Autocast"/> x, W, A and B compute in its dtype. Without a gradient to track, the fused path runs
    /// the node's own forward arithmetic (<see cref="LoraLinearFunction.Compute"/>), so a no-grad forward (activation
    /// checkpointing's first pass) gives bit for bit the values of the tracked one.
    /// </summary>
    public static Tensor Forward(Tensor x, Tensor w, Tensor a, Tensor b, double s, double p)
    {
        using var scope = NewDisposeScope();
        (x, w, a, b) = (Autocast.Cast(x), Autocast.Cast(w), Autocast.Cast(a), Autocast.Cast(b));
        bool tracked = is_grad_enabled() && (x.requires_grad || w.requires_grad || a.requires_grad || b.requires_grad);
        Tensor y;
        if (!KernelSwitch.Fused(x)) y = Reference(x, w, a, b, s, p);
        else if (tracked) y = LoraLinearFunction.apply(x, w, a, b, s, p);
        else
        {
            using var noGrad = no_grad();
            y = LoraLinearFunction.Compute(x, w, a, b, s, p, p > 0 ? DropoutMask.NewKey() : null);
        }
        return y.MoveToOuterDisposeScope();
    }

    /// <summary>The composed operations, on any device; libtorch's autograd gives the gradients.</summary>
    public static Tensor Reference(Tensor x, Tensor w, Tensor a, Tensor b, double s, double p)
    {
        using var scope = NewDisposeScope();
        var h = x;
        if (p > 0)
        {
            var x2 = x.reshape(-1, x.shape[^1]); // (N, in)
            h = DropoutMask.Reference(x2, 0, p, DropoutMask.NewKey()).view(x.shape); // (…, in)
        }
        using Scalar scale = s.ToScalar();
        var y = nn.functional.linear(x, w).add(nn.functional.linear(nn.functional.linear(h, a), b).mul_(scale), Scalars.One); // (…, out)
        return y.MoveToOuterDisposeScope();
    }
}
