namespace LoraLab.Training.Config;

/// <summary><c>method</c>: what is trained.</summary>
public enum FinetuneMethod
{
    /// <summary><c>lora</c>: low-rank adapters on the target modules; the base model is frozen.</summary>
    Lora,

    /// <summary><c>full</c>: every weight is trained.</summary>
    Full,
}
