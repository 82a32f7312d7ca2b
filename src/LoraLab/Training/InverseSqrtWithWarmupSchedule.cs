namespace LoraLab.Training;

/// <summary>
/// llm-foundry <c>InverseSquareRootWithWarmupScheduler</c> (inverse-sqrt decay, linear warmup and linear cooldown):
/// <code>
/// t_c = max(t_warmup, t_max − t_cooldown)                                       (cooldown start)
/// α(t) = t / t_warmup                                                  if t &lt; t_warmup
///      = α_f,decay + (1 − α_f,decay) · sqrt(t_scale / (t − t_warmup + t_scale))   if t_warmup ≤ t &lt; t_c
///      = α_c + (α_f,cooldown − α_c) · min(1, (t − t_c) / t_cooldown)                otherwise
/// </code>
/// where α_c is the decay branch evaluated at t_c (so α is continuous at the cooldown start), and the cooldown
/// fraction is 1 when t_cooldown = 0. α(t_warmup) = 1. Defaults α_f,decay = α_f,cooldown = 0.
/// <see cref="WithMaxDuration"/> moves the cooldown: resuming a checkpoint at step s with t_max = s + t_cooldown
/// cools down from the decay value at s ("cooldown from a checkpoint", as in the WSD-style runs of the study).
/// </summary>
public sealed class InverseSqrtWithWarmupSchedule : LrSchedule
{
    public InverseSqrtWithWarmupSchedule(double tWarmup, double tScale, double tCooldown, double tMax,
        double alphaFDecay = 0.0, double alphaFCooldown = 0.0) : base(tWarmup, tMax)
    {
        if (!(tScale > 0)) throw new LoraLabException($"scheduler: t_scale must be > 0 batches, got {tScale}");
        if (!(tCooldown >= 0)) throw new LoraLabException($"scheduler: t_cooldown must be ≥ 0 batches, got {tCooldown}");
        if (tWarmup + tCooldown > tMax)
            throw new LoraLabException($"scheduler: t_warmup + t_cooldown ({tWarmup} + {tCooldown} batches) exceeds t_max ({tMax} batches)");
        TScale = tScale;
        TCooldown = tCooldown;
        AlphaFDecay = alphaFDecay;
        AlphaFCooldown = alphaFCooldown;
    }

    public double TScale { get; }

    public double TCooldown { get; }

    public double AlphaFDecay { get; }

    public double AlphaFCooldown { get; }

    /// <summary>The batch at which the cooldown starts: max(t_warmup, t_max − t_cooldown).</summary>
    public double CooldownStart => Math.Max(TWarmup, TMax - TCooldown);

    /// <summary>The inverse-sqrt decay branch at t (valid for t ≥ t_warmup).</summary>
    public double DecayValue(double t) => AlphaFDecay + (1 - AlphaFDecay) * Math.Sqrt(TScale / (t - TWarmup + TScale));

    public override double Alpha(double t)
    {
        if (t < TWarmup) return Warmup(t, 1.0);
        double tc = CooldownStart;
        if (t < tc) return DecayValue(t);
        double alphaC = DecayValue(tc);
        double frac = TCooldown > 0 ? Math.Min(1.0, (t - tc) / TCooldown) : 1.0;
        return alphaC + (AlphaFCooldown - alphaC) * frac;
    }

    public override LrSchedule WithMaxDuration(double newTMax) =>
        new InverseSqrtWithWarmupSchedule(TWarmup, TScale, TCooldown, newTMax, AlphaFDecay, AlphaFCooldown);
}
