namespace LoraLab.Training.Config;

/// <summary><c>precision</c>: the dtype of the forward/backward pass.</summary>
public enum Precision
{
    /// <summary><c>fp32</c>.</summary>
    Fp32,

    /// <summary><c>bf16</c>.</summary>
    Bf16,
}
