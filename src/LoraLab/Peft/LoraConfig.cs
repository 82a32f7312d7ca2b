namespace LoraLab.Peft;

/// <summary>
/// LoRA settings with Hugging Face PEFT's meaning: rank r, α (scaling α/r, or α/√r with rsLoRA), dropout on the
/// LoRA branch input, and the target modules by Hugging Face name. The study's defaults: α = 2r, dropout 0.05.
/// </summary>
public sealed record LoraConfig
{
    public LoraConfig(int r, IEnumerable<string> targetModules, double? alpha = null, double dropout = 0.05, bool useRslora = false)
    {
        if (r <= 0) throw new LoraLabException($"LoRA rank r must be a positive integer, got {r}.");
        if (dropout is < 0 or >= 1) throw new LoraLabException($"lora_dropout must be in [0, 1), got {dropout}.");
        R = r;
        Alpha = alpha ?? 2.0 * r;
        if (!(Alpha > 0)) throw new LoraLabException($"lora_alpha must be > 0, got {Alpha}.");
        Dropout = dropout;
        UseRslora = useRslora;
        TargetModules = LoraTargets.Expand(targetModules);
    }

    public int R { get; }

    public double Alpha { get; }

    public double Dropout { get; }

    public bool UseRslora { get; }

    /// <summary>Hugging Face projection names (q_proj, …, down_proj), presets expanded, in canonical order.</summary>
    public IReadOnlyList<string> TargetModules { get; }

    /// <summary>s in y = W x + s·B·A·x: α/r, or α/√r with rsLoRA.</summary>
    public double Scaling => UseRslora ? Alpha / Math.Sqrt(R) : Alpha / R;

    public bool Targets(string projection) => TargetModules.Contains(projection);
}
