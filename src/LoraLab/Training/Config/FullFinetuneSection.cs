namespace LoraLab.Training.Config;

/// <summary>
/// <c>full:</c> regularisation for full finetuning (the study's comparison of LoRA with weight decay and dropout).
/// Only allowed with <c>method: full</c>.
/// </summary>
public sealed class FullFinetuneSection
{
    /// <summary><c>weight_decay</c>: when given, replaces optimizer.weight_decay for the full finetune.</summary>
    public double? WeightDecay { get; set; }

    /// <summary><c>dropout</c>: dropout probability applied in the model during full finetuning (default 0).</summary>
    public double Dropout { get; set; }
}
