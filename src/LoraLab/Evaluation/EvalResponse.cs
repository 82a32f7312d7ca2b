namespace LoraLab.Evaluation;

/// <summary>The model's answers to one <see cref="EvalInstance"/>: one log-likelihood per request, or the generated text.</summary>
public sealed record EvalResponse(IReadOnlyList<LogLikelihoodResult> LogLikelihoods, string? Generation);
