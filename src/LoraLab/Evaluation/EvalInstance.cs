namespace LoraLab.Evaluation;

/// <summary>
/// The requests one evaluated document needs: either log-likelihood requests (one per choice) or one generation
/// request. <paramref name="Target"/> is the gold answer as text, for the sample log.
/// </summary>
public sealed record EvalInstance(
    int DocIndex,
    string Target,
    IReadOnlyList<LogLikelihoodRequest> LogLikelihoodRequests,
    GenerationRequest? Generation)
{
    /// <summary>The prompt as the model sees it (the generation prompt, or the first choice's context).</summary>
    public string Prompt => Generation?.Prompt ?? (LogLikelihoodRequests.Count > 0 ? LogLikelihoodRequests[0].Context : "");
}
