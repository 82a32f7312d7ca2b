namespace LoraLab.Evaluation;

/// <summary>
/// Sum of the natural-log probabilities of the continuation tokens given the context, and whether greedy decoding
/// from the context would have produced exactly the continuation.
/// </summary>
public sealed record LogLikelihoodResult(double LogLikelihood, bool IsGreedy);
