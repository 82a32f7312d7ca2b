namespace LoraLab.Evaluation;

/// <summary>
/// Diversity of sampled generations: <paramref name="UniqueFraction"/> = distinct outputs / samples;
/// <paramref name="Distinct1"/>..3 = distinct n-grams / total n-grams (see <see cref="Diversity"/>).
/// </summary>
public sealed record DiversityResult(int Prompts, int Samples, double UniqueFraction, double Distinct1, double Distinct2, double Distinct3);
