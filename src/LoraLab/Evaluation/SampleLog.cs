namespace LoraLab.Evaluation;

/// <summary>One evaluated document as written to the per-sample log (one JSONL line).</summary>
public sealed record SampleLog(
    int DocIndex,
    string Prompt,
    string Target,
    IReadOnlyList<LogLikelihoodRequest> Requests,
    IReadOnlyList<LogLikelihoodResult>? LogLikelihoods,
    string? Output,
    string Prediction,
    IReadOnlyDictionary<string, string>? Extracted,
    bool Correct,
    IReadOnlyDictionary<string, double> Metrics);
