namespace LoraLab.Models.Llama;

/// <summary>
/// RoPE scaling from a Hugging Face Llama config (<c>rope_scaling</c> in transformers 4, <c>rope_parameters</c> in 5;
/// read by <see cref="RopeConfigJson"/>). Supported types: "default" (none), "linear" (positions divided by
/// <see cref="Factor"/>) and "llama3" (Llama-3.1's frequency-band rescaling; the last three fields are its own).
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
