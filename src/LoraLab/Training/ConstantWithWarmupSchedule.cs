namespace LoraLab.Training;

/// <summary>
/// Composer <c>ConstantWithWarmupScheduler</c>: α(t) = alpha · t / t_warmup for t &lt; t_warmup, then alpha (default 1).
/// </summary>
public sealed class ConstantWithWarmupSchedule : LrSchedule
{
    public ConstantWithWarmupSchedule(double tWarmup, double tMax, double alpha = 1.0) : base(tWarmup, tMax)
    {
        AlphaValue = alpha;
    }

    public double AlphaValue { get; }

    public override double Alpha(double t) => t < TWarmup ? Warmup(t, AlphaValue) : AlphaValue;

    public override LrSchedule WithMaxDuration(double newTMax) => new ConstantWithWarmupSchedule(TWarmup, newTMax, AlphaValue);
}
