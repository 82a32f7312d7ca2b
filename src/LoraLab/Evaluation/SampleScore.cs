namespace LoraLab.Evaluation;

/// <summary>
/// The score of one document: per-metric values (0/1 for accuracies), the prediction as text, answers extracted by
/// each filter (GSM8K) and whether the task's primary metric counted it as correct.
/// </summary>
public sealed record SampleScore(
    IReadOnlyDictionary<string, double> Metrics,
    string Prediction,
    IReadOnlyDictionary<string, string>? Extracted,
    bool Correct);
