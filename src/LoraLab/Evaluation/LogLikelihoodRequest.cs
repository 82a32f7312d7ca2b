namespace LoraLab.Evaluation;

/// <summary>Score <paramref name="Continuation"/> given <paramref name="Context"/> (see <see cref="ILanguageModel"/>).</summary>
public sealed record LogLikelihoodRequest(string Context, string Continuation);
