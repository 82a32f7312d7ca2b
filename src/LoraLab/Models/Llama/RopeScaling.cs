namespace LoraLab.Models.Llama;

/// <summary>
/// The <c>rope_scaling</c> block of a Hugging Face Llama config. Supported types: "default" (none), "linear"
/// (positions divided by <see cref="Factor"/>) and "llama3" (Llama-3.1's frequency-band rescaling).
/// </summary>
public sealed record RopeScaling(
    string RopeType,
    double Factor,
    double LowFreqFactor = 1.0,
    double HighFreqFactor = 4.0,
    int OriginalMaxPositionEmbeddings = 8192)
{
    public static readonly IReadOnlyList<string> SupportedTypes = new[] { "default", "linear", "llama3" };
}
