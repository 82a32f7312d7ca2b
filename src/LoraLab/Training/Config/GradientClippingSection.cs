namespace LoraLab.Training.Config;

/// <summary><c>gradient_clipping:</c> clip the global gradient norm (torch.nn.utils.clip_grad_norm_).</summary>
public sealed class GradientClippingSection
{
    /// <summary><c>max_norm</c> (default 1.0).</summary>
    public double MaxNorm { get; set; } = 1.0;
}
