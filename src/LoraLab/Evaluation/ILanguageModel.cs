namespace LoraLab.Evaluation;

/// <summary>
/// What evaluation tasks need from a model (lm-evaluation-harness's <c>LM</c> interface, minus rolling log-likelihood).
/// Implementations must return exactly one result per request, in request order.
/// </summary>
/// <remarks>
/// Log-likelihood follows lm-eval's tokenisation rule: the context is encoded (with BOS when the model uses one), and the
/// continuation tokens are the tokens of <c>context + continuation</c> minus the tokens of <c>context</c>
/// (whole-string encoding, so a space at the start of the continuation merges into the first continuation token as
/// SentencePiece/BPE tokenizers do). If trailing whitespace of the context moved into the continuation,
/// lm-eval first moves it: <c>context = context.rstrip()</c>, <c>continuation = moved + continuation</c>. The result is the
/// sum over continuation tokens of log P(token | all previous tokens), and <c>IsGreedy</c> is true when every
/// continuation token is the argmax of its distribution. When context + continuation is longer than the model's
/// window, the left of the context is truncated.
/// Generation is greedy when <see cref="GenerationRequest.Temperature"/> is 0; the returned text excludes the prompt
/// and is cut before the earliest occurrence of any stop sequence (the stop sequence itself is not returned).
/// </remarks>
public interface ILanguageModel
{
    /// <summary>Scores each continuation given its context.</summary>
    IReadOnlyList<LogLikelihoodResult> LogLikelihood(IReadOnlyList<LogLikelihoodRequest> requests);

    /// <summary>Generates a completion for each prompt, stopping at a stop sequence or after MaxNewTokens.</summary>
    IReadOnlyList<string> GenerateUntil(IReadOnlyList<GenerationRequest> requests);
}
