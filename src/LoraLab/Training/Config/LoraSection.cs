namespace LoraLab.Training.Config;

/// <summary><c>lora:</c> PEFT-style LoRA settings (used when <c>method: lora</c>).</summary>
public sealed class LoraSection
{
    /// <summary>The Llama linear layers LoRA may target.</summary>
    public static readonly string[] AttentionModules = ["q_proj", "k_proj", "v_proj", "o_proj"];

    public static readonly string[] MlpModules = ["gate_proj", "up_proj", "down_proj"];

    /// <summary><c>r</c>: the rank (default 16).</summary>
    public int R { get; set; } = 16;

    /// <summary><c>lora_alpha</c>: the scale numerator; default 2·r, as in the study (scale α/r = 2).</summary>
    public double? LoraAlpha { get; set; }

    /// <summary><c>lora_dropout</c>: dropout on the LoRA input (default 0.05).</summary>
    public double LoraDropout { get; set; } = 0.05;

    /// <summary>
    /// <c>target_modules</c>: module names (q_proj k_proj v_proj o_proj gate_proj up_proj down_proj) and/or presets
    /// <c>attention</c> (q,k,v,o), <c>mlp</c> (gate, up, down), <c>all</c> (both). Default <c>all</c>.
    /// </summary>
    public List<string> TargetModules { get; set; } = ["all"];

    /// <summary><c>use_rslora</c>: scale α/√r instead of α/r.</summary>
    public bool UseRslora { get; set; }

    /// <summary>lora_alpha, or 2·r when not given.</summary>
    public double EffectiveAlpha => LoraAlpha ?? 2.0 * R;

    /// <summary>target_modules with presets expanded, in canonical order, without duplicates (null if a name is unknown).</summary>
    public string[]? ResolveTargetModules(out string? unknown)
    {
        var set = new HashSet<string>();
        unknown = null;
        foreach (string name in TargetModules)
        {
            switch (name)
            {
                case "attention": set.UnionWith(AttentionModules); break;
                case "mlp": set.UnionWith(MlpModules); break;
                case "all": set.UnionWith(AttentionModules); set.UnionWith(MlpModules); break;
                default:
                    if (!AttentionModules.Contains(name) && !MlpModules.Contains(name))
                    {
                        unknown = name;
                        return null;
                    }
                    set.Add(name);
                    break;
            }
        }
        return AttentionModules.Concat(MlpModules).Where(set.Contains).ToArray();
    }
}
