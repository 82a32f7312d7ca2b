namespace LoraLab.Training;

/// <summary>
/// Composer <c>CosineAnnealingWithWarmupScheduler</c>:
/// α(t) = t / t_warmup for t &lt; t_warmup; then α_f + (1 − α_f) · ½ · (1 + cos(π · τ)) with
/// τ = min(1, (t − t_warmup) / (t_max − t_warmup)). Default α_f = 0.
/// </summary>
public sealed class CosineWithWarmupSchedule : LrSchedule
{
    public CosineWithWarmupSchedule(double tWarmup, double tMax, double alphaF = 0.0) : base(tWarmup, tMax)
    {
        AlphaF = alphaF;
    }

    public double AlphaF { get; }

    public override double Alpha(double t)
    {
        if (t < TWarmup) return Warmup(t, 1.0);
        double span = TMax - TWarmup;
        double tau = span > 0 ? Math.Min(1.0, (t - TWarmup) / span) : 1.0;
        return AlphaF + (1 - AlphaF) * 0.5 * (1 + Math.Cos(Math.PI * tau));
    }

    public override LrSchedule WithMaxDuration(double newTMax) => new CosineWithWarmupSchedule(TWarmup, newTMax, AlphaF);
}
