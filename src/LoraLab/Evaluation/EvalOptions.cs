namespace LoraLab.Evaluation;

/// <summary>
/// lm-eval's run options: evaluate the first <paramref name="Limit"/> documents (all when null), with
/// <paramref name="NumFewShot"/> examples (the task's default when null), few-shot examples drawn with <paramref name="Seed"/>.
/// </summary>
public sealed record EvalOptions(int? Limit = null, int? NumFewShot = null, int Seed = 1234);
