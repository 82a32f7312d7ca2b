using LoraLab.Kernels;
using LoraLab.Training.Config;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LoraLab.Training;

/// <summary>Global-norm gradient clipping, as torch.nn.utils.clip_grad_norm_.</summary>
public static class GradientNorm
{
    /// <summary>
    /// The global L2 norm of the gradients (the norm of the per-parameter norms); when <paramref name="clip"/> is set,
    /// every gradient is scaled by min(1, max_norm / (norm + 1e-6)). A non-finite norm leaves the gradients as they are.
    /// </summary>
    public static double Clip(IReadOnlyList<Parameter> parameters, GradientClippingSection? clip)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var grads = parameters.Select(p => p.grad).OfType<Tensor>().ToList();
        if (grads.Count == 0) return 0.0;
        using Scalar tiny = 1e-6.ToScalar(); // held across the calls (Kernels/Scalars)
        var norms = stack(grads.Select(g => g.to_type(ScalarType.Float32).norm(2f)).ToArray()); // (P)
        var total = norms.norm(2f); // ()
        double norm = total.item<float>();
        if (clip is not null && double.IsFinite(norm))
        {
            using var maxNorm = clip.MaxNorm.ToScalar();
            var coef = total.add(tiny, Scalars.One).reciprocal_().mul_(maxNorm).clamp_max(Scalars.One); // () = min(max_norm / (norm + 1e-6), 1)
            foreach (var g in grads) g.mul_(coef.to_type(g.dtype));
        }
        return norm;
    }
}
