using TorchSharp;
using TorchSharp.Modules;

namespace LoraLab.Training;

/// <summary>
/// llm-foundry's <c>DecoupledLionW</c> (Lion with decoupled weight decay). Per parameter p with gradient g and
/// momentum m (<c>exp_avg</c>, zeros at first):
/// <code>
/// if wd != 0:  p ← p · (1 − (lr / initial_lr) · wd)        // weight decay scaled by the schedule, not by lr itself
/// p ← p − lr · sign(β1·m + (1−β1)·g)                        // torch.sign: sign(0) = 0;  computed as m.lerp(g, 1−β1)
/// m ← β2·m + (1−β2)·g                                       // m.lerp_(g, 1−β2)
/// </code>
/// Defaults as llm-foundry: lr 1e-4, betas (0.9, 0.99), weight_decay 0.
/// </summary>
public sealed class DecoupledLionW : OptimizerBase
{
    public DecoupledLionW(IList<Parameter> parameters, double lr = 1e-4, double beta1 = 0.9, double beta2 = 0.99, double weightDecay = 0.0)
        : base("decoupled_lionw", parameters, lr)
    {
        if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1))
            throw new LoraLabException($"decoupled_lionw: betas must be in [0, 1), got ({beta1}, {beta2})");
        if (!(weightDecay >= 0)) throw new LoraLabException($"decoupled_lionw: weight_decay must be ≥ 0, got {weightDecay}");
        Beta1 = beta1;
        Beta2 = beta2;
        WeightDecay = weightDecay;
    }

    public double Beta1 { get; }

    public double Beta2 { get; }

    public double WeightDecay { get; }

    protected override void UpdateParameter(int index, Parameter p, torch.Tensor grad)
    {
        var m = State(index, "exp_avg", p);
        if (WeightDecay != 0)
        {
            double decayFactor = InitialLr != 0 ? Lr / InitialLr : 1.0;
            using Scalar keep = (1 - decayFactor * WeightDecay).ToScalar();
            p.mul_(keep);
        }
        using Scalar step = (-Lr).ToScalar();
        using torch.Tensor weight1 = torch.tensor(1 - Beta1), weight2 = torch.tensor(1 - Beta2); // () float64: lerp takes tensor weights
        var update = m.lerp(grad, weight1).sign_();
        p.add_(update, alpha: step);
        m.lerp_(grad, weight2);
    }
}
