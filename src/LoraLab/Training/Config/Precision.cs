namespace LoraLab.Training.Config;

/// <summary>
/// <c>precision</c>: the dtypes of the model's weights, matmuls, activations and optimizer state during training.
/// </summary>
/// <remarks>
/// <c>bf16</c> stores the model itself in bfloat16 (no fp32 master copy, no autocast): half the memory of fp32, but
/// bfloat16 has an 8-bit mantissa, so an update smaller than about 1/256 of a weight's magnitude rounds away. With
/// full finetuning at lr 1e-5 most updates vanish; LoRA adapters (small weights, larger lr) suffer less. On CPUs
/// without bfloat16 arithmetic bf16 is also slower. Use fp32 for anything you want to compare with a reference.
/// </remarks>
public enum Precision
{
    /// <summary><c>fp32</c> (default): exact and reproducible.</summary>
    Fp32,

    /// <summary><c>bf16</c>: the model in bfloat16 (see remarks for the trade-off).</summary>
    Bf16,

    /// <summary>
    /// <c>amp_bf16</c> (Composer's name): mixed precision. Weights, gradients and optimizer state in float32; every
    /// linear/matmul computes in bfloat16 (its inputs and weight cast, as PyTorch's autocast does); norms, softmax
    /// statistics and the loss in float32. Saved weights and adapters are float32.
    /// </summary>
    AmpBf16,
}
