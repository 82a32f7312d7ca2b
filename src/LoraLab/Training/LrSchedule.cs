namespace LoraLab.Training;

/// <summary>
/// A learning-rate schedule as Composer / llm-foundry define them: a multiplier α(t) of the base lr, where t is the
/// number of batches completed before the current optimizer step (so the first step uses α(0), which is 0 with a
/// warmup, as in Composer). All times are in batches, already converted from duration strings with
/// <see cref="Duration.ToBatches"/>; they may be fractional (token durations), which reproduces Composer's token comparisons.
/// </summary>
public abstract class LrSchedule
{
    protected LrSchedule(double tWarmup, double tMax)
    {
        if (!(tWarmup >= 0)) throw new LoraLabException($"scheduler: t_warmup must be ≥ 0 batches, got {tWarmup}");
        if (!(tMax > 0)) throw new LoraLabException($"scheduler: t_max must be > 0 batches, got {tMax}");
        if (tWarmup > tMax) throw new LoraLabException($"scheduler: t_warmup ({tWarmup} batches) is longer than t_max ({tMax} batches); shorten the warmup");
        TWarmup = tWarmup;
        TMax = tMax;
    }

    /// <summary>Warmup length in batches.</summary>
    public double TWarmup { get; }

    /// <summary>The schedule's duration in batches (Composer's <c>t_max</c>, default the run's max_duration).</summary>
    public double TMax { get; }

    /// <summary>The lr multiplier after <paramref name="t"/> batches.</summary>
    public abstract double Alpha(double t);

    /// <summary>
    /// The same schedule with another t_max (e.g. resuming a checkpoint with a shorter run so that a cooldown starts now).
    /// </summary>
    public abstract LrSchedule WithMaxDuration(double newTMax);

    /// <summary>Composer's warmup: linear from 0 at t=0 to <paramref name="peak"/> at t=t_warmup.</summary>
    protected double Warmup(double t, double peak) => peak * Math.Min(1.0, t / TWarmup);
}
