namespace LoraLab.Training.Config;

/// <summary>
/// <c>scheduler:</c> a Composer / llm-foundry schedule. Only the fields of the chosen <c>name</c> may be given
/// (see <see cref="SchedulerName"/>); times are duration strings (<c>100ba</c>, <c>0.1dur</c>, …).
/// </summary>
public sealed class SchedulerSection
{
    /// <summary><c>name</c> (default cosine_with_warmup).</summary>
    public SchedulerName Name { get; set; } = SchedulerName.CosineWithWarmup;

    /// <summary><c>t_warmup</c> (default 0ba).</summary>
    public Duration? TWarmup { get; set; }

    /// <summary><c>t_max</c> (default 1dur).</summary>
    public Duration? TMax { get; set; }

    /// <summary><c>alpha</c>: constant_with_warmup's level (default 1).</summary>
    public double? Alpha { get; set; }

    /// <summary><c>alpha_i</c>: linear_decay_with_warmup's start (default 1).</summary>
    public double? AlphaI { get; set; }

    /// <summary><c>alpha_f</c>: final multiplier of linear/cosine (default 0).</summary>
    public double? AlphaF { get; set; }

    /// <summary><c>t_scale</c>: inv_sqrt time scale (required for inv_sqrt_with_warmup).</summary>
    public Duration? TScale { get; set; }

    /// <summary><c>t_cooldown</c>: inv_sqrt cooldown length (default 0ba).</summary>
    public Duration? TCooldown { get; set; }

    /// <summary><c>alpha_f_decay</c> (default 0).</summary>
    public double? AlphaFDecay { get; set; }

    /// <summary><c>alpha_f_cooldown</c> (default 0).</summary>
    public double? AlphaFCooldown { get; set; }

    /// <summary>The YAML keys each schedule accepts.</summary>
    public static IReadOnlyList<string> FieldsOf(SchedulerName name) => name switch
    {
        SchedulerName.ConstantWithWarmup => ["name", "t_warmup", "t_max", "alpha"],
        SchedulerName.LinearDecayWithWarmup => ["name", "t_warmup", "t_max", "alpha_i", "alpha_f"],
        SchedulerName.CosineWithWarmup => ["name", "t_warmup", "t_max", "alpha_f"],
        _ => ["name", "t_warmup", "t_max", "t_scale", "t_cooldown", "alpha_f_decay", "alpha_f_cooldown"],
    };

    /// <summary>Builds the schedule, converting its times to batches.</summary>
    public LrSchedule Build(DurationContext ctx)
    {
        double warmup = (TWarmup ?? Duration.Zero).ToBatches(ctx);
        double tMax = (TMax ?? new Duration(1, DurationUnit.Duration)).ToBatches(ctx);
        return Name switch
        {
            SchedulerName.ConstantWithWarmup => new ConstantWithWarmupSchedule(warmup, tMax, Alpha ?? 1.0),
            SchedulerName.LinearDecayWithWarmup => new LinearWithWarmupSchedule(warmup, tMax, AlphaI ?? 1.0, AlphaF ?? 0.0),
            SchedulerName.CosineWithWarmup => new CosineWithWarmupSchedule(warmup, tMax, AlphaF ?? 0.0),
            _ => new InverseSqrtWithWarmupSchedule(warmup,
                (TScale ?? throw new LoraLabException("scheduler.t_scale is required for inv_sqrt_with_warmup")).ToBatches(ctx),
                (TCooldown ?? Duration.Zero).ToBatches(ctx), tMax, AlphaFDecay ?? 0.0, AlphaFCooldown ?? 0.0),
        };
    }
}
