namespace LoraLab.Training;

/// <summary>
/// Composer <c>LinearWithWarmupScheduler</c>:
/// α(t) = α_i · t / t_warmup for t &lt; t_warmup; then α_i + (α_f − α_i) · τ with
/// τ = min(1, (t − t_warmup) / (t_max − t_warmup)). Defaults α_i = 1, α_f = 0.
/// </summary>
public sealed class LinearWithWarmupSchedule : LrSchedule
{
    public LinearWithWarmupSchedule(double tWarmup, double tMax, double alphaI = 1.0, double alphaF = 0.0) : base(tWarmup, tMax)
    {
        AlphaI = alphaI;
        AlphaF = alphaF;
    }

    public double AlphaI { get; }

    public double AlphaF { get; }

    public override double Alpha(double t)
    {
        if (t < TWarmup) return Warmup(t, AlphaI);
        double span = TMax - TWarmup;
        double tau = span > 0 ? Math.Min(1.0, (t - TWarmup) / span) : 1.0;
        return AlphaI + (AlphaF - AlphaI) * tau;
    }

    public override LrSchedule WithMaxDuration(double newTMax) => new LinearWithWarmupSchedule(TWarmup, newTMax, AlphaI, AlphaF);
}
