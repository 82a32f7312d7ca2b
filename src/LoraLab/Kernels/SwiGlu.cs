using static TorchSharp.torch;

namespace LoraLab.Kernels;

/// <summary>
/// The SwiGLU gate h = silu(g) ⊙ u of Llama's feed-forward. On the CPU, for float32 or bfloat16 inputs of one shape, it
/// runs as the fused node <see cref="SwiGluFunction"/> (keeps g and u for backward, not silu(g)); otherwise, and whenever
/// <see cref="KernelSwitch"/> selects it, as <see cref="Reference"/>. Both give the same values and gradients (to the
/// bit where libtorch runs its vector loops). Shapes: g, u (…, I) → (…, I).
/// </summary>
public static class SwiGlu
{
    /// <summary>
    /// Without a gradient to track, the fused path runs the node's own forward arithmetic
    /// (<see cref="SwiGluFunction.Compute"/>), so a no-grad forward (activation checkpointing's first pass) gives bit for
    /// bit the values of the tracked one. Non-contiguous inputs are copied first.
    /// </summary>
    public static Tensor Forward(Tensor gate, Tensor up)
    {
        if (!SwiGluFunction.Serves(gate, up)) return Reference(gate, up);
        using var scope = NewDisposeScope();
        (gate, up) = (gate.contiguous(), up.contiguous());
        bool tracked = is_grad_enabled() && (gate.requires_grad || up.requires_grad);
        Tensor h;
        if (tracked) h = SwiGluFunction.apply(gate, up);
        else
        {
            using var noGrad = no_grad();
            h = SwiGluFunction.Compute(gate, up);
        }
        return h.MoveToOuterDisposeScope();
    }

    /// <summary>The composed operations, on any device; libtorch's autograd gives the gradients.</summary>
    public static Tensor Reference(Tensor gate, Tensor up)
    {
        using var scope = NewDisposeScope();
        return (nn.functional.silu(gate) * up).MoveToOuterDisposeScope();
    }
}
