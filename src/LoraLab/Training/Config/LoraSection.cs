using LoraLab.Peft;

namespace LoraLab.Training.Config;

/// <summary><c>lora:</c> PEFT-style LoRA settings (used when <c>method: lora</c>).</summary>
public sealed class LoraSection
{
    /// <summary><c>r</c>: the rank (default 16).</summary>
    public int R { get; set; } = 16;

    /// <summary><c>lora_alpha</c>: the scale numerator; default 2·r, as in the study (scale α/r = 2).</summary>
    public double? LoraAlpha { get; set; }

    /// <summary><c>lora_dropout</c>: dropout on the LoRA input (default 0.05).</summary>
    public double LoraDropout { get; set; } = 0.05;

    /// <summary>
    /// <c>target_modules</c>: module names (q_proj k_proj v_proj o_proj gate_proj up_proj down_proj) and/or presets
    /// <c>attention</c> (q,k,v,o), <c>mlp</c> (gate, up, down), <c>all</c> or <c>all-linear</c> (both), as <see cref="LoraTargets"/> expands them.
    /// Default <c>all</c>.
    /// </summary>
    public List<string> TargetModules { get; set; } = ["all"];

    /// <summary><c>use_rslora</c>: scale α/√r instead of α/r.</summary>
    public bool UseRslora { get; set; }

    /// <summary>lora_alpha, or 2·r when not given.</summary>
    public double EffectiveAlpha => LoraAlpha ?? 2.0 * R;

    /// <summary>target_modules with presets expanded, in canonical order, without duplicates (null if a name is unknown).</summary>
    public string[]? ResolveTargetModules(out string? unknown)
    {
        unknown = TargetModules.FirstOrDefault(n => !LoraTargets.IsKnown(n));
        if (unknown != null) return null;
        return TargetModules.Count == 0 ? [] : [.. LoraTargets.Expand(TargetModules)];
    }

    /// <summary>The validated LoRA settings the model builder takes.</summary>
    public LoraConfig ToLoraConfig() => new(R, TargetModules, EffectiveAlpha, LoraDropout, UseRslora);
}
