namespace LoraLab.Evaluation;

/// <summary>
/// Generate a continuation of <paramref name="Prompt"/>. Temperature 0 means greedy (TopP and Seed are then unused).
/// The model stops at the first of <paramref name="StopSequences"/> (cut off, not returned) or after MaxNewTokens tokens.
/// </summary>
public sealed record GenerationRequest(
    string Prompt,
    IReadOnlyList<string> StopSequences,
    int MaxNewTokens = 256,
    double Temperature = 0.0,
    double TopP = 1.0,
    int Seed = 1234);
