using LoraLab.Kernels;
using TorchSharp;
using TorchSharp.Modules;

namespace LoraLab.Training;

/// <summary>
/// Adam with decoupled weight decay, matching PyTorch's single-tensor <c>torch.optim.AdamW</c> (amsgrad off) or,
/// with <see cref="AdamWDecayMode.Decoupled"/>, Composer's <c>DecoupledAdamW</c>. Per parameter, at step k (1-based):
/// <code>
/// p ← p · (1 − lr·wd)                      [PyTorch]   or   p ← p · (1 − (lr/initial_lr)·wd)  [Decoupled, only if wd != 0]
/// m ← β1·m + (1−β1)·g                       (PyTorch: m.lerp_(g, 1−β1); Composer: m.mul_(β1).add_(g, 1−β1))
/// v ← β2·v + (1−β2)·g²
/// p ← p − (lr / (1−β1^k)) · m / (sqrt(v) / sqrt(1−β2^k) + eps)
/// </code>
/// Defaults are PyTorch's: lr 1e-3, betas (0.9, 0.999), eps 1e-8, weight_decay 0.01.
/// The step k is kept per parameter (state <c>"step"</c>), as PyTorch does.
/// </summary>
public sealed class AdamWOptimizer : OptimizerBase
{
    public AdamWOptimizer(IList<Parameter> parameters, double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8,
        double weightDecay = 0.01, AdamWDecayMode decayMode = AdamWDecayMode.PyTorch)
        : base("adamw", parameters, lr)
    {
        if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1))
            throw new LoraLabException($"adamw: betas must be in [0, 1), got ({beta1}, {beta2})");
        if (!(eps >= 0)) throw new LoraLabException($"adamw: eps must be ≥ 0, got {eps}");
        if (!(weightDecay >= 0)) throw new LoraLabException($"adamw: weight_decay must be ≥ 0, got {weightDecay}");
        Beta1 = beta1;
        Beta2 = beta2;
        Eps = eps;
        WeightDecay = weightDecay;
        DecayMode = decayMode;
    }

    public double Beta1 { get; }

    public double Beta2 { get; }

    public double Eps { get; }

    public double WeightDecay { get; }

    public AdamWDecayMode DecayMode { get; }

    protected override void UpdateParameter(int index, Parameter p, torch.Tensor grad)
    {
        var m = State(index, "exp_avg", p);
        var v = State(index, "exp_avg_sq", p);
        long k = NextStep(index, p);

        if (DecayMode == AdamWDecayMode.PyTorch)
        {
            if (WeightDecay != 0)
            {
                using Scalar keep = (1 - Lr * WeightDecay).ToScalar();
                p.mul_(keep); // (a pass over p skipped when it would multiply by 1)
            }
            using var weight = torch.tensor(1 - Beta1); // () float64: lerp_ takes its weight as a tensor
            m.lerp_(grad, weight);
        }
        else
        {
            if (WeightDecay != 0)
            {
                double decayFactor = InitialLr != 0 ? Lr / InitialLr : 1.0;
                using Scalar keep = (1 - decayFactor * WeightDecay).ToScalar();
                p.mul_(keep);
            }
            using Scalar beta1 = Beta1.ToScalar(), rest1 = (1 - Beta1).ToScalar();
            m.mul_(beta1).add_(grad, alpha: rest1);
        }
        using Scalar beta2 = Beta2.ToScalar(), rest2 = (1 - Beta2).ToScalar();
        v.mul_(beta2).addcmul_(grad, grad, value: rest2);

        double biasCorrection1 = 1 - Math.Pow(Beta1, k);
        double biasCorrection2 = 1 - Math.Pow(Beta2, k);
        double stepSize = Lr / biasCorrection1;
        using Scalar root = Math.Sqrt(biasCorrection2).ToScalar(), eps = Eps.ToScalar(), step = (-stepSize).ToScalar();
        var denom = v.sqrt().div_(root).add_(eps, alpha: Scalars.One); // one temporary, not two
        p.addcdiv_(m, denom, value: step);
    }

    private long NextStep(int index, Parameter p)
    {
        var stepTensor = State(index, "step", torch.zeros(1, dtype: torch.int64, device: p.device).squeeze()); // () scalar
        stepTensor.add_(Scalars.One, alpha: Scalars.One);
        return stepTensor.item<long>();
    }
}
