using TorchSharp.Modules;

namespace LoraLab.Training.Config;

/// <summary><c>optimizer:</c>. Defaults follow llm-foundry's DecoupledLionW; for adamw, unset betas/eps are PyTorch's.</summary>
public sealed class OptimizerSection
{
    /// <summary><c>name</c>: decoupled_lionw (default) or adamw.</summary>
    public OptimizerName Name { get; set; } = OptimizerName.DecoupledLionw;

    /// <summary><c>lr</c>: the base learning rate (default 1e-4).</summary>
    public double Lr { get; set; } = 1e-4;

    /// <summary><c>betas</c>: [β1, β2]; default (0.9, 0.99) for decoupled_lionw, (0.9, 0.999) for adamw.</summary>
    public List<double>? Betas { get; set; }

    /// <summary><c>weight_decay</c> (default 0).</summary>
    public double WeightDecay { get; set; }

    /// <summary><c>eps</c>: adamw only (default 1e-8).</summary>
    public double Eps { get; set; } = 1e-8;

    /// <summary>
    /// <c>decoupled_weight_decay</c>: adamw only. false (default): PyTorch AdamW, p ← p·(1 − lr·wd);
    /// true: Composer DecoupledAdamW, p ← p·(1 − (lr/initial_lr)·wd).
    /// </summary>
    public bool DecoupledWeightDecay { get; set; }

    /// <summary>β1, β2 with the optimizer's defaults filled in.</summary>
    public (double Beta1, double Beta2) EffectiveBetas =>
        Betas is { Count: 2 } b ? (b[0], b[1]) : Name == OptimizerName.Adamw ? (0.9, 0.999) : (0.9, 0.99);

    /// <summary>Creates the optimizer over the trainable parameters (pass <see cref="RunConfig.EffectiveWeightDecay"/>).</summary>
    public OptimizerBase Build(IList<Parameter> trainable, double weightDecay)
    {
        var (b1, b2) = EffectiveBetas;
        return Name == OptimizerName.Adamw
            ? new AdamWOptimizer(trainable, Lr, b1, b2, Eps, weightDecay, DecoupledWeightDecay ? AdamWDecayMode.Decoupled : AdamWDecayMode.PyTorch)
            : new DecoupledLionW(trainable, Lr, b1, b2, weightDecay);
    }
}
