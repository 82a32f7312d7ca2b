namespace LoraLab.Training.Config;

/// <summary><c>scheduler.name</c> (llm-foundry's registry names).</summary>
public enum SchedulerName
{
    /// <summary><c>constant_with_warmup</c>: fields t_warmup, alpha, t_max.</summary>
    ConstantWithWarmup,

    /// <summary><c>linear_decay_with_warmup</c>: fields t_warmup, alpha_i, alpha_f, t_max.</summary>
    LinearDecayWithWarmup,

    /// <summary><c>cosine_with_warmup</c>: fields t_warmup, alpha_f, t_max.</summary>
    CosineWithWarmup,

    /// <summary><c>inv_sqrt_with_warmup</c>: fields t_warmup, t_scale, t_cooldown, t_max, alpha_f_decay, alpha_f_cooldown.</summary>
    InvSqrtWithWarmup,
}
